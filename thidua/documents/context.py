"""Context builders for the movement-level documents: each reads the database and returns
exactly the fields its kind declares (thidua.documents.kinds), already in Vietnamese form.

Progress target by target: every unit's latest report up to the period (units report
year-to-date figures), summed over the units; a target measured in % takes the units' mean."""

import re
from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlmodel import Session, col, select

from models import (
    Deadline,
    LegalBasis,
    Movement,
    Participant,
    Period,
    PeriodReport,
    Recipient,
    Registration,
    Target,
    TargetResult,
    Unit,
)
from models.awards import Nomination
from thidua import vn
from thidua.documents.charts import progress_chart, ranking_chart
from thidua.documents.kinds import LAUNCH_TYPE
from thidua.errors import NotFound
from thidua.results import BlockRanking

TITLE_NAMES = {
    "LDTT": "Lao động tiên tiến",
    "LDXS": "Lao động xuất sắc",
    "CSTDCS": "Chiến sĩ thi đua cơ sở",
    "CSTD_TINH": "Chiến sĩ thi đua cấp tỉnh",
    "TTLDTT": "Tập thể lao động tiên tiến",
    "TTLDXS": "Tập thể lao động xuất sắc",
    "GIAY_KHEN": "Giấy khen",
    "BANG_KHEN_TINH": "Bằng khen Chủ tịch UBND tỉnh",
    "CO_THI_DUA": "Cờ thi đua",
    "HTTNV": "Hoàn thành tốt nhiệm vụ",
    "HTXSNV": "Hoàn thành xuất sắc nhiệm vụ",
}
_DOC_TYPE = re.compile(
    r"^(Chỉ thị|Nghị quyết|Nghị định|Thông tư|Quyết định|Kế hoạch|Công văn|Luật|Hướng dẫn|"
    r"Kết luận|Thông báo)\s+(.+)$"
)
_ROMAN = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X"]
PROGRESS_BASIS = (
    "Số liệu thực hiện: cộng số liệu lũy kế từ đầu năm trong báo cáo gần nhất của từng đơn vị "
    "(báo cáo bị trả lại không tính); chỉ tiêu tính bằng % lấy bình quân các đơn vị có báo cáo."
)


def paras(text: str | None) -> str:
    """Text with line breaks as separate paragraphs: docxtpl turns "\\a" into a new paragraph
    with the same layout, where a "\\n" (a line break) would stretch a justified line."""
    lines = [ln.strip() for ln in (text or "").replace("\r\n", "\n").split("\n")]
    return "\a".join(ln for ln in lines if ln)


def title_name(code: str) -> str:
    return TITLE_NAMES.get(code, code)


def local_date(value: datetime | date | None) -> date:
    if value is None:
        return vn.today()
    if isinstance(value, datetime):
        if value.tzinfo is None:  # SQLite returns naive UTC
            from datetime import UTC

            value = value.replace(tzinfo=UTC)
        return value.astimezone(vn.TZ).date()
    return value


def two(n: int) -> str:
    """Counts in documents take a leading zero below 10 ("05 tập thể")."""
    return f"{n:02d}"


def copies(session: Session, movement: Movement, *extra: str, keep: str = "VT, VP") -> list[str]:
    """ "Nơi nhận" lines: the given ones, else the movement's copy recipients; always ending
    with "Lưu: VT, …"."""
    names = list(extra) or [
        r.name
        for r in session.exec(
            select(Recipient)
            .where(Recipient.movement_id == movement.id, Recipient.role == "copy")
            .order_by(Recipient.seq)
        )
    ]
    lines = [n.strip().rstrip(";.") + ";" for n in names if not n.strip().startswith("Lưu")]
    return [*lines, f"Lưu: {keep}."]


def header(
    movement: Movement,
    *,
    summary: str,
    issued_on: date | str | None = None,
    copy_lines: list[str],
    agency: str | None = None,
    parent_agency: str | None = None,
    signer: tuple[str, str, str] | None = None,
) -> dict[str, Any]:
    prefix, title, name = signer or (
        movement.signer_prefix or "",
        movement.signer_title,
        movement.signer_name,
    )
    return {
        "parent_agency": (
            parent_agency if parent_agency is not None else movement.parent_agency or ""
        ).upper(),
        "agency": (agency or movement.agency).upper(),
        "summary": summary,
        "place": movement.place,
        "issued_on": issued_on or vn.today(),
        "signer_prefix": (prefix or "").upper(),
        "signer_title": title.upper(),
        "signer_name": name,
        "copies": copy_lines,
    }


