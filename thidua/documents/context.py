"""Context builders: each reads the database and returns exactly the fields its kind declares
(thidua.documents.kinds), already in Vietnamese form. This module: the launch document and the
registration summary; the reports are in context_reports, the awards in context_awards."""

import re
from collections import defaultdict
from typing import Any

from sqlmodel import Session, select

from models import Content, Deadline, Movement, Recipient, Registration, TitleQuota
from thidua import vn
from thidua.documents.context_common import (
    agency_name,
    copies,
    header,
    legal_bases,
    paras,
    participants,
    period_range,
    periods,
    targets,
    title_name,
    two,
)
from thidua.documents.context_reports import (  # noqa: F401  (the public names, here too)
    PROGRESS_BASIS,
    final_report_context,
    period_report_context,
    progress,
    unit_report_context,
    unit_report_contexts,
)
from thidua.documents.kinds import LAUNCH_TYPE


def launch_context(session: Session, movement: Movement) -> dict[str, Any]:
    contents = session.exec(
        select(Content).where(Content.movement_id == movement.id).order_by(Content.seq)
    ).all()
    sections: list[dict[str, Any]] = []
    for c in contents:
        if not sections or sections[-1]["heading"] != (c.section or ""):
            sections.append({"heading": c.section or "", "items": []})
        sections[-1]["items"].append({"number": c.number.rstrip("."), "text": paras(c.text)})
    if len(sections) > 1 and (targets(session, movement) or periods(session, movement)):
        # The directive's later sections (its targets, its periods) are the template's own
        # II and III, drawn from the structured data; printing both would say them twice.
        sections = sections[:1]
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
        legal_bases=legal_bases(session, movement),
        sections=sections,
        task_targets=[
            {
                "stt": i,
                "label": t.label + (f" ({t.basis})" if t.basis else ""),
                "value_text": t.value_text,
                "unit": t.unit,
            }
            for i, t in enumerate(targets(session, movement), start=1)
        ],
        quotas_collective=[q.text for q in quotas if q.subject == "collective"],
        quotas_individual=[q.text for q in quotas if q.subject == "individual"],
        periods=[
            {
                "name": p.name,
                "range": period_range(p),
                "theme_text": f" với chủ đề “{p.theme}”." if p.theme else ".",
            }
            for p in periods(session, movement)
        ],
        deadlines=[{"label": d.label, "date": vn.short_date(d.due_on)} for d in deadlines],
        closing=paras(movement.closing)
        or (
            "Trong quá trình triển khai thực hiện, nếu có vướng mắc đề nghị các đơn vị phản ánh "
            "bằng văn bản về Văn phòng để tổng hợp, báo cáo lãnh đạo xem xét, giải quyết./."
        ),
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
