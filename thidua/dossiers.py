"""Award dossiers (hồ sơ đề nghị khen thưởng): nominations with their evidence, returned for
correction, resubmitted, withdrawn, and — after a decision — revoked when obtained by fraud.

The statuses and the moves between them are thidua.statuses.NominationStatus. Every change is
audited with who, when and why; doing a step again changes nothing. While a dossier is on the
council's ballot paper (or once the council has voted on it) neither its unit nor the office
changes it: no evidence added, not returned, not withdrawn.

A unit ranks its own nominations for a title (priority 1, 2, …): where it proposes more than a
quota allows, its order decides who stays within the quota (thidua.rules.engine)."""

import hashlib
import uuid
from collections.abc import Callable, Mapping
from decimal import Decimal
from pathlib import Path

from sqlmodel import Session, col, select

from models import Council, DecisionItem, Evidence, Meeting, Movement, Nomination, Person, Unit
from models.base import id_col, saved_id, utcnow
from thidua import uploads
from thidua.errors import (
    InvalidInput,
    NotFound,
    Problem,
    Problems,
    ThiduaError,
    TransitionRefused,
    os_reason,
)
from thidua.files import write_whole
from thidua.lifecycle import State, audit, require_state
from thidua.settings import get_settings
from thidua.statuses import MeetingStatus, NominationStatus, check_move
from thidua.vn import nfc, number, parse_number

NOMINATION_STATES = frozenset({State.FINAL_TALLIED, State.PROPOSALS})
# A dossier is worked on (evidence, return, resubmission, withdrawal) until the council sits.
DOSSIER_STATES = frozenset({State.FINAL_TALLIED, State.PROPOSALS, State.APPRAISAL})
EVIDENCE_STATUSES = frozenset({NominationStatus.SUBMITTED, NominationStatus.RETURNED})
# The facts a form, a command line or a workbook gives as text.
TEXT_FACT_TYPES = frozenset({"enum", "number", "integer", "boolean", "initiatives"})
YES = frozenset({"1", "on", "true", "có", "x", "yes"})
NO = frozenset({"", "0", "off", "false", "không", "no"})

# A dossier withdrawn, rejected or revoked no longer holds its unit's priority.
FREED_PRIORITY = (NominationStatus.WITHDRAWN, NominationStatus.REJECTED, NominationStatus.REVOKED)

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


def below(session: Session) -> Callable[[int, int | None], bool]:
    """`under(unit_id, other)`: is `other` that unit or a unit below it? The organisation is
    read once, so a list's guards ask it per item without a query each."""
    parent_of = dict(session.exec(select(id_col(Unit), Unit.parent_id)).all())

    def under(unit_id: int, other: int | None) -> bool:
        seen: set[int] = set()
        while other is not None and other not in seen:
            if other == unit_id:
                return True
            seen.add(other)
            other = parent_of.get(other)
        return False

    return under