def _legal(session: Session, movement: Movement) -> list[str]:
    rows = session.exec(
        select(LegalBasis).where(LegalBasis.movement_id == movement.id).order_by(LegalBasis.seq)
    )
    out = []
    for b in rows:
        when = f" ngày {vn.short_date(b.issued_on)}" if b.issued_on else ""
        m = _DOC_TYPE.match(b.title)
        if m:  # "Chỉ thị số 34-CT/TW ngày 07/4/2014 của Bộ Chính trị về …", as cited
            out.append(f"{m.group(1)} số {b.number}{when} của {b.issuer} {m.group(2)}")
        else:
            out.append(f"{b.title} số {b.number}{when} của {b.issuer}")
    return out


def _periods(session: Session, movement: Movement) -> list[Period]:
    return list(
        session.exec(
            select(Period).where(Period.movement_id == movement.id).order_by(Period.number)
        )
    )


def _range(p: Period) -> str:
    return f"từ {vn.short_date(p.starts_on)} đến {vn.short_date(p.ends_on)}"


def _targets(session: Session, movement: Movement) -> list[Target]:
    return list(
        session.exec(select(Target).where(Target.movement_id == movement.id).order_by(Target.seq))
    )


def _decimals(value_text: str) -> int:
    return len(value_text.split(",", 1)[1]) if "," in value_text else 0


def launch_context(session: Session, movement: Movement) -> dict[str, Any]:
    from models import Content, TitleQuota

    contents = session.exec(
        select(Content).where(Content.movement_id == movement.id).order_by(Content.seq)
    ).all()
    sections: list[dict[str, Any]] = []
    for c in contents:
        if not sections or sections[-1]["heading"] != (c.section or ""):
            sections.append({"heading": c.section or "", "items": []})
        sections[-1]["items"].append({"number": c.number.rstrip("."), "text": paras(c.text)})
    if len(sections) == 1:
        sections[0]["heading"] = ""  # one section: the template's own heading says it
    quotas = session.exec(
        select(TitleQuota).where(TitleQuota.movement_id == movement.id).order_by(TitleQuota.seq)
    ).all()
    addressees = [
        r.name
        for r in session.exec(
            select(Recipient)
            .where(Recipient.movement_id == movement.id, Recipient.role == "addressee")
            .order_by(Recipient.seq)
        )
    ]
    deadlines = session.exec(
        select(Deadline).where(Deadline.movement_id == movement.id).order_by(Deadline.due_on)
    ).all()
    summary = movement.summary or f"Phát động phong trào thi đua năm {movement.year}"
    if movement.doc_kind == "cong_van":  # the template writes "V/v" (về việc) itself
        summary = re.sub(r"^(V/v|Về việc)\s*", "", summary, flags=re.IGNORECASE)
    ctx = header(
        movement,
        summary=summary,
        issued_on=movement.issued_date,
        copy_lines=copies(session, movement),
    )
    ctx.update(
        doc_type=LAUNCH_TYPE.get(movement.doc_kind, "KẾ HOẠCH"),
        addressees=addressees or ["Các đơn vị trực thuộc"],
        preamble=paras(movement.preamble),
        theme=movement.theme,
        legal_bases=_legal(session, movement),
        sections=sections,
        task_targets=[
            {
                "stt": i,
                "label": t.label + (f" ({t.basis})" if t.basis else ""),
                "value_text": t.value_text,
                "unit": t.unit,
            }
            for i, t in enumerate(_targets(session, movement), start=1)
        ],
        quotas_collective=[q.text for q in quotas if q.subject == "collective"],
        quotas_individual=[q.text for q in quotas if q.subject == "individual"],
        periods=[
            {
                "name": p.name,
                "range": _range(p),
                "theme_text": f" với chủ đề “{p.theme}”." if p.theme else ".",
            }
            for p in _periods(session, movement)
        ],
        deadlines=[{"label": d.label, "date": vn.short_date(d.due_on)} for d in deadlines],
        closing=paras(movement.closing)
        or (
            "Trong quá trình triển khai thực hiện, nếu có vướng mắc đề nghị các đơn vị phản ánh "
            "bằng văn bản về Văn phòng để tổng hợp, báo cáo lãnh đạo xem xét, giải quyết./."
        ),
    )
    return ctx


