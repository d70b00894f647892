"""Award dossiers (hồ sơ đề nghị khen thưởng): nominations with their evidence, returned for
correction, resubmitted, and — after a decision — revoked when obtained by fraud.

status: submitted → returned → submitted … → accepted → awarded | rejected; awarded → revoked;
submitted | returned → withdrawn (by its unit). Every change is audited with who, when and why.

A unit ranks its own nominations for a title (priority 1, 2, …): where it proposes more than a
quota allows, its order decides who stays within the quota (thidua.rules.engine)."""

import hashlib
import uuid
from pathlib import Path

from sqlmodel import Session, col, select

from models import DecisionItem, Evidence, Movement, Nomination, Person, Unit
from models.base import id_col, saved_id, utcnow
from thidua import uploads
from thidua.errors import InvalidInput, NotFound, Problem, ThiduaError
from thidua.lifecycle import State, audit
from thidua.settings import get_settings
from thidua.vn import nfc

NOMINATION_STATES = {State.FINAL_TALLIED, State.PROPOSALS}
RETURNABLE = {"submitted", "accepted"}
WITHDRAWABLE = {"submitted", "returned"}

MAX_EVIDENCE_BYTES = uploads.MAX_FILE_BYTES


def subtree(session: Session, unit_id: int) -> set[int]:
    """The unit and every unit below it, at any depth."""
    children: dict[int | None, list[int]] = {}
    for uid, parent in session.exec(select(id_col(Unit), Unit.parent_id)):
        children.setdefault(parent, []).append(uid)
    found, stack = set(), [unit_id]
    while stack:
        u = stack.pop()
        if u not in found:
            found.add(u)
            stack.extend(children.get(u, []))
    return found


def nominate(
    session: Session,
    *,
    movement: Movement,
    unit_id: int,
    title: str,
    actor: str,
    person_id: int | None = None,
    collective_unit_id: int | None = None,
    achievement: str = "",
    facts: dict | None = None,
    priority: int | None = None,
) -> Nomination:
    """A unit proposes one of its people, or itself or one of its sub-units, for a title,
    with its own priority among its nominations for that title (1 = first; optional)."""
    uploads.check_text(achievement, "achievement")
    if State(movement.state) not in NOMINATION_STATES:
        raise ThiduaError(
            f"Chưa nhận hồ sơ đề nghị khen thưởng: phong trào đang ở giai đoạn "
            f"'{State(movement.state).label}'."
        )
    if (person_id is None) == (collective_unit_id is None):
        raise InvalidInput(
            "Hồ sơ không hợp lệ",
            [Problem("subject", "phải chọn đúng một cá nhân hoặc một tập thể")],
        )
    own = subtree(session, unit_id)
    if person_id is not None:
        person = session.get(Person, person_id)
        if person is None or person.unit_id not in own:
            raise InvalidInput(
                "Hồ sơ không hợp lệ",
                [Problem("person_id", "cá nhân không thuộc đơn vị đề nghị")],
            )
        kind, key = "individual", f"person:{person_id}"
    else:
        if collective_unit_id not in own:
            raise InvalidInput(
                "Hồ sơ không hợp lệ",
                [Problem("collective_unit_id", "tập thể không thuộc đơn vị đề nghị")],
            )
        kind, key = "collective", f"unit:{collective_unit_id}"
    title = nfc(title)
    _check_priority(session, movement, unit_id, title, priority)
    duplicate = session.exec(
        select(Nomination.id).where(
            Nomination.movement_id == movement.id,
            Nomination.subject_key == key,
            Nomination.title == title,
        )
    ).first()
    if duplicate is not None:
        raise ThiduaError(
            f"Đã có hồ sơ đề nghị danh hiệu {title} cho đối tượng này (số {duplicate})."
        )
    nomination = Nomination(
        movement_id=saved_id(movement),
        unit_id=unit_id,
        subject_kind=kind,
        person_id=person_id,
        collective_unit_id=collective_unit_id,
        subject_key=key,
        title=title,
        achievement=nfc(achievement),
        facts=nfc(facts or {}),
        priority=priority,
        status="submitted",
        submitted_by=actor,
    )
    session.add(nomination)
    session.flush()
    audit(
        session,
        actor=actor,
        movement_id=movement.id,
        entity="nomination",
        entity_id=nomination.id,
        action="nomination.submitted",
        to_state="submitted",
        data={"title": title, "subject": key, "priority": priority},
    )
    return nomination