def units_of_active(session: Session, person_ids: list[int]) -> dict[int, int]:
    """{person id: unit id} of those of these people who are active, a query per 900 ids
    (SQLite's bound-parameter limit)."""
    ids = sorted(set(person_ids))
    out: dict[int, int] = {}
    for k in range(0, len(ids), 900):
        out.update(
            session.exec(
                select(id_col(Person), Person.unit_id).where(
                    col(Person.id).in_(ids[k : k + 900]), col(Person.active)
                )
            ).all()
        )
    return out


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
    subject_kind: str | None = None,
) -> Nomination:
    """A unit proposes one of its people, or itself or one of its sub-units, for a title of the
    movement's rule set that fits the subject, with its own priority among its nominations for
    that title (1 = first; optional). `subject_kind` (individual | collective), where the
    sender chose it, names what is missing when no subject is given. Sending the same dossier
    again changes nothing; another dossier for the same subject and title is refused."""
    from thidua.rules.engine import rule_set_for

    require_state(session, movement, NOMINATION_STATES, "gửi hồ sơ đề nghị khen thưởng")
    problems = Problems()
    if len(achievement or "") > uploads.MAX_TEXT:
        problems.add("Tóm tắt thành tích", uploads.too_long(achievement))
    if person_id is None and collective_unit_id is None:
        field = {"individual": "Cá nhân", "collective": "Tập thể"}.get(subject_kind or "")
        problems.add(field or "Đối tượng", "chưa chọn")
    elif person_id is not None and collective_unit_id is not None:
        problems.add("Đối tượng", "chọn một cá nhân hoặc một tập thể, không chọn cả hai")
    own = subtree(session, unit_id)
    kind, key = ("collective" if subject_kind == "collective" else "individual"), ""
    if person_id is not None:
        person = session.get(Person, person_id)
        if person is None or not person.active or person.unit_id not in own:
            problems.add("Cá nhân", "không thuộc đơn vị đề nghị")
        kind, key = "individual", f"person:{person_id}"
    if person_id is None and collective_unit_id is not None:
        kind, key = "collective", f"unit:{collective_unit_id}"
        if collective_unit_id not in own:
            problems.add("Tập thể", "không thuộc đơn vị đề nghị")
    title = nfc(title or "").strip()
    rs = rule_set_for(movement)
    if not title:
        problems.add("Danh hiệu", "chưa chọn")
    elif title not in rs.titles:
        problems.add("Danh hiệu", f"không có danh hiệu '{title}' (có: {', '.join(rs.titles)})")
    elif rs.titles[title].subject not in {kind, "both"}:
        whom = "cá nhân" if kind == "collective" else "tập thể"
        problems.add("Danh hiệu", f"{rs.titles[title].name} chỉ xét cho {whom}")
    problems.raise_if_any("Hồ sơ đề nghị không hợp lệ")
    achievement, facts = nfc(achievement or ""), nfc(facts or {})
    same = session.exec(
        select(Nomination).where(
            Nomination.movement_id == movement.id,
            Nomination.subject_key == key,
            Nomination.title == title,
        )
    ).first()
    if same is not None:
        if (same.unit_id, same.achievement, same.facts, same.priority) == (
            unit_id,
            achievement,
            facts,
            priority,
        ) and same.status in {NominationStatus.SUBMITTED, NominationStatus.RETURNED}:
            return same  # the same dossier sent again
        raise InvalidInput(
            f"Đã có hồ sơ đề nghị {rs.title_name(title)} cho đối tượng này (hồ sơ số "
            f"{same.id}): sửa hồ sơ đó thay vì gửi hồ sơ mới."
        )
    _check_priority(session, movement, unit_id, title, priority)
    nomination = Nomination(
        movement_id=saved_id(movement),
        unit_id=unit_id,
        subject_kind=kind,
        person_id=person_id,
        collective_unit_id=collective_unit_id,
        subject_key=key,
        title=title,
        achievement=achievement,
        facts=facts,
        priority=priority,
        status=NominationStatus.SUBMITTED,
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
        to_state=NominationStatus.SUBMITTED,
        data={"title": title, "subject": key, "priority": priority},
    )
    return nomination


# Dossiers that hold no place in a unit's order of priority.
_NOT_HELD = [NominationStatus.WITHDRAWN, NominationStatus.REJECTED, NominationStatus.REVOKED]