def _participants(session: Session, movement: Movement) -> list[Unit]:
    return list(
        session.exec(
            select(Unit)
            .join(Participant, col(Participant.unit_id) == col(Unit.id))
            .where(Participant.movement_id == movement.id)
            .order_by(Unit.id)
        )
    )


def registration_summary_context(session: Session, movement: Movement) -> dict[str, Any]:
    units = _participants(session, movement)
    regs = session.exec(select(Registration).where(Registration.movement_id == movement.id)).all()
    by_unit: dict[int, list[Registration]] = defaultdict(list)
    for r in regs:
        by_unit[r.unit_id].append(r)
    rows, totals = [], {"collective": 0, "lao_dong_tien_tien": 0, "chien_si_co_so": 0, "other": 0}
    for i, u in enumerate(units, start=1):
        mine = by_unit.get(u.id, [])
        coll = sorted({title_name(r.title) for r in mine if r.person_id is None})
        people = [r for r in mine if r.person_id is not None]
        ldtt = sum(1 for r in people if r.title == "LDTT")
        cs = sum(1 for r in people if r.title == "CSTDCS")
        other = len(people) - ldtt - cs
        totals["collective"] += 1 if coll else 0
        totals["lao_dong_tien_tien"] += ldtt
        totals["chien_si_co_so"] += cs
        totals["other"] += other
        rows.append(
            {
                "stt": i,
                "unit": u.name,
                "collective": ", ".join(coll) or "—",
                "lao_dong_tien_tien": ldtt,
                "chien_si_co_so": cs,
                "other": other,
            }
        )
    registered = {r.unit_id for r in regs}
    ctx = header(
        movement,
        summary=f"Tổng hợp đăng ký thi đua năm {movement.year}",
        copy_lines=copies(session, movement),
    )
    ctx.update(
        intro=(
            f"Thực hiện phong trào thi đua năm {movement.year}, {movement.agency} tổng hợp kết "
            "quả đăng ký danh hiệu thi đua của các tập thể, cá nhân như sau:"
        ),
        rows=rows,
        totals=totals,
        participant_count=two(len(units)),
        registered_count=two(sum(1 for u in units if u.id in registered)),
        missing_units=[u.name for u in units if u.id not in registered],
        closing=(
            "Đề nghị các đơn vị chưa đăng ký hoàn thành việc đăng ký thi đua đúng thời hạn "
            "để tổng hợp, theo dõi./."
        ),
    )
    return ctx


def _latest_values(
    session: Session, movement: Movement, period_number: int
) -> tuple[dict[int, PeriodReport], dict[int, dict[int, Decimal]]]:
    """Each unit's latest report up to the period, and its values by target."""
    reports = session.exec(
        select(PeriodReport)
        .where(
            PeriodReport.movement_id == movement.id,
            PeriodReport.period_number <= period_number,
            PeriodReport.status != "returned",
        )
        .order_by(PeriodReport.period_number)
    ).all()
    latest = {r.unit_id: r for r in reports}  # later periods overwrite earlier ones
    values: dict[int, dict[int, Decimal]] = defaultdict(dict)
    ids = [r.id for r in latest.values()]
    for i in range(0, len(ids), 500):
        for tr in session.exec(
            select(TargetResult).where(col(TargetResult.report_id).in_(ids[i : i + 500]))
        ):
            values[tr.report_id][tr.target_id] = tr.value
    return latest, values


