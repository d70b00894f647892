"""What the daily sweep should do for a movement today: the date-driven stages.

Periods open and close on their dates only when the movement says auto_periods; otherwise
only an admin moves them. A council vote whose deadline has passed is closed by the sweep."""

from datetime import date, datetime

from sqlmodel import Session, select

from models import Council, Meeting, Movement, Period
from thidua.lifecycle import Stage


def due_stages(session: Session, movement: Movement, on: date) -> list[str]:
    """The stage names (thidua.stages) the calendar says are due, in the order to run them."""
    stage = Stage(movement.stage)
    if stage == Stage.APPRAISAL and overdue_meetings(
        session, movement, datetime.combine(on, datetime.max.time())
    ):
        return ["decision"]
    if not movement.auto_periods:
        return []
    periods = {
        p.number: p for p in session.exec(select(Period).where(Period.movement_id == movement.id))
    }
    due: list[str] = []
    p1, p2 = periods.get(1), periods.get(2)
    if stage == Stage.REGISTRATION and p1 and on >= p1.starts_on:
        due.append("open-period-1")
        stage = Stage.PERIOD1_OPEN
    if stage == Stage.PERIOD1_OPEN and p1 and on > p1.ends_on:
        due.append("close-period-1")
    if stage == Stage.INTERIM_REVIEWED and p2 and on >= p2.starts_on:
        due.append("open-period-2")
        stage = Stage.PERIOD2_OPEN
    if stage == Stage.PERIOD2_OPEN and p2 and on > p2.ends_on:
        due.append("close-period-2")
    return due


def overdue_meetings(session: Session, movement: Movement, now: datetime) -> list[Meeting]:
    from thidua.vn import TZ

    meetings = session.exec(
        select(Meeting)
        .join(Council, Council.id == Meeting.council_id)
        .where(Council.movement_id == movement.id, Meeting.status == "open")
    ).all()
    now = now if now.tzinfo else now.replace(tzinfo=TZ)
    return [m for m in meetings if m.vote_deadline is not None and _aware(m.vote_deadline) <= now]


def active_movements(session: Session) -> list[str]:
    done = {Stage.DRAFT.value, Stage.CLOSED.value}
    return [m.code for m in session.exec(select(Movement)) if m.stage not in done]


def movements_with_due_messages(session: Session, now: datetime) -> list[str]:
    """Every movement, closed ones included, holding messages the ledger says are due: a
    retry whose time has come, or a reservation a crashed run left past its lease."""
    from thidua.notify.ledger import T, claimable

    ids = select(T.c.movement_id).where(claimable(now)).distinct()
    return list(session.exec(select(Movement.code).where(Movement.id.in_(ids))).all())


def _aware(dt: datetime) -> datetime:
    from datetime import UTC

    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)  # SQLite returns naive UTC
