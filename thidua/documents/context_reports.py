"""Context builders for the reports: interim (sơ kết) and final (tổng kết) reports with the
progress of every target and the block rankings, and each unit's own period report.

Progress target by target: every unit's latest report up to the period (units report
year-to-date figures), summed over the units; a target measured in % takes the units' mean."""

from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import Any

from sqlmodel import Session, col, select

from models import Movement, PeriodReport, Target, TargetResult
from models.base import saved_id
from thidua import vn
from thidua.documents.charts import progress_chart, ranking_chart
from thidua.documents.context_common import (
    agency_name,
    copies,
    decimals,
    growth_text,
    growth_words,
    header,
    local_date,
    participants,
    period_of,
    period_range,
    periods,
    target_label,
    target_value,
    targets,
    two,
)
from thidua.errors import NotFound
from thidua.lifecycle import period_phrase
from thidua.results import BlockRanking

PROGRESS_BASIS = (
    "Số liệu thực hiện được tổng hợp từ báo cáo gần nhất của từng đơn vị (số liệu lũy kế từ đầu "
    "năm, không tính báo cáo bị trả lại); chỉ tiêu tính bằng tỷ lệ phần trăm lấy bình quân của "
    "các đơn vị có báo cáo."
)


def _latest_values(
    session: Session, movement: Movement, period_number: int
) -> tuple[dict[int, PeriodReport], dict[int, dict[int, TargetResult]]]:
    """Each unit's latest report up to the period, and its results by target."""
    reports = session.exec(
        select(PeriodReport)
        .where(
            PeriodReport.movement_id == movement.id,
            PeriodReport.period_number <= period_number,
            PeriodReport.status != "returned",
        )
        .order_by(col(PeriodReport.period_number))
    ).all()
    latest = {r.unit_id: r for r in reports}  # later periods overwrite earlier ones
    values: dict[int, dict[int, TargetResult]] = defaultdict(dict)
    ids = [r.id for r in latest.values()]
    for i in range(0, len(ids), 500):
        for tr in session.exec(
            select(TargetResult).where(col(TargetResult.report_id).in_(ids[i : i + 500]))
        ):
            values[tr.report_id][tr.target_id] = tr
    return latest, values


def combined_growth(results: list[TargetResult], percent: bool) -> Decimal | None:
    """The growth of the units together: a rate's is the mean of theirs; an amount's is the sum
    of their figures against the sum of their baselines (figure / (1 + growth)). None when no
    unit gave one."""
    given = [(Decimal(r.value), Decimal(r.growth_pct)) for r in results if r.growth_pct is not None]
    if not given:
        return None
    if percent:
        return sum((g for _, g in given), Decimal(0)) / len(given)
    now = sum((v for v, _ in given), Decimal(0))
    base = sum((v / (1 + g / 100) for v, g in given), Decimal(0))
    return (now / base - 1) * 100 if base else None


def _meets(t: Target, achieved: Decimal, growth: Decimal | None) -> bool:
    """At the end: the figure, and the growth where the directive set one, each on the side the
    target says ("không quá 3%": at most). A figure met exactly is met."""
    if t.comparison == "at_most":
        ok = achieved <= t.value
        return ok and (t.growth_pct is None or growth is None or growth <= t.growth_pct)
    ok = achieved >= t.value
    return ok and (t.growth_pct is None or growth is None or growth >= t.growth_pct)


def expected_pct(session: Session, movement: Movement, period_number: int) -> Decimal | None:
    """Before the last period, the share of the movement's time gone by at the period's end:
    a target is on schedule when its % of the year's plan is at least that. None at the end."""
    every = periods(session, movement)
    current = next((p for p in every if p.number == period_number), None)
    if current is None or current.number >= every[-1].number:
        return None
    start, end = every[0].starts_on, every[-1].ends_on
    gone = (current.ends_on - start).days + 1
    return Decimal(gone * 100) / Decimal((end - start).days + 1)