def progress(
    session: Session, movement: Movement, period_number: int
) -> tuple[list[dict[str, Any]], Any, int]:
    """Rows of the progress table, its chart, and how many units reported."""
    latest, values = _latest_values(session, movement, period_number)
    rows, bars = [], []
    for i, t in enumerate(_targets(session, movement), start=1):
        got = [values[r.id][t.id] for r in latest.values() if t.id in values.get(r.id, {})]
        if t.unit.strip() == "%":
            achieved = sum(got) / len(got) if got else Decimal(0)
        else:
            achieved = sum(got, Decimal(0))
        pct = achieved * 100 / t.value if t.value else Decimal(0)
        ok = achieved <= t.value if t.comparison == "at_most" else achieved >= t.value
        rows.append(
            {
                "stt": i,
                "label": t.label,
                "target_text": f"{t.value_text} {t.unit}",
                "achieved_text": f"{vn.number(achieved, _decimals(t.value_text))} {t.unit}",
                "pct_text": vn.percent(pct, 1),
                "status": "Đạt" if ok else ("Chưa có số liệu" if not got else "Chưa đạt"),
            }
        )
        bars.append((t.label, pct))
    return rows, progress_chart(bars), len(latest)


def _period(session: Session, movement: Movement, number: int) -> Period:
    p = session.exec(
        select(Period).where(Period.movement_id == movement.id, Period.number == number)
    ).first()
    if p is None:
        raise NotFound(f"Phong trào {movement.code} không có đợt {number}")
    return p


def period_report_context(
    session: Session, movement: Movement, period_number: int
) -> dict[str, Any]:
    period = _period(session, movement, period_number)
    units = _participants(session, movement)
    rows, chart, reported = progress(session, movement, period_number)
    latest, _ = _latest_values(session, movement, period_number)
    nxt = [p for p in _periods(session, movement) if p.number > period_number]
    steps = [
        f"Tiếp tục triển khai {p.name} ({_range(p)})"
        + (f" với chủ đề “{p.theme}”" if p.theme else "")
        + "."
        for p in nxt
    ] or ["Chuẩn bị tổng kết phong trào thi đua, bình xét và đề nghị khen thưởng."]
    steps.append("Các đơn vị tập trung thực hiện các chỉ tiêu chưa đạt, báo cáo đúng thời hạn.")
    ctx = header(
        movement,
        summary=f"Sơ kết phong trào thi đua {period.name} năm {movement.year}",
        copy_lines=copies(session, movement),
    )
    ctx.update(
        intro=(
            f"Thực hiện phong trào thi đua năm {movement.year} với chủ đề “{movement.theme}”, "
            f"{movement.agency} báo cáo sơ kết {period.name} như sau:"
        ),
        period_name=period.name,
        period_range=_range(period),
        reported_count=two(reported),
        participant_count=two(len(units)),
        missing_units=[u.name for u in units if u.id not in latest],
        progress_rows=rows,
        progress_basis=PROGRESS_BASIS,
        progress_chart=chart,
        next_steps=steps,
        closing=f"Trên đây là báo cáo sơ kết {period.name} của {movement.agency}./.",
    )
    return ctx


def _score(value: Decimal) -> str:
    return vn.number(value, 2).rstrip("0").rstrip(",")


def final_report_context(
    session: Session, movement: Movement, rankings: list[BlockRanking]
) -> dict[str, Any]:
    periods = _periods(session, movement)
    last = periods[-1].number if periods else 1
    units = _participants(session, movement)
    rows, chart, reported = progress(session, movement, last)
    blocks = []
    for i, b in enumerate(rankings, start=1):
        ranks = sorted(b.ranks, key=lambda r: (r.rank, r.unit_name))
        blocks.append(
            {
                "stt": i,
                "name": b.block_name,
                "tie_rule": b.tie_rule,
                "rows": [
                    {
                        "rank": two(r.rank),
                        "unit": r.unit_name,
                        "total": _score(r.total),
                        "max_total": _score(r.max_total),
                        "note": "; ".join(
                            x for x in ("Đề nghị tặng Cờ thi đua" if r.flag else "", r.note) if x
                        ),
                    }
                    for r in ranks
                ],
                "chart": ranking_chart(
                    b.block_name, [(r.unit_name, r.total, r.flag) for r in ranks]
                ),
            }
        )
    ctx = header(
        movement,
        summary=f"Tổng kết phong trào thi đua năm {movement.year}",
        copy_lines=copies(session, movement),
    )
    ctx.update(
        intro=(
            f"Thực hiện phong trào thi đua năm {movement.year} với chủ đề “{movement.theme}”, "
            f"{movement.agency} báo cáo tổng kết như sau:"
        ),
        reported_count=two(reported),
        participant_count=two(len(units)),
        progress_rows=rows,
        progress_basis=PROGRESS_BASIS,
        progress_chart=chart,
        blocks=blocks,
        closing=f"Trên đây là báo cáo tổng kết phong trào thi đua năm {movement.year}./.",
    )
    return ctx


