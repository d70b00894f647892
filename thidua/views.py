"""What the portal's pages and the CLI's listings show: one read function per page, each in
its own short unit of work, returning what the page renders. Routes parse, call a step or one
of these, and render; they never query.

Who may see a page is checked here too, as the steps check who may act: a unit sees its own
work, a council member his own council's sitting, the head the decisions put to him."""

from collections import Counter, defaultdict
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from sqlmodel import Session, col, func, select

from models import (
    AuditEvent,
    Block,
    Council,
    CouncilMember,
    CriteriaTable,
    Criterion,
    Decision,
    DecisionItem,
    Evidence,
    IssuedDocument,
    Movement,
    Nomination,
    Participant,
    Period,
    PeriodReport,
    Person,
    Recusal,
    Registration,
    Score,
    Target,
    TargetResult,
    Unit,
    VoteReceipt,
)
from models.base import id_col, saved_id
from models.db import session_scope
from thidua import ballots, dossiers, exceptions, scoring, submissions, vn
from thidua.access import Reader, may_read_document, may_read_dossier
from thidua.council import current_meeting
from thidua.errors import Forbidden, NotFound
from thidua.exceptions import subject_names
from thidua.history import history_for
from thidua.lifecycle import State, movement_state_label, period_phrase
from thidua.movements import find_movement
from thidua.obligations import outstanding
from thidua.rules.engine import check_all, rule_set_for
from thidua.settings import get_settings
from thidua.statuses import NominationStatus, ReportStatus

# --- a unit's pages --------------------------------------------------------------------------


def participation(s: Session, unit_id: int | None, code: str) -> tuple[Movement, Participant]:
    """The movement and the unit's place in it; refused if the unit takes no part."""
    movement = find_movement(s, code)
    part = s.exec(
        select(Participant).where(
            Participant.movement_id == movement.id, Participant.unit_id == unit_id
        )
    ).first()
    if part is None:
        unit = s.get(Unit, unit_id) if unit_id is not None else None
        name = unit.name if unit else "của bạn"
        raise Forbidden(f"Đơn vị {name} không tham gia phong trào {movement.code}.")
    return movement, part


def _due_and_returned(s: Session, movement: Movement, unit_id: int):
    owed = [o for o in outstanding(s, movement) if o.unit_id == unit_id]
    reports = s.exec(
        select(PeriodReport).where(
            PeriodReport.movement_id == movement.id,
            PeriodReport.unit_id == unit_id,
            PeriodReport.status == ReportStatus.RETURNED,
        )
    ).all()
    noms = s.exec(
        select(Nomination).where(
            Nomination.movement_id == movement.id,
            Nomination.unit_id == unit_id,
            Nomination.status == NominationStatus.RETURNED,
        )
    ).all()
    return owed, list(reports), list(noms)


def unit_home(unit_id: int) -> dict:
    """Every movement the unit takes part in, with what it owes and what was returned."""
    with session_scope() as s:
        movements = s.exec(
            select(Movement)
            .join(Participant, col(Participant.movement_id) == col(Movement.id))
            .where(Participant.unit_id == unit_id)
            .order_by(col(Movement.year).desc())
        ).all()
        rows = [
            (m, movement_state_label(s, m), *_due_and_returned(s, m, unit_id)) for m in movements
        ]
    return {"rows": rows}