def progress(
    session: Session, movement: Movement, period_number: int
) -> tuple[list[dict[str, Any]], Any, int]:
    """Rows of the progress table, its chart, and how many units reported. At the end a
    target is "Đạt" or "Chưa đạt"; before, "Đúng tiến độ" or "Chậm tiến độ" against the share
    of time gone by (expected_pct)."""
    latest, values = _latest_values(session, movement, period_number)
    expected = expected_pct(session, movement, period_number)
    rows, bars = [], []
    for i, t in enumerate(targets(session, movement), start=1):
        tid = saved_id(t)
        per_report = (values.get(saved_id(r), {}) for r in latest.values())
        results = [v[tid] for v in per_report if tid in v]
        got = [Decimal(r.value) for r in results]
        percent = t.unit.strip() == "%"
        total = sum(got, Decimal(0))
        achieved = (total / len(got) if percent else total) if got else Decimal(0)
        growth = combined_growth(results, percent) if t.growth_pct is not None else None
        pct = achieved * 100 / t.value if t.value else Decimal(0)
        if expected is not None and t.comparison != "at_most":
            # before the end an amount is on time at the share of time gone by; its growth
            # against the same months of the baseline year stands as it is
            ok = pct >= expected and (
                growth is None or t.growth_pct is None or growth >= t.growth_pct
            )
        else:
            ok = _meets(t, achieved, growth)
        if not got:
            status = "Chưa có số liệu"
        elif expected is not None:
            status = "Đúng tiến độ" if ok else "Chậm tiến độ"
        else:
            status = "Đạt" if ok else "Chưa đạt"
        planned = f"{target_value(t)} {t.unit}"
        done = f"{vn.number(achieved, decimals(t.value_text))} {t.unit}"
        if t.growth_pct is not None:
            planned += f"\n{growth_text(t, with_basis=False)}"
            done += (
                f"\n{growth_words(growth.quantize(Decimal('0.1')))}" if growth is not None else ""
            )
        rows.append(
            {
                "stt": i,
                "label": target_label(t),
                "target_text": planned,
                "achieved_text": done,
                "pct_text": vn.percent(pct, 1),
                "status": status,
            }
        )
        bars.append((t.label, pct))
    return rows, progress_chart(bars, expected), len(latest)


def growth_note(session: Session, movement: Movement) -> str:
    """Where targets set a growth, the baseline it is measured against, named once."""
    bases = sorted({t.growth_basis for t in targets(session, movement) if t.growth_pct is not None
                    and t.growth_basis})  # fmt: skip
    if not bases:
        return ""
    return f" Tăng trưởng tính {'; '.join(bases)}, theo số liệu các đơn vị báo cáo."


def progress_basis(session: Session, movement: Movement, period_number: int) -> str:
    expected = expected_pct(session, movement, period_number)
    if expected is None:
        return PROGRESS_BASIS + growth_note(session, movement)
    return (
        f"{PROGRESS_BASIS}{growth_note(session, movement)} Chỉ tiêu đúng tiến độ khi tỷ lệ thực "
        "hiện so với kế hoạch năm đạt "
        f"ít nhất {vn.percent(expected, 1)} (tỷ lệ thời gian đã qua của phong trào)."
    )


def period_report_context(
    session: Session, movement: Movement, period_number: int
) -> dict[str, Any]:
    period = period_of(session, movement, period_number)
    units = participants(session, movement)
    rows, chart, reported = progress(session, movement, period_number)
    latest, _ = _latest_values(session, movement, period_number)
    nxt = [p for p in periods(session, movement) if p.number > period_number]
    steps = [
        f"Tiếp tục triển khai {p.name} ({period_range(p)})"
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
            f"Thực hiện phong trào thi đua năm {movement.year} với "
            f"{movement.theme_label.lower()} “{movement.theme}”, "
            f"{agency_name(movement)} báo cáo sơ kết {period.name} như sau:"
        ),
        period_name=period.name,
        period_range=period_range(period),
        reported_count=two(reported),
        participant_count=two(len(units)),
        missing_units=[u.name for u in units if u.id not in latest],
        progress_rows=rows,
        progress_basis=progress_basis(session, movement, period_number),
        progress_chart=chart,
        next_steps=steps,
        closing=(f"Trên đây là báo cáo sơ kết {period.name} của {agency_name(movement)}./."),
    )
    return ctx


def _score(value: Decimal) -> str:
    return vn.number(value, 2).rstrip("0").rstrip(",")


