"""After launch an admin may set a deadline or add or replace a criteria table: the domain
checks it, records it (audited, versioned: each change is a numbered event with the old and
the new; a replaced criteria table stays as a record beside its successor), and returns the
message telling the units' focal points. Documents already issued are files of their version
and are not touched.

    with session_scope() as s:
        m = find_movement(s, "hanam-sct-2022")
        messages = amend_deadline(s, m, "self_score", date(2022, 12, 5), actor=..., reason=...)
    deliver(m.id, messages)
"""

from datetime import date

from pydantic import ValidationError
from sqlalchemy import func
from sqlmodel import Session, col, select

from models import AuditEvent, Block, CriteriaTable, Criterion, Deadline, Movement, Score
from models.base import saved_id, utcnow
from thidua import announce
from thidua.errors import InvalidInput, Problem
from thidua.lifecycle import State, audit, period_count
from thidua.notify import OutgoingMessage
from thidua.spec_load import deadline_label, reason_vi
from thidua.spec_schema import DEADLINE_LABELS, CriteriaTableSpec
from thidua.vn import long_date, nfc, number

# From the tally on, scores and deadlines are facts of the record: no more changes.
CLOSED = {State.FINAL_TALLIED, State.PROPOSALS, State.APPRAISAL, State.APPROVAL, State.CLOSED}


def _version(session: Session, movement: Movement, action: str, key: str) -> int:
    done = session.exec(
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.movement_id == movement.id, AuditEvent.action == action,
               AuditEvent.entity_id == key)
    ).one()  # fmt: skip
    return done + 1


def _open(movement: Movement, what: str, problems: list[Problem]) -> None:
    if State(movement.state) in CLOSED or movement.state == State.DRAFT.value:
        when = "chưa phát động" if movement.state == State.DRAFT.value else "đã tổng kết"
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
    row = row or Deadline(movement_id=saved_id(movement), kind=kind, label=label, due_on=due_on)
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
    """Add the criteria table of a block (or of every block), or replace the one in force by a
    new version; the old version and the scores given against it stay as the record and no
    longer count, so the units scored against it owe a new self-score. The messages to send
    after commit."""
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
    block = None
    if table.block:
        block = session.exec(select(Block).where(Block.code == table.block)).first()
        if block is None:
            problems.append(Problem("block", f"không có khối thi đua mã '{table.block}'"))
    if not reason:
        problems.append(Problem("reason", "phải ghi lý do điều chỉnh"))
    if problems:
        raise InvalidInput(f"Không điều chỉnh được bảng tiêu chí của {movement.code}", problems)
    block_id = block.id if block else None
    versions = session.exec(
        select(CriteriaTable).where(
            CriteriaTable.movement_id == movement.id,
            CriteriaTable.block_id == block_id
            if block_id
            else col(CriteriaTable.block_id).is_(None),
        )
    ).all()
    current = next((t for t in versions if t.replaced_at is None), None)
    old = (
        session.exec(select(Criterion).where(Criterion.table_id == current.id)).all()
        if current
        else []
    )
    scored = set()
    if old:
        scored = set(
            session.exec(
                select(Score.unit_id)
                .where(col(Score.criterion_id).in_([c.id for c in old]))
                .distinct()
            )
        )
    version = max((t.version for t in versions), default=0) + 1
    if current is not None:
        current.replaced_at = utcnow()
        session.add(current)
    new = CriteriaTable(movement_id=saved_id(movement), block_id=block_id, name=table.name,
                        version=version)  # fmt: skip
    session.add(new)
    session.flush()
    session.add_all(
        Criterion(table_id=saved_id(new), seq=i, code=c.code, text=c.text, max_points=c.max_points,
                  evidence_required=c.evidence)
        for i, c in enumerate(table.criteria, 1)
    )  # fmt: skip
    key = table.block or "*"
    audit(session, actor=actor, movement_id=movement.id, entity="criteria_table", entity_id=key,
          action="criteria.amended", reason=reason,
          data={"version": version, "name": table.name, "table_id": new.id,
                "replaced_table_id": current.id if current else None,
                "units_scored_on_replaced": len(scored),
                "from": [[c.code, c.text, str(c.max_points)] for c in old],
                "to": [[c.code, c.text, str(c.max_points)] for c in table.criteria]})  # fmt: skip
    session.flush()
    total = number(sum(c.max_points for c in table.criteria), 2).removesuffix(",00")
    scope = f"khối {block.name}" if block else "các khối thi đua"
    change = (
        f"«{table.name}», phiên bản {version} ({len(table.criteria)} tiêu chí, tổng {total} "
        f"điểm), áp dụng cho {scope}"
    )
    if current is not None:
        change += f", thay «{current.name}» phiên bản {current.version}"
    if scored and current is not None:  # scores exist only against a table in force
        change += (
            f". Điểm đã chấm theo phiên bản {current.version} được lưu làm hồ sơ, không tính "
            f"khi tổng kết; {len(scored)} đơn vị đã chấm điểm theo phiên bản đó cần tự chấm "
            f"lại theo phiên bản {version}"
        )
    return _tell(session, movement, f"criteria:{key}:v{version}", "bảng tiêu chí chấm điểm",
                 change, reason)  # fmt: skip