def nominate_many(
    session: Session, *, movement: Movement, items: list[dict], actor: str
) -> list[Nomination]:
    """Many nominations at once — a unit's list, or an import — under the same guards as
    `nominate`, checked for the whole list before anything is written (all or nothing), with a
    few queries for the list rather than a few per nomination. Each item has the keyword
    arguments of `nominate` (unit_id, title, person_id or collective_unit_id, achievement,
    facts, priority) and may name its own `actor`."""
    from thidua.errors import Problems

    if State(movement.state) not in NOMINATION_STATES:
        raise ThiduaError(
            f"Chưa nhận hồ sơ đề nghị khen thưởng: phong trào đang ở giai đoạn "
            f"'{State(movement.state).label}'."
        )
    parent_of = dict(session.exec(select(Unit.id, Unit.parent_id)).all())

    def under(unit_id: int, other: int | None) -> bool:  # `other` is unit_id or below it
        seen: set[int] = set()
        while other is not None and other not in seen:
            if other == unit_id:
                return True
            seen.add(other)
            other = parent_of.get(other)
        return False

    person_ids = [i["person_id"] for i in items if i.get("person_id") is not None]
    person_unit: dict[int, int] = {}
    for k in range(0, len(person_ids), 900):
        person_unit.update(
            session.exec(
                select(id_col(Person), Person.unit_id).where(
                    col(Person.id).in_(person_ids[k : k + 900])
                )
            ).all()
        )
    taken_keys: dict[tuple[str, str], int | None] = {
        (key, title): nid
        for nid, key, title in session.exec(
            select(Nomination.id, Nomination.subject_key, Nomination.title).where(
                Nomination.movement_id == movement.id
            )
        )
    }
    taken_priority: dict[tuple[int, str, int | None], int | None] = {
        (unit_id, title, priority): nid
        for nid, unit_id, title, priority in session.exec(
            select(Nomination.id, Nomination.unit_id, Nomination.title, Nomination.priority).where(
                Nomination.movement_id == movement.id,
                col(Nomination.priority).is_not(None),
                col(Nomination.status).not_in(["withdrawn", "rejected", "revoked"]),
            )
        )
    }
    problems = Problems()
    rows: list[Nomination] = []
    for n, item in enumerate(items, start=1):
        where = f"hồ sơ thứ {n}"
        unit_id, person_id = item["unit_id"], item.get("person_id")
        collective = item.get("collective_unit_id")
        achievement = item.get("achievement") or ""
        if len(achievement) > uploads.MAX_TEXT:
            problems.add("achievement", f"dài quá {uploads.MAX_TEXT} ký tự", where)
            continue
        if (person_id is None) == (collective is None):
            problems.add("subject", "phải chọn đúng một cá nhân hoặc một tập thể", where)
            continue
        if person_id is not None:
            if not under(unit_id, person_unit.get(person_id)):
                problems.add("person_id", "cá nhân không thuộc đơn vị đề nghị", where)
                continue
            kind, key = "individual", f"person:{person_id}"
        else:
            if not under(unit_id, collective):
                problems.add("collective_unit_id", "tập thể không thuộc đơn vị đề nghị", where)
                continue
            kind, key = "collective", f"unit:{collective}"
        title = nfc(item["title"])
        priority = item.get("priority")
        if priority is not None:
            if isinstance(priority, bool) or not isinstance(priority, int) or priority < 1:
                problems.add(
                    "Thứ tự ưu tiên",
                    f"phải là số nguyên từ 1 trở lên, không phải '{priority}'",
                    where,
                )
                continue
            if (unit_id, title, priority) in taken_priority:
                problems.add(
                    "Thứ tự ưu tiên",
                    f"đơn vị đã dùng thứ tự {priority} cho hồ sơ số "
                    f"{taken_priority[(unit_id, title, priority)] or 'khác trong danh sách'}",
                    where,
                )
                continue
            taken_priority[(unit_id, title, priority)] = None
        if (key, title) in taken_keys:
            other = taken_keys[(key, title)]
            problems.add(
                "subject",
                f"đã có hồ sơ đề nghị danh hiệu {title} cho đối tượng này"
                + (f" (số {other})" if other else " trong danh sách"),
                where,
            )
            continue
        taken_keys[(key, title)] = None
        rows.append(
            Nomination(
                movement_id=saved_id(movement),
                unit_id=unit_id,
                subject_kind=kind,
                person_id=person_id,
                collective_unit_id=collective,
                subject_key=key,
                title=title,
                achievement=nfc(achievement),
                facts=nfc(item.get("facts") or {}),
                priority=priority,
                status="submitted",
                submitted_by=item.get("actor") or actor,
            )
        )
    problems.raise_if_any("Danh sách hồ sơ đề nghị khen thưởng không hợp lệ; chưa ghi hồ sơ nào")
    session.add_all(rows)
    session.flush()
    for nomination in rows:
        audit(
            session,
            actor=nomination.submitted_by,
            movement_id=movement.id,
            entity="nomination",
            entity_id=nomination.id,
            action="nomination.submitted",
            to_state="submitted",
            data={"title": nomination.title, "subject": nomination.subject_key,
                  "priority": nomination.priority},
        )  # fmt: skip
    session.flush()
    return rows


