"""What the daily sweep should do for a movement today: the date-driven stages.

Periods open and close on their dates only when the movement says auto_periods; otherwise
only an admin moves them. A council vote whose deadline has passed is closed by the sweep."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlmodel import Session, col, select

from models import Council, Meeting, Movement, Period
from models.base import saved_id
from thidua.lifecycle import StageRun, StartStage, State

if TYPE_CHECKING:
    from thidua.notify import DeliveryReport


def due_stages(session: Session, movement: Movement, on: date) -> list[str]:
    """The stages the calendar says are due, by name, in the order to run them."""
    state = State(movement.state)
    if state == State.APPRAISAL and overdue_meetings(
        session, movement, datetime.combine(on, datetime.max.time())
    ):
        return ["decision"]
    if not movement.auto_periods:
        return []
    return period_stages(session, movement, on)


def period_stages(session: Session, movement: Movement, on: date) -> list[str]:
    """The period openings and closings the calendar makes due on `on`, in order: what the
    sweep runs for an auto_periods movement, and what the office does by hand otherwise."""
    state = State(movement.state)
    periods = {
        p.number: p for p in session.exec(select(Period).where(Period.movement_id == movement.id))
    }
    due: list[str] = []
    p1, p2 = periods.get(1), periods.get(2)
    if state == State.REGISTRATION and p1 and on >= p1.starts_on:
        due.append("open-period-1")
        state = State.PERIOD1_OPEN
    if state == State.PERIOD1_OPEN and p1 and on > p1.ends_on:
        due.append("close-period-1")
    if state == State.INTERIM_REVIEWED and p2 and on >= p2.starts_on:
        due.append("open-period-2")
        state = State.PERIOD2_OPEN
    if state == State.PERIOD2_OPEN and p2 and on > p2.ends_on:
        due.append("close-period-2")
    return due


def overdue_meetings(session: Session, movement: Movement, now: datetime) -> list[Meeting]:
    from thidua.vn import TZ

    meetings = session.exec(
        select(Meeting)
        .join(Council, col(Council.id) == col(Meeting.council_id))
        .where(Council.movement_id == movement.id, Meeting.status == "open")
    ).all()
    now = now if now.tzinfo else now.replace(tzinfo=TZ)
    return [m for m in meetings if m.vote_deadline is not None and _aware(m.vote_deadline) <= now]


def active_movements(session: Session) -> list[str]:
    done = {State.DRAFT.value, State.CLOSED.value}
    return [m.code for m in session.exec(select(Movement)) if m.state not in done]


def movements_with_due_messages(session: Session, now: datetime) -> list[str]:
    """Every movement, closed ones included, holding messages the ledger says are due: a
    retry whose time has come, or a reservation a crashed run left past its lease."""
    from thidua.notify.ledger import T, claimable

    ids = select(T.c.movement_id).where(claimable(now)).distinct()
    return list(session.exec(select(Movement.code).where(col(Movement.id).in_(ids))).all())


def _aware(dt: datetime) -> datetime:
    from datetime import UTC

    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)  # SQLite returns naive UTC


@dataclass
class SweepResult:
    """One movement's sweep on one day: the stages run, the reminders sent, the retries."""

    stages: list[StageRun] = field(default_factory=list)
    reminders: list = field(default_factory=list)  # thidua.notify.OutgoingMessage
    report: "DeliveryReport | None" = None  # of the reminders
    retried: "DeliveryReport | None" = None  # of the retries

    def lines(self, code: str) -> list[str]:
        out = [f"{code}: {r.stage} → {r.status} {r.message}" for r in self.stages]
        if self.report is not None:
            out.append(f"{code}: nhắc hạn — {self.report.summary()}")
        if self.retried is not None and (self.retried.sent or self.retried.failed_permanent):
            out.append(f"{code}: gửi lại — {self.retried.summary()}")
        return out


def sweep_movement(
    code: str,
    *,
    start_stage: StartStage,
    actor: str = "sweep",
    send: Callable | None = None,
) -> SweepResult:
    """The daily sweep of one movement at the movement clock's now: the stages the calendar
    says are due (each started by `start_stage`, which waits for it: the next one and the
    reminders depend on it), the reminders due today, the retries whose time has come. The
    flow passes its Prefect task as `send`; the demo's day loop calls this directly (no flow
    per day)."""
    from models.db import session_scope
    from thidua import ballots, notify, reminders
    from thidua.movements import find_movement
    from thidua.vn import now

    send = send or notify.deliver
    at = now()
    result = SweepResult()
    with session_scope() as s:
        movement = find_movement(s, code)
        due = due_stages(s, movement, at.date())
        if "decision" in due:
            ballots.close_due_meetings(s, actor=actor)
    for stage in due:
        run = start_stage(code, stage, actor=actor)
        if run is not None:  # None: it runs on in the background, nothing to report yet
            result.stages.append(run)
    with session_scope() as s:
        movement = find_movement(s, code)
        result.reminders = reminders.due_reminders(s, movement, at)
        movement_id = saved_id(movement)
    if result.reminders:
        result.report = send(movement_id, result.reminders)
    result.retried = notify.retry_due(movement_id)
    return result
