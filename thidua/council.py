"""The movement's council (Hội đồng Thi đua - Khen thưởng): where to find it. What its members
do — vote, recuse, the roll call, closing the vote — and the head's approval are steps
(thidua.steps); the secret ballot itself is thidua.ballots."""

from sqlmodel import Session, col, select

from models import Council, Decision, Movement
from models.db import session_scope
from thidua.errors import TransitionRefused
from thidua.status import find_movement


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