def unit_movement(code: str, unit_id: int) -> dict:
    with session_scope() as s:
        movement, _part = participation(s, unit_id, code)
        owed, returned_reports, returned_noms = _due_and_returned(s, movement, unit_id)
        rs = rule_set_for(movement)
        registrations = s.exec(
            select(Registration).where(
                Registration.movement_id == movement.id, Registration.unit_id == unit_id
            )
        ).all()
        periods = s.exec(
            select(Period).where(Period.movement_id == movement.id).order_by(col(Period.number))
        ).all()
        reports = {
            r.period_number: r
            for r in s.exec(
                select(PeriodReport).where(
                    PeriodReport.movement_id == movement.id, PeriodReport.unit_id == unit_id
                )
            )
        }
        nominations = s.exec(
            select(Nomination)
            .where(Nomination.movement_id == movement.id, Nomination.unit_id == unit_id)
            .order_by(col(Nomination.id))
        ).all()
        people = sorted(  # Vietnamese collation, the same on every database
            s.exec(select(Person).where(Person.unit_id == unit_id, Person.active)).all(),
            key=lambda p: vn.person_key(p.full_name),
        )
        scored = s.exec(
            select(Score.id)
            .join(Criterion, col(Criterion.id) == col(Score.criterion_id))
            .join(CriteriaTable, col(CriteriaTable.id) == col(Criterion.table_id))
            .where(  # a self-score against a replaced table must be given again
                Score.movement_id == movement.id,
                Score.unit_id == unit_id,
                Score.scorer_kind == "self",
                col(CriteriaTable.replaced_at).is_(None),
            )
        ).first()
        return dict(
            m=movement, state=State(movement.state), owed=owed, returned_reports=returned_reports,
            returned_noms=returned_noms, titles=rs.titles, registrations=registrations,
            periods=periods, reports=reports, nominations=nominations, people=people,
            names={p.id: p.full_name for p in people}, subjects=subject_names(s, list(nominations)),
            scored=scored is not None,
            can_register=State(movement.state) in submissions.REGISTRATION_STATES,
        )  # fmt: skip


def report_form(code: str, unit_id: int, number: int) -> dict:
    from thidua.documents.context_common import growth_text, target_value

    with session_scope() as s:
        movement, _ = participation(s, unit_id, code)
        period = s.exec(
            select(Period).where(Period.movement_id == movement.id, Period.number == number)
        ).first()
        if period is None:
            raise NotFound(f"Phong trào không có Đợt {number}.")
        targets = s.exec(
            select(Target).where(Target.movement_id == movement.id).order_by(col(Target.seq))
        ).all()
        report = s.exec(
            select(PeriodReport).where(
                PeriodReport.movement_id == movement.id,
                PeriodReport.unit_id == unit_id,
                PeriodReport.period_number == number,
            )
        ).first()
        values = {}
        if report is not None:
            values = {
                r.target_id: r
                for r in s.exec(select(TargetResult).where(TargetResult.report_id == report.id))
            }
        return dict(
            m=movement, period=period, targets=targets, report=report, values=values,
            planned={t.id: target_value(t) for t in targets},
            phrase=period_phrase(s, movement, number),  # "Đợt 1", or "năm 2022"
            growth={t.id: growth_text(t) for t in targets},
            is_open=State(movement.state) in submissions.REPORT_STATES.get(number, ()),
        )  # fmt: skip


def score_form(code: str, unit_id: int) -> dict:
    with session_scope() as s:
        movement, part = participation(s, unit_id, code)
        current = {
            sc.criterion_id: sc.points
            for sc in s.exec(
                select(Score).where(
                    Score.movement_id == movement.id,
                    Score.unit_id == unit_id,
                    Score.scorer_kind == "self",
                )
            )
        }
        return dict(
            m=movement, criteria=scoring.criteria_for(s, saved_id(movement), part.block_id),
            table=scoring.table_for(scoring.current_tables(s, saved_id(movement)), part.block_id),
            current=current,
        )  # fmt: skip


def nominate_form(code: str, unit_id: int) -> dict:
    with session_scope() as s:
        movement, _ = participation(s, unit_id, code)
        own = dossiers.subtree(s, unit_id)
        people = sorted(  # Vietnamese collation, the same on every database
            s.exec(select(Person).where(col(Person.unit_id).in_(own), Person.active)).all(),
            key=lambda p: vn.person_key(p.full_name),
        )
        units = s.exec(select(Unit).where(col(Unit.id).in_(own)).order_by(col(Unit.code))).all()
        rs = rule_set_for(movement)
        return dict(
            m=movement, people=people, units=units, titles=list(rs.titles.values()),
            facts=[f for f in rs.facts.values() if f.type in dossiers.TEXT_FACT_TYPES],
        )  # fmt: skip


def _own_nomination(s: Session, unit_id: int | None, nomination_id: int) -> Nomination:
    nomination = dossiers.get_nomination(s, nomination_id)
    if unit_id is None or nomination.unit_id != unit_id:
        raise Forbidden("Hồ sơ này không thuộc đơn vị của bạn.")
    return nomination