def _check_priority(
    session: Session, movement: Movement, unit_id: int, title: str, priority: object
) -> None:
    """A whole number from 1, not given twice by one unit for one title."""
    if priority is None:
        return
    if isinstance(priority, bool) or not isinstance(priority, int) or priority < 1:
        raise InvalidInput(
            "Hồ sơ không hợp lệ",
            [Problem("Thứ tự ưu tiên", f"phải là số nguyên từ 1 trở lên, không phải '{priority}'")],
        )
    taken = session.exec(
        select(Nomination.id).where(
            Nomination.movement_id == movement.id,
            Nomination.unit_id == unit_id,
            Nomination.title == title,
            Nomination.priority == priority,
            col(Nomination.status).not_in(["withdrawn", "rejected", "revoked"]),
        )
    ).first()
    if taken is not None:
        raise InvalidInput(
            "Hồ sơ không hợp lệ",
            [Problem("Thứ tự ưu tiên", f"đơn vị đã dùng thứ tự {priority} cho hồ sơ số {taken}")],
        )


def get_nomination(session: Session, nomination_id: int) -> Nomination:
    nomination = session.get(Nomination, nomination_id)
    if nomination is None:
        raise NotFound(f"Không tìm thấy hồ sơ {nomination_id}.")
    return nomination


def _set_status(
    session: Session,
    nomination: Nomination,
    status: str,
    *,
    actor: str,
    reason: str | None,
    flush: bool = True,
) -> Nomination:
    previous = nomination.status
    nomination.status = status
    nomination.status_reason = reason
    session.add(nomination)
    audit(
        session,
        actor=actor,
        movement_id=nomination.movement_id,
        entity="nomination",
        entity_id=nomination.id,
        action=f"nomination.{status}",
        from_state=previous,
        to_state=status,
        reason=reason,
    )
    if flush:
        session.flush()
    return nomination


def return_dossier(
    session: Session, *, nomination: Nomination, reason: str, actor: str
) -> Nomination:
    """Send a dossier back to its unit for correction (trả lại), saying what to fix."""
    reason = nfc(reason or "")
    if not reason:
        raise InvalidInput("Trả lại hồ sơ", [Problem("reason", "phải nêu lý do trả lại")])
    uploads.check_text(reason, "reason")
    if nomination.status not in RETURNABLE:
        raise ThiduaError(f"Không thể trả lại hồ sơ đang ở trạng thái '{nomination.status}'.")
    return _set_status(session, nomination, "returned", actor=actor, reason=reason)


