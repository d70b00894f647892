"""After launch an admin may set a deadline or add or replace a criteria table: the domain
checks it, records it (audited, versioned: each change is a numbered event with the old and
the new), and returns the message telling the units' focal points. Documents already issued are
files of their version and are not touched.

    with session_scope() as s:
        m = find_movement(s, "hanam-sct-2022")
        messages = amend_deadline(s, m, "self_score", date(2022, 12, 5), actor=..., reason=...)
    deliver(m.id, messages)
"""

from datetime import date

from pydantic import ValidationError
from sqlalchemy import func
from sqlmodel import Session, select

from models import AuditEvent, Block, CriteriaTable, Criterion, Deadline, Movement, Score
from thidua import announce
from thidua.errors import InvalidInput, Problem
from thidua.lifecycle import Stage, audit, period_count
from thidua.notify import OutgoingMessage
from thidua.spec_load import deadline_label, reason_vi
from thidua.spec_schema import DEADLINE_LABELS, CriteriaTableSpec
from thidua.vn import long_date, nfc

# From the tally on, scores and deadlines are facts of the record: no more changes.
CLOSED = {Stage.FINAL_TALLIED, Stage.PROPOSALS, Stage.APPRAISAL, Stage.DECIDED, Stage.CLOSED}


def _version(session: Session, movement: Movement, action: str, key: str) -> int:
    done = session.exec(
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.movement_id == movement.id, AuditEvent.action == action,
               AuditEvent.entity_id == key)
    ).one()  # fmt: skip
    return done + 1


def _open(movement: Movement, what: str, problems: list[Problem]) -> None:
    if Stage(movement.stage) in CLOSED or movement.stage == Stage.DRAFT.value:
        when = "chưa phát động" if movement.stage == Stage.DRAFT.value else "đã tổng kết"
        problems.append(Problem("movement", f"phong trào {when}: không điều chỉnh {what} ở đây"))


def _tell(session: Session, movement: Movement, event: str, what: str, change: str,
          reason: str) -> list[OutgoingMessage]:  # fmt: skip
    return announce.to_people(
        announce.participant_people(session, movement, {"focal_point"}),
        event=event,
        kind="amendment_notice",
        context={"what": what, "change": change, "reason": reason},
    )


def amend_deadline(
    session: Session, movement: Movement, kind: str, due_on: date, *, actor: str, reason: str
) -> list[OutgoingMessage]:
    """Set (add or move) a deadline of a launched movement; the messages to send after commit."""
    reason = nfc(reason or "").strip()
    problems: list[Problem] = []
    _open(movement, "hạn", problems)
    one = period_count(session, movement) == 1
    if kind not in DEADLINE_LABELS:
        problems.append(Problem("kind", f"không có loại hạn '{kind}'; dùng: "
                                        f"{', '.join(DEADLINE_LABELS)}"))  # fmt: skip
    elif one and kind == "period_2_report":
        problems.append(Problem("kind", "phong trào chỉ có một đợt, không có hạn báo cáo Đợt 2"))
    if due_on.year not in (movement.year, movement.year + 1):
        problems.append(Problem("due_on", f"hạn phải thuộc năm {movement.year} (hoặc năm sau)"))
    if not reason:
        problems.append(Problem("reason", "phải ghi lý do điều chỉnh"))
    if problems:
        raise InvalidInput(f"Không điều chỉnh được hạn của phong trào {movement.code}", problems)
    row = session.exec(
        select(Deadline).where(Deadline.movement_id == movement.id, Deadline.kind == kind)
    ).first()
    before = row.due_on if row else None
    label = deadline_label(kind, None, movement.year if one else None)
    row = row or Deadline(movement_id=movement.id, kind=kind, label=label, due_on=due_on)
    row.due_on = due_on
    session.add(row)
    version = _version(session, movement, "deadline.amended", kind)
    audit(session, actor=actor, movement_id=movement.id, entity="deadline", entity_id=kind,
          action="deadline.amended", reason=reason,
          data={"version": version, "from": before.isoformat() if before else None,
                "to": due_on.isoformat()})  # fmt: skip
    session.flush()
    change = f"{row.label}: {long_date(due_on)}" + (f" (trước là {long_date(before)})" if before
                                                    else "")  # fmt: skip
    return _tell(session, movement, f"deadline:{kind}:v{version}", "hạn", change, reason)


def set_criteria_table(
    session: Session, movement: Movement, data: dict, *, actor: str, reason: str
) -> list[OutgoingMessage]:
    """Add the criteria table of a block (or of every block), or replace one no unit has yet
    been scored against; the messages to send after commit."""
    reason = nfc(reason or "").strip()
    problems: list[Problem] = []
    _open(movement, "bảng tiêu chí", problems)
    try:
        table = CriteriaTableSpec.model_validate(nfc(data))
    except ValidationError as e:
        problems += [
            Problem(".".join(str(p) for p in err["loc"]) or "criteria", reason_vi(err))
            for err in e.errors()
        ]
        raise InvalidInput("Bảng tiêu chí không hợp lệ", problems) from None
    block_id = None
    if table.block:
        block_id = session.exec(select(Block.id).where(Block.code == table.block)).first()
        if block_id is None:
            problems.append(Problem("block", f"không có khối thi đua mã '{table.block}'"))
    if not reason:
        problems.append(Problem("reason", "phải ghi lý do điều chỉnh"))
    current = session.exec(
        select(CriteriaTable).where(
            CriteriaTable.movement_id == movement.id, CriteriaTable.block_id == block_id
        )
    ).first()
    old = []
    if current is not None:
        old = session.exec(select(Criterion).where(Criterion.table_id == current.id)).all()
        scored = session.exec(
            select(func.count())
            .select_from(Score)
            .where(Score.criterion_id.in_([c.id for c in old] or [-1]))
        ).one()
        if scored:
            problems.append(Problem("criteria", f"đã có {scored} điểm chấm theo bảng hiện hành; "
                                    "không thay bảng được nữa"))  # fmt: skip
    if problems:
        raise InvalidInput(f"Không điều chỉnh được bảng tiêu chí của {movement.code}", problems)
    if current is None:
        current = CriteriaTable(movement_id=movement.id, block_id=block_id, name=table.name)
    current.name = table.name
    session.add(current)
    session.flush()
    for c in old:
        session.delete(c)
    session.flush()
    session.add_all(
        Criterion(table_id=current.id, seq=i, code=c.code, text=c.text, max_points=c.max_points,
                  evidence_required=c.evidence)
        for i, c in enumerate(table.criteria, 1)
    )  # fmt: skip
    key = table.block or "*"
    version = _version(session, movement, "criteria.amended", key)
    audit(session, actor=actor, movement_id=movement.id, entity="criteria_table", entity_id=key,
          action="criteria.amended", reason=reason,
          data={"version": version, "name": table.name,
                "from": [[c.code, c.text, str(c.max_points)] for c in old],
                "to": [[c.code, c.text, str(c.max_points)] for c in table.criteria]})  # fmt: skip
    session.flush()
    total = sum(c.max_points for c in table.criteria)
    change = f"{table.name} ({len(table.criteria)} tiêu chí, tổng {total:g} điểm)"
    return _tell(session, movement, f"criteria:{key}:v{version}", "bảng tiêu chí chấm điểm",
                 change, reason)  # fmt: skip