def own_dossier(nomination_id: int, unit_id: int | None) -> None:
    """Refused unless the dossier is the unit's own (the portal's unit pages act for the
    user's own unit only, whatever other role he holds)."""
    with session_scope() as s:
        _own_nomination(s, unit_id, nomination_id)


def dossier(nomination_id: int, unit_id: int | None) -> dict:
    """A unit's own dossier with its evidence and the subject's past awards."""
    with session_scope() as s:
        n = _own_nomination(s, unit_id, nomination_id)
        evidence = s.exec(select(Evidence).where(Evidence.nomination_id == n.id)).all()
        movement = s.get_one(Movement, n.movement_id)
        return dict(
            n=n, m=movement, evidence=evidence, subject=subject_names(s, [n])[saved_id(n)],
            history=history_for(s, [n.subject_key])[n.subject_key],
            title_name=rule_set_for(movement).title_name(n.title),
        )  # fmt: skip


def evidence_file(evidence_id: int, reader: Reader) -> tuple[Path, Evidence]:
    """The file of an evidence, to those who may read its dossier (thidua.access)."""
    with session_scope() as s:
        ev = s.get(Evidence, evidence_id)
        if ev is None:
            raise NotFound(f"Không có tệp minh chứng số {evidence_id}.")
        if not may_read_dossier(s, reader, s.get_one(Nomination, ev.nomination_id)):
            raise Forbidden("Bạn không được xem tệp minh chứng của hồ sơ này.")
    path = dossiers.evidence_path(ev)
    if not path.is_file():
        raise NotFound("Tệp minh chứng không còn trên máy chủ.")
    return path, ev


# --- the block leader's pages ----------------------------------------------------------------


def _led_block(s: Session, unit_id: int | None, code: str) -> tuple[Movement, int]:
    movement, part = participation(s, unit_id, code)
    if part.block_id is None:
        raise Forbidden("Đơn vị của bạn không thuộc khối thi đua nào trong phong trào này.")
    block = s.get(Block, part.block_id)
    if block is None or block.leader_unit_id != unit_id:
        raise Forbidden("Đơn vị của bạn không phải là khối trưởng của khối thi đua này.")
    return movement, part.block_id


def _in_block(s: Session, movement: Movement, block_id: int, unit_id: int) -> Unit:
    found = s.exec(
        select(Participant.id).where(
            Participant.movement_id == movement.id,
            Participant.unit_id == unit_id,
            Participant.block_id == block_id,
        )
    ).first()
    unit = s.get(Unit, unit_id)
    if found is None or unit is None:
        raise Forbidden("Đơn vị này không thuộc khối thi đua của bạn.")
    return unit


def _totals(s: Session, movement_id: int, kind: str) -> dict[int, Decimal]:
    out: dict[int, Decimal] = {}
    for uid, pts in s.exec(
        select(col(Score.unit_id), col(Score.points))
        .join(Criterion, col(Criterion.id) == col(Score.criterion_id))
        .join(CriteriaTable, col(CriteriaTable.id) == col(Criterion.table_id))
        .where(  # a replaced table's scores are the record, not the count
            Score.movement_id == movement_id,
            Score.scorer_kind == kind,
            col(CriteriaTable.replaced_at).is_(None),
        )
    ):
        out[uid] = out.get(uid, Decimal(0)) + pts
    return out


def block(code: str, leader_unit_id: int | None) -> dict:
    """The block its leader scores: its units, their own and the leader's totals, the ranking."""
    with session_scope() as s:
        movement, block_id = _led_block(s, leader_unit_id, code)
        units = s.exec(
            select(Unit)
            .join(Participant, col(Participant.unit_id) == col(Unit.id))
            .where(Participant.movement_id == movement.id, Participant.block_id == block_id)
            .order_by(col(Unit.code))
        ).all()
        ranking = next(
            (r for r in scoring.block_rankings(s, movement) if r.block_id == block_id), None
        )
        return dict(
            m=movement, block=s.get(Block, block_id), units=units,
            own=_totals(s, saved_id(movement), "self"),
            lead=_totals(s, saved_id(movement), "leader"),
            ranking=ranking,
        )  # fmt: skip


