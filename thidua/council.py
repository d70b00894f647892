"""The movement's council (Hội đồng Thi đua - Khen thưởng): where to find it and its sittings.
What its members do — vote, recuse, the roll call, closing the vote — and the head's approval
are steps (thidua.steps); the secret ballot itself is thidua.ballots."""

from sqlmodel import Session, col, select

from models import Council, Decision, Meeting, Movement
from models.db import session_scope
from thidua.errors import TransitionRefused
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


def council_of(session: Session, movement: Movement) -> Council:
    council = session.exec(select(Council).where(Council.movement_id == movement.id)).first()
    if council is None:
        raise TransitionRefused("Phong trào chưa có Hội đồng Thi đua - Khen thưởng.")
    return council


def decisions(code: str) -> list[Decision]:
    """The movement's drafted decisions and memos, in the order drafted."""
    with session_scope() as s:
        m = find_movement(s, code)
        return list(
            s.exec(select(Decision).where(Decision.movement_id == m.id).order_by(col(Decision.id)))
        )