def nominate_many(
    session: Session, *, movement: Movement, items: list[dict], actor: str
) -> list[Nomination]:
    """Many nominations at once — a unit's list, or an import — under the same guards as
    `nominate`, checked for the whole list before anything is written (all or nothing), with a
    few queries for the list rather than a few per nomination. Each item has the keyword
    arguments of `nominate` (unit_id, title, person_id or collective_unit_id, achievement,
    facts, priority) and may name its own `actor`."""
    from thidua.errors import Problems

    require_state(session, movement, NOMINATION_STATES, "gửi hồ sơ đề nghị khen thưởng")
    from thidua.rules.engine import rule_set_for

    rs = rule_set_for(movement)
    under = below(session)

    person_unit = units_of_active(
        session, [i["person_id"] for i in items if i.get("person_id") is not None]
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
                col(Nomination.status).not_in(
                    [
                        NominationStatus.WITHDRAWN,
                        NominationStatus.REJECTED,
                        NominationStatus.REVOKED,
                    ]
                ),
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
        title = nfc(item["title"] or "").strip()
        if title not in rs.titles:
            problems.add(
                "Danh hiệu", f"không có danh hiệu '{title}' (có: {', '.join(rs.titles)})", where
            )
            continue
        if rs.titles[title].subject not in {kind, "both"}:
            problems.add("Danh hiệu", f"{rs.titles[title].name} không xét cho đối tượng này", where)
            continue
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
                status=NominationStatus.SUBMITTED,
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


def read_facts(rs, kind: str, given: Mapping[str, str], *, unticked_is_no: bool = False) -> dict:
    """A dossier's facts from text as a form, a command line or a workbook gives them: a value
    per fact key ("task_rating": "HTXSNV", "months_worked": "12", "exceeded_targets": "có"),
    and an initiatives fact as a count per level ("initiatives:co_so": "2"). Checked against
    the rule set — known, of the subject's kind, of its type, within its bounds — with every
    problem at once. A blank value states nothing (the rule set's default applies); with
    `unticked_is_no`, a yes/no fact not given is "no" (a form's unticked box, a blank cell).
    Facts of the other kind of subject are left out (a form shows both)."""
    problems, facts = Problems(), dict[str, object]()
    given = {nfc(str(k)).strip(): nfc(str(v or "")).strip() for k, v in given.items()}
    for k in given:
        if k.split(":")[0] not in rs.facts:
            problems.add(k, f"không có thông tin này trong bộ quy tắc (có: {', '.join(rs.facts)})")
    for f in rs.facts.values():
        if f.type not in TEXT_FACT_TYPES or f.subject not in {kind, "both"}:
            continue
        if f.type == "initiatives":  # a count per level of recognition
            counts = {}
            for level, label in f.values.items():
                raw = given.get(f"{f.key}:{level}", "")
                if raw and not (raw.isascii() and raw.isdigit() and len(raw) <= 6):
                    problems.add(f"{f.label} {label}", f"phải là số nguyên không âm: {raw[:20]}")
                elif raw and int(raw):
                    counts[level] = int(raw)
            if counts:
                facts[f.key] = counts
            continue
        text = given.get(f.key)
        if f.type == "boolean":
            if text is None or (text == "" and not unticked_is_no):
                if unticked_is_no:
                    facts[f.key] = False
                continue
            if text.casefold() not in YES | NO:
                problems.add(f.label, f"phải là 'có' hoặc 'không', không phải '{text[:20]}'")
                continue
            facts[f.key] = text.casefold() in YES
            continue
        if not text:
            continue
        raw = text
        if f.type == "enum":
            code = (
                raw
                if raw in f.values
                else next(
                    (c for c, label in f.values.items() if label.casefold() == raw.casefold()), None
                )
            )
            if code is None:
                problems.add(f.label, f"'{raw[:40]}' không có trong danh sách: "
                                      f"{', '.join(f.values)}")  # fmt: skip
                continue
            facts[f.key] = code
            continue
        try:
            value = parse_number(raw)
        except ValueError:
            problems.add(f.label, f"không phải là số: {raw[:20]}")
            continue
        if f.type == "integer" and value != int(value):
            problems.add(f.label, "phải là số nguyên")
            continue
        if (f.minimum is not None and value < Decimal(str(f.minimum))) or (
            f.maximum is not None and value > Decimal(str(f.maximum))
        ):
            problems.add(f.label, _range_text(f))
            continue
        facts[f.key] = int(value) if f.type == "integer" else float(value)
    problems.raise_if_any("Hồ sơ đề nghị không hợp lệ")
    return facts


def _range_text(f) -> str:
    if f.minimum is not None and f.maximum is not None:
        return f"phải từ {number(f.minimum)} đến {number(f.maximum)}"
    if f.minimum is not None:
        return f"không được nhỏ hơn {number(f.minimum)}"
    return f"không được lớn hơn {number(f.maximum)}"


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
            col(Nomination.status).not_in(FREED_PRIORITY),
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


def before_council(session: Session, nomination: Nomination) -> Meeting | None:
    """The council sitting whose ballot paper holds the dossier (the open one first), if any:
    from then on the dossier is the council's, as it was when the sitting opened."""
    return on_ballot(session, nomination.movement_id).get(saved_id(nomination))


def on_ballot(session: Session, movement_id: int) -> dict[int, Meeting]:
    """before_council for every dossier of the movement, in one query: {nomination id: the
    sitting holding it}, the open sitting first, else the latest."""
    out: dict[int, Meeting] = {}
    for meeting in session.exec(
        select(Meeting)
        .join(Council, col(Council.id) == col(Meeting.council_id))
        .where(Council.movement_id == movement_id)
        .order_by(col(Meeting.id).desc())
    ):
        for nid in (meeting.result or {}).get("agenda", []):
            held = out.get(nid)
            if held is None or (
                meeting.status == MeetingStatus.OPEN and held.status != MeetingStatus.OPEN
            ):
                out[nid] = meeting
    return out


def _not_before_council(
    session: Session,
    nomination: Nomination,
    doing: str,
    ballots: dict[int, dict[int, Meeting]] | None = None,
) -> None:
    """Refused once the dossier is on a ballot paper; `ballots` keeps on_ballot by movement
    for a list of dossiers (read once, not once a dossier)."""
    ballots = {} if ballots is None else ballots
    if nomination.movement_id not in ballots:
        ballots[nomination.movement_id] = on_ballot(session, nomination.movement_id)
    meeting = ballots[nomination.movement_id].get(saved_id(nomination))
    if meeting is None:
        return
    if meeting.status == MeetingStatus.OPEN:
        raise TransitionRefused(
            f"Không thể {doing}: hồ sơ số {nomination.id} đang được Hội đồng bỏ phiếu."
        )
    raise TransitionRefused(f"Không thể {doing}: Hội đồng đã bỏ phiếu hồ sơ số {nomination.id}.")


def _set_status(
    session: Session,
    nomination: Nomination,
    status: NominationStatus,
    *,
    actor: str,
    reason: str | None,
    doing: str = "",
    flush: bool = True,
) -> Nomination:
    """Move the dossier to `status` (a move thidua.statuses allows) and audit it."""
    previous = nomination.status
    if previous != status:
        check_move(previous, status, doing=doing or f"chuyển hồ sơ số {nomination.id}")
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


def _dossier_stage(session: Session, nomination: Nomination, doing: str) -> None:
    movement = session.get_one(Movement, nomination.movement_id)
    require_state(session, movement, DOSSIER_STATES, doing)


def return_dossier(
    session: Session, *, nomination: Nomination, reason: str, actor: str
) -> Nomination:
    """Send a dossier back to its unit for correction (trả lại), saying what to fix. Not while
    the council votes on it or once it has; returning a returned dossier changes nothing."""
    return_dossiers(session, [(nomination, reason)], actor=actor)
    return nomination


def return_dossiers(session: Session, returns: list[tuple[Nomination, str]], *, actor: str) -> None:
    """return_dossier for many dossiers (the appraisal's), each with its reason: the sittings
    read once and one flush; the first refusal, in list order, refuses the lot (the caller's
    transaction is rolled back)."""
    _move_dossiers(
        session,
        returns,
        NominationStatus.RETURNED,
        actor=actor,
        step="Trả lại hồ sơ",
        doing="trả lại hồ sơ",
        no_reason="phải nêu lý do trả lại",
    )


def withdraw(session: Session, *, nomination: Nomination, reason: str, actor: str) -> Nomination:
    """The unit withdraws its own dossier (rút hồ sơ), e.g. one the office returned as failing
    a criterion: it leaves the appraisal and takes no quota place. Not while the council votes
    on it or once it has; withdrawing a withdrawn dossier changes nothing."""
    withdraw_many(session, [(nomination, reason)], actor=actor)
    return nomination


def withdraw_many(
    session: Session, withdrawals: list[tuple[Nomination, str]], *, actor: str
) -> None:
    """withdraw for many dossiers, as return_dossiers does for returns."""
    _move_dossiers(
        session,
        withdrawals,
        NominationStatus.WITHDRAWN,
        actor=actor,
        step="Rút hồ sơ",
        doing="rút hồ sơ",
        no_reason="phải nêu lý do rút hồ sơ",
    )


def _move_dossiers(
    session: Session,
    moves: list[tuple[Nomination, str]],
    status: NominationStatus,
    *,
    actor: str,
    step: str,
    doing: str,
    no_reason: str,
) -> None:
    """Return or withdraw dossiers, each with its reason, checked in list order; a dossier
    already there is left as it is."""
    ballots: dict[int, dict[int, Meeting]] = {}
    for nomination, given in moves:
        reason = nfc(given or "").strip()
        if not reason:
            raise InvalidInput(step, [Problem("Lý do", no_reason)])
        uploads.check_text(reason, "Lý do")
        if nomination.status == status:
            continue
        what = f"{doing} số {nomination.id}"
        _dossier_stage(session, nomination, what)
        _not_before_council(session, nomination, what, ballots)
        _set_status(session, nomination, status, actor=actor, reason=reason, doing=what,
                    flush=False)  # fmt: skip
    session.flush()


def resubmit(
    session: Session,
    *,
    nomination: Nomination,
    actor: str,
    achievement: str | None = None,
    facts: dict | None = None,
) -> Nomination:
    """The unit sends a returned dossier again, corrected. Sending again one already sent, with
    nothing changed, changes nothing."""
    uploads.check_text(achievement, "Tóm tắt thành tích")
    achievement = None if achievement is None else nfc(achievement)
    facts = None if facts is None else nfc(facts)
    if nomination.status == NominationStatus.SUBMITTED and (
        achievement in (None, nomination.achievement) and facts in (None, nomination.facts)
    ):
        return nomination
    doing = f"gửi lại hồ sơ số {nomination.id}"
    if nomination.status != NominationStatus.RETURNED:
        raise TransitionRefused(f"Không thể {doing}: chỉ gửi lại được hồ sơ đã bị trả lại.")
    _dossier_stage(session, nomination, doing)
    if achievement is not None:
        nomination.achievement = achievement
    if facts is not None:
        nomination.facts = facts
    return _set_status(session, nomination, NominationStatus.SUBMITTED, actor=actor,
                       reason=None, doing=doing)  # fmt: skip


OUTCOMES = frozenset(
    {NominationStatus.ACCEPTED, NominationStatus.AWARDED, NominationStatus.REJECTED}
)


def set_outcome(
    session: Session, *, nomination: Nomination, status: str, actor: str, reason: str | None = None
) -> Nomination:
    """accepted / awarded / rejected, as the appraisal and the decision find."""
    if status not in OUTCOMES:
        raise ValueError(status)
    return _set_status(session, nomination, NominationStatus(status), actor=actor, reason=reason)


def set_outcomes(
    session: Session,
    nominations: list[Nomination],
    status: str,
    *,
    actor: str,
    reasons: dict[int, str] | None = None,
) -> None:
    """set_outcome for many nominations (a decision's thousands of items), flushed once."""
    if status not in OUTCOMES:
        raise ValueError(status)
    for n in nominations:
        reason = (reasons or {}).get(saved_id(n))
        _set_status(session, n, NominationStatus(status), actor=actor, reason=reason, flush=False)
    session.flush()


def revoke_award(
    session: Session, *, nomination: Nomination, reason: str, actor: str
) -> Nomination:
    """Revoke an award (e.g. obtained by fraud): the decision item keeps who, when and why."""
    reason = nfc(reason or "").strip()
    if not reason:
        raise InvalidInput("Thu hồi khen thưởng", [Problem("Lý do", "phải nêu lý do thu hồi")])
    if nomination.status == NominationStatus.REVOKED:
        return nomination
    if nomination.status != NominationStatus.AWARDED:
        raise TransitionRefused("Chỉ thu hồi được khen thưởng đã được quyết định.")
    item = session.exec(
        select(DecisionItem).where(DecisionItem.nomination_id == nomination.id)
    ).one()
    item.revoked_at, item.revoked_by, item.revoke_reason = utcnow(), actor, reason
    session.add(item)
    return _set_status(session, nomination, NominationStatus.REVOKED, actor=actor, reason=reason)


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
    is comes from its bytes (thidua.uploads), not from `filename` or `content_type`.

    Only for a dossier its unit still works on (sent or returned, before the council sits on
    it). The file is written before the row: the caller
    removes it (evidence_path) if its transaction does not commit. The same bytes under the
    same name again change nothing."""
    doing = f"bổ sung minh chứng cho hồ sơ số {nomination.id}"
    if nomination.status not in EVIDENCE_STATUSES:
        raise TransitionRefused(
            f"Không thể {doing}: hồ sơ đang ở trạng thái "
            f"'{NominationStatus(nomination.status).label}'."
        )
    _dossier_stage(session, nomination, doing)
    _not_before_council(session, nomination, doing)
    digest = hashlib.sha256(content).hexdigest()
    label = uploads.clean_label(Path(filename.replace("\\", "/")).name) or "tep"
    same = session.exec(
        select(Evidence).where(
            Evidence.nomination_id == nomination.id,
            Evidence.sha256 == digest,
            Evidence.filename == label,
        )
    ).first()
    if same is not None:  # the same file under the same name: sent twice
        return same
    content_type, ext = uploads.identify(content)
    uploads.check_room(session, saved_id(nomination), len(content))
    stored = f"{uuid.uuid4().hex}{ext}"
    try:  # whole or not at all: a full disk leaves no part of the file behind
        write_whole(get_settings().upload_dir / stored, content, private=True)
    except OSError as e:
        raise ThiduaError(f"Không lưu được tệp minh chứng: {os_reason(e)}; chưa ghi gì.") from None
    evidence = Evidence(
        nomination_id=saved_id(nomination),
        filename=label,
        stored_name=stored,
        content_type=content_type,
        size=len(content),
        sha256=digest,
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