def in_led_block(code: str, leader_unit_id: int | None, unit_id: int) -> None:
    """Refused unless the unit is in the block the leader's unit leads."""
    with session_scope() as s:
        movement, block_id = _led_block(s, leader_unit_id, code)
        _in_block(s, movement, block_id, unit_id)


def leader_form(code: str, leader_unit_id: int | None, unit_id: int) -> dict:
    with session_scope() as s:
        movement, block_id = _led_block(s, leader_unit_id, code)
        unit = _in_block(s, movement, block_id, unit_id)
        points: dict[tuple[str, int], Decimal] = {
            (sc.scorer_kind, sc.criterion_id): sc.points
            for sc in s.exec(
                select(Score).where(Score.movement_id == movement.id, Score.unit_id == unit_id)
            )
        }
        criteria = scoring.criteria_for(s, saved_id(movement), block_id)
        return dict(m=movement, unit=unit, criteria=criteria, points=points)


# --- the council's and the head's pages ------------------------------------------------------


def council_home() -> dict:
    with session_scope() as s:
        rows = [
            (m, movement_state_label(s, m), current_meeting(s, m))
            for m in s.exec(select(Movement).order_by(col(Movement.year).desc()))
        ]
    return {"rows": rows}


def sitting(code: str, person_id: int | None) -> dict:
    """The movement's sitting as one member sees it: the ballot paper in the Danh sách's
    order, each dossier with its rule checks, exceptions, past awards and evidence, what he
    has voted on or stepped aside from; the roll; the results once closed."""
    from thidua.documents import list_in_order

    with session_scope() as s:
        movement = find_movement(s, code)
        meeting = current_meeting(s, movement)
        ctx: dict = {"m": movement, "meeting": meeting, "rows": [], "results": []}
        if meeting is None:
            return ctx
        member = s.exec(
            select(CouncilMember).where(
                CouncilMember.council_id == meeting.council_id,
                CouncilMember.person_id == person_id,
            )
        ).first()
        if member is None:
            raise Forbidden("Bạn không phải là thành viên Hội đồng của phong trào này.")
        noms = list_in_order(
            s, s.exec(select(Nomination).where(col(Nomination.id).in_(ballots.agenda(meeting))))
        )
        checks = {c.nomination_id: c for c in check_all(s, movement)}
        history = history_for(s, [n.subject_key for n in noms])
        evidence: dict[int, list[Evidence]] = {}
        for ev in s.exec(
            select(Evidence).where(col(Evidence.nomination_id).in_([saved_id(n) for n in noms]))
        ):
            evidence.setdefault(ev.nomination_id, []).append(ev)
        voted = set(
            s.exec(
                select(VoteReceipt.nomination_id).where(
                    VoteReceipt.meeting_id == meeting.id, VoteReceipt.member_id == member.id
                )
            )
        )
        recused = set(
            s.exec(
                select(Recusal.nomination_id).where(
                    Recusal.meeting_id == meeting.id, Recusal.member_id == member.id
                )
            )
        )
        names = subject_names(s, noms)
        units = dict(
            s.exec(
                select(Unit.id, Unit.name).where(col(Unit.id).in_({n.unit_id for n in noms}))
            ).all()
        )
        rs = rule_set_for(movement)
        excepted: dict[int, dict] = {}
        for x in exceptions.for_meeting(s, meeting):
            excepted.setdefault(x.nomination_id, {})[x.rule_id] = x
        ctx["rows"] = [
            {"n": n, "subject": names[saved_id(n)], "unit": units.get(n.unit_id, ""),
             "title": rs.title_name(n.title), "check": checks.get(saved_id(n)),
             "excepted": excepted.get(saved_id(n), {}),
             "history": history[n.subject_key], "evidence": evidence.get(saved_id(n), []),
             "voted": saved_id(n) in voted, "recused": saved_id(n) in recused}
            for n in noms
        ]  # fmt: skip
        chair = s.get_one(Council, meeting.council_id).chair_person_id
        ctx["is_chair"] = chair == person_id
        ctx["keeps_roll"] = ctx["is_chair"] or member.role == "secretary"
        ctx["titles"] = {n.id: rs.title_name(n.title) for n in noms}
        ctx["roll"] = ballots.attendance(s, meeting)
        seated = s.exec(
            select(CouncilMember.person_id).where(CouncilMember.council_id == meeting.council_id)
        ).all()
        ctx["names"] = dict(
            s.exec(select(Person.id, Person.full_name).where(col(Person.id).in_(seated))).all()
        )
        if meeting.status == "closed":
            ctx["results"] = ballots.results(s, meeting)
        return ctx


