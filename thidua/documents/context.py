"""Context builders: each reads the database and returns exactly the fields its kind declares
(thidua.documents.kinds), already in Vietnamese form. This module: the launch document and the
registration summary; the reports are in context_reports, the awards in context_awards."""

import re
from collections import defaultdict
from typing import Any

from sqlmodel import Session, col, select

from models import Content, LegalBasis, Movement, Recipient, Registration, Target
from models.base import saved_id
from thidua.documents.context_common import (
    agency_name,
    copies,
    growth_text,
    header,
    legal_bases,
    paras,
    participants,
    target_label,
    target_value,
    targets,
    title_name,
    two,
)
from thidua.documents.context_reports import (  # noqa: F401  (the public names, here too)
    PROGRESS_BASIS,
    final_report_context,
    period_report_context,
    unit_report_context,
    unit_report_contexts,
)
from thidua.documents.kinds import LAUNCH_TYPE


def _target_table(rows: list[Target]) -> dict[str, Any]:
    bases = {t.growth_basis for t in rows if t.growth_pct is not None}
    shared = bases.pop() if len(bases) == 1 else None  # one baseline: said once, in the header
    out, n = [], 0
    for t in rows:
        part = t.parent_code is not None
        n += 0 if part else 1
        out.append(
            {
                "stt": "" if part else str(n),
                "label": target_label(t),
                "unit": t.unit,
                "value": target_value(t),
                "growth": growth_text(t, with_basis=not shared),
            }
        )
    growth = any(t.growth_pct is not None for t in rows)
    head = f"Tăng trưởng {shared}" if shared else "Tăng trưởng"
    return {"kind": "targets", "rows": out, "growth": growth, "growth_head": head}


def launch_body(session: Session, movement: Movement) -> list[dict[str, Any]]:
    """The directive's body in its own order: each section heading once, every item and
    paragraph (its number as written, each paragraph of its text), and after an item the table
    of the targets it lists. Targets no item lists follow, under their group."""
    contents = session.exec(
        select(Content).where(Content.movement_id == movement.id).order_by(col(Content.seq))
    ).all()
    by_item: dict[int | None, list[Target]] = defaultdict(list)
    for t in targets(session, movement):
        by_item[t.content_seq].append(t)
    body: list[dict[str, Any]] = []
    section: str | None = None
    for c in contents:
        if c.section and c.section != section:
            body.append({"kind": "heading", "text": c.section})
        section = c.section
        first, *rest = [ln for ln in (ln.strip() for ln in c.text.split("\n")) if ln]
        lead = f"{c.number} {first}" if c.number else first
        body.append({"kind": "item", "text": "\a".join([lead, *rest])})
        if by_item.get(c.seq):
            body.append(_target_table(by_item[c.seq]))
    loose: dict[str | None, list[Target]] = defaultdict(list)
    for t in by_item.get(None, []):
        loose[t.group].append(t)
    for group, rows in loose.items():
        if group:
            body.append({"kind": "item", "text": group})
        body.append(_target_table(rows))
    return body


def _said(text: str, written: str) -> bool:
    """Whether the directive's own text already says `text` (case and spacing aside)."""
    squeeze = lambda s: " ".join(s.lower().split())  # noqa: E731
    return squeeze(text) in squeeze(written)


def launch_context(session: Session, movement: Movement) -> dict[str, Any]:
    addressees = [
        r.name
        for r in session.exec(
            select(Recipient)
            .where(Recipient.movement_id == movement.id, Recipient.role == "addressee")
            .order_by(col(Recipient.seq))
        )
    ]
    summary = movement.summary or f"Phát động phong trào thi đua năm {movement.year}"
    if movement.doc_kind == "cong_van":  # the template writes "V/v" (về việc) itself
        summary = re.sub(r"^(V/v|Về việc)\s*", "", summary, flags=re.IGNORECASE)
    kept = session.exec(
        select(Recipient.name).where(
            Recipient.movement_id == movement.id,
            Recipient.role == "copy",
            Recipient.name.startswith("Lưu"),
        )
    ).first()  # the directive's own "Lưu: VT" line, as it wrote it
    keep = kept.partition(":")[2].strip().rstrip(".") if kept else "VT, VP"
    ctx = header(
        movement,
        summary=summary,
        issued_on=movement.issued_date,
        copy_lines=copies(session, movement, keep=keep or "VT"),
    )
    body = launch_body(session, movement)
    written = " ".join(
        [movement.preamble or "", movement.closing or ""]
        + [b["text"] for b in body if b["kind"] != "targets"]
    )
    bases = session.exec(
        select(LegalBasis)
        .where(LegalBasis.movement_id == movement.id)
        .order_by(col(LegalBasis.seq))
    ).all()
    cited = legal_bases(session, movement)
    ctx.update(
        doc_type=LAUNCH_TYPE.get(movement.doc_kind, "KẾ HOẠCH"),
        addressees=addressees or ["Các đơn vị trực thuộc"],
        preamble=paras(movement.preamble),
        # Said once: the slogan and the documents the text already cites are not repeated.
        theme="" if _said(movement.theme, written) else movement.theme,
        theme_label=movement.theme_label,
        legal_bases=[c for b, c in zip(bases, cited, strict=True) if not _said(b.number, written)],
        body=body,
        closing=paras(movement.closing),  # none written: none printed
    )
    return ctx


def registration_summary_context(session: Session, movement: Movement) -> dict[str, Any]:
    units = participants(session, movement)
    regs = session.exec(select(Registration).where(Registration.movement_id == movement.id)).all()
    by_unit: dict[int, list[Registration]] = defaultdict(list)
    for r in regs:
        by_unit[r.unit_id].append(r)
    rows, totals = [], {"collective": 0, "lao_dong_tien_tien": 0, "chien_si_co_so": 0, "other": 0}
    for i, u in enumerate(units, start=1):
        mine = by_unit.get(saved_id(u), [])
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
    missing = [u.name for u in units if u.id not in registered]
    ctx = header(
        movement,
        summary=f"Tổng hợp đăng ký thi đua năm {movement.year}",
        copy_lines=copies(session, movement),
    )
    ctx.update(
        intro=(
            f"Thực hiện phong trào thi đua năm {movement.year}, {agency_name(movement)}"
            " tổng hợp kết quả đăng ký danh hiệu thi đua của các tập thể, cá nhân như sau:"
        ),
        rows=rows,
        totals=totals,
        participant_count=two(len(units)),
        registered_count=two(sum(1 for u in units if u.id in registered)),
        missing_units=missing,
        closing=(
            "Đề nghị các đơn vị chưa đăng ký hoàn thành việc đăng ký thi đua đúng thời hạn "
            "để tổng hợp, theo dõi./."
            if missing
            else "Đề nghị các đơn vị tổ chức thực hiện tốt các nội dung đã đăng ký, báo cáo "
            "kết quả thực hiện đúng thời hạn./."
        ),
    )
    return ctx