def unscored_text(block: BlockRanking) -> str:
    """What the report says of a block that had no criteria table: not scored, not ranked."""
    members = f" (gồm {len(block.members)} đơn vị: {', '.join(block.members)})"
    return (
        f"Khối thi đua{members if block.members else ''} không có bảng tiêu chí chấm điểm nên "
        "các đơn vị trong khối không chấm điểm, không xếp hạng theo tiêu chí; do đó không có "
        "kết quả xếp hạng làm căn cứ đề nghị tặng Cờ thi đua cho đơn vị trong khối."
    )


def final_report_context(
    session: Session, movement: Movement, rankings: list[BlockRanking]
) -> dict[str, Any]:
    every = periods(session, movement)
    last = every[-1].number if every else 1
    units = participants(session, movement)
    rows, chart, reported = progress(session, movement, last)
    blocks = []
    scored = [i for i, b in enumerate(rankings, start=1) if b.scored]
    # one tie rule for every block is said once, after the last block that was ranked
    same_rule = len({b.tie_rule for b in rankings if b.scored}) == 1
    for i, b in enumerate(rankings, start=1):
        if not b.scored:
            blocks.append({"stt": i, "name": b.block_name, "unscored": unscored_text(b)})
            continue
        ranks = sorted(b.ranks, key=lambda r: (r.rank, vn.sort_key(r.unit_name)))
        blocks.append(
            {
                "stt": i,
                "name": b.block_name,
                "unscored": "",
                "tie_rule": b.tie_rule if not same_rule or i == scored[-1] else "",
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
            f"Thực hiện phong trào thi đua năm {movement.year} với "
            f"{movement.theme_label.lower()} “{movement.theme}”, "
            f"{agency_name(movement)} báo cáo tổng kết như sau:"
        ),
        reported_count=two(reported),
        participant_count=two(len(units)),
        progress_rows=rows,
        progress_basis=PROGRESS_BASIS + growth_note(session, movement),
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
    period = period_of(session, movement, period_number)
    goals = targets(session, movement)
    units = participants(session, movement)
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
        for given in session.exec(
            select(TargetResult).where(col(TargetResult.report_id).in_(ids[i : i + 500]))
        ):
            values[given.report_id][given.target_id] = given
    lines = copies(session, movement, f"{agency_name(movement)} (Văn phòng)", keep="VT")
    phrase = period_phrase(session, movement, period_number)  # "Đợt 1", or "năm 2022"
    in_year = phrase if phrase.startswith("năm") else f"{phrase} năm {movement.year}"
    bases = {t.growth_basis or "" for t in goals if t.growth_pct is not None}
    growth_head = ""
    if bases:  # one baseline: named in the header; several: each target's own
        growth_head = (
            " ".join(("Tăng trưởng", *bases)).strip() if len(bases) == 1 else "Tăng trưởng"
        )
    out = []
    for u in units:
        report = reports.get(saved_id(u))
        got = values.get(saved_id(report), {}) if report else {}
        rows = []
        for i, t in enumerate(goals, start=1):
            tr = got.get(saved_id(t))
            rows.append(
                {
                    "stt": i,
                    "label": target_label(t),
                    "unit": t.unit,
                    "value_text": vn.number(tr.value, decimals(t.value_text)) if tr else "—",
                    "growth_text": (
                        growth_words(Decimal(tr.growth_pct))
                        if tr and tr.growth_pct is not None
                        else ("—" if t.growth_pct is not None else "")
                    ),
                    "note": (tr.note or "") if tr else "",
                }
            )
        if report is None:
            status = "Đơn vị chưa nộp báo cáo đợt này."
            submitted = ""
            when: date = vn.today()
        else:
            when = local_date(report.submitted_at)
            # The unit's own report: the header carries its date; the portal's processing state
            # and the account that sent it are not the unit's text. Only a return is noted.
            status = (
                f"Văn phòng đã trả lại báo cáo để bổ sung: {report.returned_reason or ''}"
                if report.status == "returned"
                else ""
            )
            submitted = ""
        ctx = header(
            movement,
            summary=f"Kết quả thực hiện phong trào thi đua {in_year}",
            issued_on=when,
            copy_lines=lines,
            agency=u.name,
            parent_agency=movement.agency,
            signer=("", "THỦ TRƯỞNG ĐƠN VỊ", ""),
        )
        ctx.update(
            unit_name=u.name,
            period_name=phrase,
            period_range=period_range(period),
            rows=rows,
            growth_head=growth_head,
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