def head_home() -> dict:
    """Every movement's drafted decisions and memos, with their items and documents."""
    with session_scope() as s:
        rows = []
        for m in s.exec(select(Movement).order_by(col(Movement.year).desc(), col(Movement.code))):
            decisions = s.exec(
                select(Decision).where(Decision.movement_id == m.id).order_by(col(Decision.id))
            ).all()
            items = dict(
                s.exec(
                    select(DecisionItem.decision_id, func.count())
                    .where(col(DecisionItem.decision_id).in_([saved_id(d) for d in decisions]))
                    .group_by(col(DecisionItem.decision_id))
                ).all()
            )
            items = {saved_id(d): items.get(saved_id(d), 0) for d in decisions}
            docs = {d.id: s.get(IssuedDocument, d.document_id) for d in decisions if d.document_id}
            rows.append((m, movement_state_label(s, m), decisions, items, docs))
    return {"rows": rows}


def is_decision_draft(doc_id: int) -> bool:
    """Is the document one put to the head for approval (a decision or a memo)?"""
    with session_scope() as s:
        return s.exec(select(Decision.id).where(Decision.document_id == doc_id)).first() is not None


# --- the office's pages ----------------------------------------------------------------------


def movements() -> dict:
    with session_scope() as s:
        every = s.exec(select(Movement).order_by(col(Movement.code)))
        return {"rows": [(m, movement_state_label(s, m)) for m in every]}


def reports(code: str) -> dict:
    """Every period report of the movement with its figures, for the office to read."""
    with session_scope() as s:
        m = find_movement(s, code)
        rows = s.exec(
            select(PeriodReport, Unit.code, Unit.name)
            .join(Unit, col(Unit.id) == col(PeriodReport.unit_id))
            .where(PeriodReport.movement_id == m.id)
            .order_by(col(PeriodReport.period_number), col(Unit.code))
        ).all()
        targets = s.exec(
            select(Target).where(Target.movement_id == m.id).order_by(col(Target.seq))
        ).all()
        values: dict[int, dict[int, object]] = {}
        for tr in s.exec(
            select(TargetResult)
            .join(PeriodReport, col(PeriodReport.id) == col(TargetResult.report_id))
            .where(PeriodReport.movement_id == m.id)
        ):
            values.setdefault(tr.report_id, {})[tr.target_id] = tr.value
        return dict(m=m, rows=rows, targets=targets, values=values)


def dossiers_page(code: str) -> dict:
    """Every dossier of the movement with its checks, exceptions, past awards and evidence."""
    from thidua.documents import list_in_order

    with session_scope() as s:
        m = find_movement(s, code)
        noms = list_in_order(
            s, s.exec(select(Nomination).where(Nomination.movement_id == m.id)).all()
        )
        checks = {c.nomination_id: c for c in check_all(s, m)} if noms else {}
        history = history_for(s, [n.subject_key for n in noms])
        names = subject_names(s, noms)
        units = dict(s.exec(select(Unit.id, Unit.name)).all())
        evidence: dict[int, list[Evidence]] = {}
        for ev in s.exec(
            select(Evidence)
            .join(Nomination, col(Nomination.id) == col(Evidence.nomination_id))
            .where(Nomination.movement_id == m.id)
        ):
            evidence.setdefault(ev.nomination_id, []).append(ev)
        rs = rule_set_for(m)
        excepted: dict[int, dict[str, exceptions.ExceptionView]] = {}
        for v in exceptions.for_nominations(s, [saved_id(n) for n in noms]):
            excepted.setdefault(v.nomination_id, {})[v.rule_id] = v
        rows = [
            {"n": n, "subject": names[saved_id(n)], "unit": units.get(n.unit_id, ""),
             "title": rs.title_name(n.title), "check": checks.get(saved_id(n)),
             "excepted": excepted.get(saved_id(n), {}),
             "open_rules": [f for f in checks[saved_id(n)].failures
                            if f.rule_id not in excepted.get(saved_id(n), {})]
             if saved_id(n) in checks and n.status in exceptions.OPEN_STATUSES else [],
             "history": history[n.subject_key], "evidence": evidence.get(saved_id(n), [])}
            for n in noms
        ]  # fmt: skip
        return dict(m=m, rows=rows)


