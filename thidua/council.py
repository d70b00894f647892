"""The council's and the head's decisions as the portal, the CLI and the demo make them:
each commits at once, and the one that completes a step starts the next stage through the
`start_stage` handler its caller passes in (thidua.lifecycle.StartStage).

- the last ballot in (or the chair closing the vote) → the `decision` stage;
- the head approving the last drafted decision → the `close` stage (certificates, notices)."""

from sqlmodel import Session, col, select

from models import Council, Meeting, Movement
from models.db import session_scope
from thidua import awarding, ballots
from thidua.errors import ThiduaError, TransitionRefused
from thidua.lifecycle import StartStage
from thidua.movements import find_movement


def current_meeting(session: Session, movement: Movement) -> Meeting | None:
    """The movement's latest council sitting."""
    return session.exec(
        select(Meeting)
        .join(Council, col(Council.id) == col(Meeting.council_id))
        .where(Council.movement_id == movement.id)
        .order_by(col(Meeting.id).desc())
    ).first()


def held_meeting(session: Session, movement: Movement) -> Meeting:
    """The latest sitting, for the steps that come after the council has sat."""
    meeting = current_meeting(session, movement)
    if meeting is None:
        raise TransitionRefused(f"Hội đồng chưa họp xét khen thưởng phong trào {movement.code}")
    return meeting


def _open_meeting(session, movement: Movement) -> Meeting:
    meeting = current_meeting(session, movement)
    if meeting is None or meeting.status != "open":
        raise ThiduaError("Hội đồng không có phiên bỏ phiếu nào đang mở.")
    return meeting


def vote(
    code: str,
    *,
    member_person_id: int,
    choices: dict[int, str] | None = None,
    nomination_id: int | None = None,
    choice: str | None = None,
    start_stage: StartStage,
) -> bool:
    """Cast a member's secret ballot paper: a choice (yes | no | blank) per nomination, or
    one choice on one nomination. Returns True when it completed the vote, which closed."""
    if choices is None:
        # as given: a missing choice is refused with the others by cast_ballot_paper
        choices = {nomination_id: str(choice)} if nomination_id is not None else {}
    with session_scope() as s:
        meeting = _open_meeting(s, find_movement(s, code))
        ballots.cast_ballot_paper(s, meeting, member_person_id=member_person_id, choices=choices)
    return _close_if_complete(code, start_stage)


def recuse(
    code: str, *, member_person_id: int, nomination_id: int, reason: str, start_stage: StartStage
) -> bool:
    with session_scope() as s:
        meeting = _open_meeting(s, find_movement(s, code))
        ballots.recuse(
            s, meeting, member_person_id=member_person_id, nomination_id=nomination_id,
            reason=reason,
        )  # fmt: skip
    return _close_if_complete(code, start_stage)


def mark_attendance(
    code: str, *, member_person_id: int, present: bool, reason: str | None, actor: str
) -> None:
    """The secretary's roll call for the open sitting (see ballots.mark_attendance)."""
    with session_scope() as s:
        ballots.mark_attendance(
            s, _open_meeting(s, find_movement(s, code)), member_person_id=member_person_id,
            present=present, reason=reason, actor=actor,
        )  # fmt: skip


def set_secretary(code: str, *, person_id: int, actor: str) -> None:
    """Name the council's secretary among its members."""
    with session_scope() as s:
        ballots.set_secretary(s, _council_of(s, find_movement(s, code)), person_id=person_id,
                              actor=actor)  # fmt: skip


def _council_of(session, movement: Movement) -> Council:
    council = session.exec(select(Council).where(Council.movement_id == movement.id)).first()
    if council is None:
        raise ThiduaError("Phong trào chưa có Hội đồng Thi đua - Khen thưởng.")
    return council


def close_vote(code: str, *, actor: str, start_stage: StartStage) -> None:
    """The chair closes the vote (or anyone once its deadline has passed)."""
    with session_scope() as s:
        ballots.close_meeting(s, _open_meeting(s, find_movement(s, code)), actor=actor)
    start_stage(code, "decision", actor=actor)


def _close_if_complete(code: str, start_stage: StartStage) -> bool:
    """Close the vote when every ballot is in. Of two last ballots arriving together, one
    closes and starts the next stage; the other finds it closed and does nothing."""
    try:
        with session_scope() as s:
            meeting = _open_meeting(s, find_movement(s, code))
            if not ballots.meeting_complete(s, meeting):
                return False
            ballots.close_meeting(s, meeting, actor="system")
    except TransitionRefused:
        return False
    start_stage(code, "decision", actor="system")
    return True


def approve(code: str, *, decision_id: int, actor: str, start_stage: StartStage) -> bool:
    """The head approves a drafted decision or memo. Returns True when that was the last one
    and the movement's closing stage started."""
    with session_scope() as s:
        movement = find_movement(s, code)
        awarding.approve_decision(s, decision_id=decision_id, actor=actor)
        s.flush()
        done = awarding.all_approved(s, movement)
    if done:
        start_stage(code, "close", actor=actor)
    return done


def decisions(code: str) -> list:
    from models import Decision

    with session_scope() as s:
        m = find_movement(s, code)
        return list(s.exec(select(Decision).where(Decision.movement_id == m.id)))
