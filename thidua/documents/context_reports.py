"""Context builders for the reports: interim (sơ kết) and final (tổng kết) reports with the
progress of every target (computed in thidua.targets) and the block rankings, and each unit's
own period report."""

from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import Any

from sqlmodel import Session, col, select

from models import Movement, PeriodReport, TargetResult
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
from thidua.targets import Progress, expected_pct, target_progress

PROGRESS_BASIS = (
    "Số liệu thực hiện được tổng hợp từ báo cáo gần nhất của từng đơn vị (số liệu lũy kế từ đầu "
    "năm, không tính báo cáo bị trả lại); chỉ tiêu tính bằng tỷ lệ phần trăm lấy bình quân của "
    "các đơn vị có báo cáo."
)


def progress_figure(p: Progress) -> Any:
    """The chart of thidua.targets' progress: each target's % of its plan."""
    return progress_chart([(r.target.label, r.pct) for r in p.rows], p.expected)


def progress_rows(p: Progress) -> list[dict[str, Any]]:
    """thidua.targets' progress as the reports (and the admin's dashboard) print it: a row per
    target."""
    rows = []
    for i, r in enumerate(p.rows, start=1):
        t = r.target
        planned = f"{target_value(t)} {t.unit}"
        done = f"{vn.number(r.achieved, decimals(t.value_text))} {t.unit}"
        if t.growth_pct is not None:
            planned += f"\n{growth_text(t, with_basis=False)}"
            if r.growth is not None:
                done += f"\n{growth_words(r.growth.quantize(Decimal('0.1')))}"
        rows.append(
            {
                "stt": i,
                "label": target_label(t),
                "target_text": planned,
                "achieved_text": done,
                "pct_text": vn.percent(r.pct, 1),
                "status": r.status,
            }
        )
    return rows


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
    p = target_progress(session, movement, period_number)
    rows, chart = progress_rows(p), progress_figure(p)
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
        reported_count=two(p.reported),
        participant_count=two(len(units)),
        missing_units=[u.name for u in units if u.id not in p.units],
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
    p = target_progress(session, movement, last)
    rows, chart = progress_rows(p), progress_figure(p)
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
        reported_count=two(p.reported),
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