def nomination_movement(nomination_id: int) -> str:
    """The code of the movement a dossier belongs to."""
    with session_scope() as s:
        n = dossiers.get_nomination(s, nomination_id)
        return s.get_one(Movement, n.movement_id).code


def report_movement(report_id: int) -> str:
    with session_scope() as s:
        report = s.get(PeriodReport, report_id)
        if report is None:
            raise NotFound(f"Không tìm thấy báo cáo số {report_id}.")
        return s.get_one(Movement, report.movement_id).code


def documents(code: str) -> dict:
    with session_scope() as s:
        m = find_movement(s, code)
        docs = s.exec(
            select(IssuedDocument)
            .where(IssuedDocument.movement_id == m.id)
            .order_by(col(IssuedDocument.created_at), col(IssuedDocument.id))
        ).all()
        return dict(m=m, docs=docs)


def document_file(doc_id: int, pdf: bool, reader: Reader) -> tuple[Path, str]:
    """An issued document's file (or its PDF) in the document store, and its name, to those
    who may read it (thidua.access)."""
    with session_scope() as s:
        doc = s.get(IssuedDocument, doc_id)
        if doc is None:
            raise NotFound(f"Không có văn bản số {doc_id}.")
        if not may_read_document(s, reader, doc):
            raise Forbidden("Bạn không được tải văn bản này.")
        rel = doc.pdf_path if pdf else doc.path
        if not rel:
            raise NotFound("Văn bản này chưa có bản PDF.")
    root = Path(get_settings().document_dir).resolve()
    path = (root / rel).resolve()
    # The path comes from our own database, but a file outside the store is never served.
    if not path.is_relative_to(root) or not path.is_file():
        raise NotFound("Tệp văn bản không còn trong kho văn bản.")
    return path, Path(rel).name


@dataclass(frozen=True)
class DocumentFile:
    path: Path
    name: str  # in the archive


def document_files(code: str) -> tuple[Movement, list[DocumentFile]]:
    """Every document of the movement (DOCX and PDF) that is in the store, in issue order."""
    with session_scope() as s:
        m = find_movement(s, code)
        docs = s.exec(
            select(IssuedDocument)
            .where(IssuedDocument.movement_id == m.id)
            .order_by(col(IssuedDocument.id))
        ).all()
    root = Path(get_settings().document_dir).resolve()
    out = []
    for d in docs:
        for rel in filter(None, [d.path, d.pdf_path]):
            path = (root / rel).resolve()
            if path.is_relative_to(root) and path.is_file():
                out.append(DocumentFile(path, f"{d.id:05d}-{d.kind}{path.suffix}"))
    return m, out


def audit_log(code: str, limit: int = 300) -> dict:
    with session_scope() as s:
        m = find_movement(s, code)
        events = s.exec(
            select(AuditEvent)
            .where(AuditEvent.movement_id == m.id)
            .order_by(col(AuditEvent.id).desc())
            .limit(limit)
        ).all()
        return dict(m=m, events=events)


def _last_period(s: Session, movement: Movement) -> int:
    n = s.exec(select(func.max(Period.number)).where(Period.movement_id == movement.id)).one()
    return n or 1