def unit_report_contexts(
    session: Session, movement: Movement, period_number: int, unit_ids: list[int] | None = None
) -> list[tuple[str, dict[str, Any]]]:
    """(subject_key, context) of every participant's report for a period, in a few queries:
    the batched form for issue_documents."""
    period = _period(session, movement, period_number)
    targets = _targets(session, movement)
    units = _participants(session, movement)
    if unit_ids is not None:
        wanted = set(unit_ids)
        units = [u for u in units if u.id in wanted]
    reports = {
        r.unit_id: r
        for r in session.exec(
            select(PeriodReport).where(
                PeriodReport.movement_id == movement.id,
                PeriodReport.period_number == period_number,
            )
        )
    }
    values: dict[int, dict[int, TargetResult]] = defaultdict(dict)
    ids = [r.id for r in reports.values()]
    for i in range(0, len(ids), 500):
        for tr in session.exec(
            select(TargetResult).where(col(TargetResult.report_id).in_(ids[i : i + 500]))
        ):
            values[tr.report_id][tr.target_id] = tr
    lines = copies(session, movement, f"{movement.agency} (Văn phòng)", keep="VT")
    out = []
    for u in units:
        report = reports.get(u.id)
        got = values.get(report.id, {}) if report else {}
        rows = []
        for i, t in enumerate(targets, start=1):
            tr = got.get(t.id)
            rows.append(
                {
                    "stt": i,
                    "label": t.label,
                    "unit": t.unit,
                    "value_text": vn.number(tr.value, _decimals(t.value_text)) if tr else "—",
                    "note": (tr.note or "") if tr else "",
                }
            )
        if report is None:
            status = "Đơn vị chưa nộp báo cáo đợt này."
            submitted = ""
            when: date = vn.today()
        else:
            when = local_date(report.submitted_at)
            status = {
                "submitted": "Báo cáo đã nộp, đang chờ Văn phòng kiểm tra.",
                "accepted": "Báo cáo đã được Văn phòng tiếp nhận.",
                "returned": f"Báo cáo bị trả lại: {report.returned_reason or ''}",
            }.get(report.status, report.status)
            submitted = f"Người nộp: {report.submitted_by}, ngày {vn.short_date(when)}."
        ctx = header(
            movement,
            summary=f"Kết quả thực hiện phong trào thi đua {period.name} năm {movement.year}",
            issued_on=when,
            copy_lines=lines,
            agency=u.name,
            parent_agency=movement.agency,
            signer=("", "THỦ TRƯỞNG ĐƠN VỊ", ""),
        )
        ctx.update(
            unit_name=u.name,
            period_name=period.name,
            period_range=_range(period),
            rows=rows,
            report_summary=(
                report.summary
                if report and report.summary
                else "Đơn vị báo cáo kết quả thực hiện các chỉ tiêu như sau:"
            ),
            status_text=status,
            submitted_line=submitted,
        )
        out.append((f"unit:{u.id}:p{period_number}", ctx))
    return out


def unit_report_context(
    session: Session, movement: Movement, unit_id: int, period_number: int
) -> dict[str, Any]:
    found = unit_report_contexts(session, movement, period_number, [unit_id])
    if not found:
        raise NotFound(f"Đơn vị {unit_id} không tham gia phong trào {movement.code}")
    return found[0][1]


def nominations_by_id(session: Session, ids: list[int]) -> dict[int, Nomination]:
    out: dict[int, Nomination] = {}
    for i in range(0, len(ids), 500):
        for n in session.exec(select(Nomination).where(col(Nomination.id).in_(ids[i : i + 500]))):
            out[n.id] = n
    return out


def roman(n: int) -> str:
    return _ROMAN[n - 1] if 0 < n <= len(_ROMAN) else str(n)