def withdraw(session: Session, *, nomination: Nomination, reason: str, actor: str) -> Nomination:
    """The unit withdraws its own dossier (rút hồ sơ), e.g. one the office returned as failing
    a criterion: it leaves the appraisal and takes no quota place."""
    reason = nfc(reason or "")
    if not reason:
        raise InvalidInput("Rút hồ sơ", [Problem("Lý do", "phải nêu lý do rút hồ sơ")])
    if nomination.status not in WITHDRAWABLE:
        raise ThiduaError(f"Không thể rút hồ sơ đang ở trạng thái '{nomination.status}'.")
    return _set_status(session, nomination, "withdrawn", actor=actor, reason=reason)


def resubmit(
    session: Session,
    *,
    nomination: Nomination,
    actor: str,
    achievement: str | None = None,
    facts: dict | None = None,
) -> Nomination:
    if nomination.status != "returned":
        raise ThiduaError("Chỉ gửi lại được hồ sơ đã bị trả lại.")
    uploads.check_text(achievement, "achievement")
    if achievement is not None:
        nomination.achievement = nfc(achievement)
    if facts is not None:
        nomination.facts = nfc(facts)
    return _set_status(session, nomination, "submitted", actor=actor, reason=None)


def set_outcome(
    session: Session, *, nomination: Nomination, status: str, actor: str, reason: str | None = None
) -> Nomination:
    """accepted / awarded / rejected, as the appraisal and the decision find."""
    if status not in {"accepted", "awarded", "rejected"}:
        raise ValueError(status)
    return _set_status(session, nomination, status, actor=actor, reason=reason)


def set_outcomes(
    session: Session,
    nominations: list[Nomination],
    status: str,
    *,
    actor: str,
    reasons: dict[int, str] | None = None,
) -> None:
    """set_outcome for many nominations (a decision's thousands of items), flushed once."""
    if status not in {"accepted", "awarded", "rejected"}:
        raise ValueError(status)
    for n in nominations:
        reason = (reasons or {}).get(saved_id(n))
        _set_status(session, n, status, actor=actor, reason=reason, flush=False)
    session.flush()


def revoke_award(
    session: Session, *, nomination: Nomination, reason: str, actor: str
) -> Nomination:
    """Revoke an award (e.g. obtained by fraud): the decision item keeps who, when and why."""
    reason = nfc(reason or "")
    if not reason:
        raise InvalidInput("Thu hồi khen thưởng", [Problem("reason", "phải nêu lý do thu hồi")])
    if nomination.status != "awarded":
        raise ThiduaError("Chỉ thu hồi được khen thưởng đã được quyết định.")
    item = session.exec(
        select(DecisionItem).where(DecisionItem.nomination_id == nomination.id)
    ).one()
    item.revoked_at, item.revoked_by, item.revoke_reason = utcnow(), actor, reason
    session.add(item)
    return _set_status(session, nomination, "revoked", actor=actor, reason=reason)


def add_evidence(
    session: Session,
    *,
    nomination: Nomination,
    filename: str,
    content: bytes,
    content_type: str,
    actor: str,
) -> Evidence:
    """Store an evidence file outside the web root under a generated name; the uploader's
    file name is kept only as a cleaned label and never reaches the file system. What the file
    is comes from its bytes (thidua.uploads), not from `filename` or `content_type`."""
    content_type, ext = uploads.identify(content)
    uploads.check_room(session, saved_id(nomination), len(content))
    stored = f"{uuid.uuid4().hex}{ext}"
    uploads.write_private(get_settings().upload_dir / stored, content)
    evidence = Evidence(
        nomination_id=saved_id(nomination),
        filename=uploads.clean_label(Path(filename.replace("\\", "/")).name) or "tep",
        stored_name=stored,
        content_type=content_type,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        uploaded_by=actor,
    )
    session.add(evidence)
    audit(
        session,
        actor=actor,
        movement_id=nomination.movement_id,
        entity="evidence",
        entity_id=stored,
        action="evidence.uploaded",
        data={"nomination": nomination.id, "size": len(content)},
    )
    session.flush()
    return evidence


def evidence_path(evidence: Evidence) -> Path:
    return get_settings().upload_dir / evidence.stored_name