def unit_progress(s: Session, movement: Movement) -> list[dict]:
    """One row per taking-part unit: registrations, each period's report, self-score total,
    nominations, and the share of targets in its latest report."""
    units = s.exec(
        select(id_col(Unit), Unit.code, Unit.name)
        .join(Participant, col(Participant.unit_id) == col(Unit.id))
        .where(Participant.movement_id == movement.id)
        .order_by(col(Unit.code))
    ).all()
    n_targets = s.exec(
        select(func.count()).select_from(Target).where(Target.movement_id == movement.id)
    ).one()
    reports: dict[int, dict[int, PeriodReport]] = defaultdict(dict)
    for r in s.exec(select(PeriodReport).where(PeriodReport.movement_id == movement.id)):
        reports[r.unit_id][r.period_number] = r
    filled = dict(
        s.exec(
            select(TargetResult.report_id, func.count())
            .join(PeriodReport, col(PeriodReport.id) == col(TargetResult.report_id))
            .where(PeriodReport.movement_id == movement.id)
            .group_by(col(TargetResult.report_id))
        ).all()
    )
    regs = Counter(
        s.exec(select(Registration.unit_id).where(Registration.movement_id == movement.id))
    )
    noms = Counter(s.exec(select(Nomination.unit_id).where(Nomination.movement_id == movement.id)))
    scores: dict[int, Decimal] = defaultdict(Decimal)
    for uid, pts in s.exec(
        select(col(Score.unit_id), col(Score.points)).where(
            Score.movement_id == movement.id, Score.scorer_kind == "self"
        )
    ):
        scores[uid] += pts
    rows = []
    for uid, code, name in units:
        mine = reports.get(uid, {})
        latest = max((r for r in mine.values() if r.status != ReportStatus.RETURNED),
                     key=lambda r: r.period_number, default=None)  # fmt: skip
        share = 100.0 * filled.get(saved_id(latest), 0) / n_targets if latest and n_targets else 0.0
        rows.append({"id": uid, "code": code, "name": name, "registrations": regs[uid],
                     "reports": mine, "score": scores.get(uid), "nominations": noms[uid],
                     "share": share})  # fmt: skip
    return rows


def dashboard(code: str) -> dict:
    """A movement's dashboard: its status, periods, progress by target and by unit,
    notification failures, the stage to offer first, the latest steps and stage requests, and
    every criteria table version."""
    from thidua import notify
    from thidua.documents.context_reports import progress_rows
    from thidua.lifecycle import offered_stages
    from thidua.status import movement_status
    from thidua.targets import target_progress

    with session_scope() as s:
        st = movement_status(s, code)
        m = st.movement
        periods = s.exec(
            select(Period).where(Period.movement_id == m.id).order_by(col(Period.number))
        ).all()
        on_targets = target_progress(s, m, _last_period(s, m))
        offered = offered_stages(s, m)
        stage_log = s.exec(  # the steps taken and the stages asked for
            select(AuditEvent)
            .where(
                AuditEvent.movement_id == m.id,
                col(AuditEvent.action).startswith("step.")
                | (AuditEvent.action == "stage.requested"),
            )
            .order_by(col(AuditEvent.id).desc())
            .limit(8)
        ).all()
        tables = s.exec(  # every version, the one in force first: the record of amendments
            select(CriteriaTable, Block.name)
            .join(Block, col(Block.id) == col(CriteriaTable.block_id), isouter=True)
            .where(CriteriaTable.movement_id == m.id)
            .order_by(
                col(CriteriaTable.replaced_at).is_not(None), col(CriteriaTable.version).desc()
            )
        ).all()
        return dict(
            st=st, m=m, periods=periods, progress_rows=progress_rows(on_targets),
            criteria_tables=tables, reported=on_targets.reported, units=unit_progress(s, m),
            failures=notify.failures(s, saved_id(m)), stage_log=stage_log,
            suggested=offered[0].name if offered else None,
        )  # fmt: skip


def target_chart(code: str):
    """The chart of progress by target, or None without targets."""
    from thidua.documents.context_reports import progress_figure
    from thidua.targets import target_progress

    with session_scope() as s:
        m = find_movement(s, code)
        return progress_figure(target_progress(s, m, _last_period(s, m)))


def unit_shares(code: str) -> list[tuple[str, float]]:
    """Each unit's share of targets in its latest report, for the chart."""
    with session_scope() as s:
        m = find_movement(s, code)
        return [(f"{u['code']} {u['name']}", u["share"]) for u in unit_progress(s, m)]
