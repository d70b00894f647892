"""Where a movement stands: its state, the stages it may run next, the next deadlines, what
each unit still owes."""

from dataclasses import dataclass, field
from datetime import date

from sqlmodel import Session

from models import Movement
from models.base import saved_id
from thidua.lifecycle import State, movement_state_label, offered_stages, period_count
from thidua.movements import find_movement
from thidua.obligations import KIND_LABELS, Owed, due_dates, one_period_labels, outstanding
from thidua.vn import today


@dataclass
class MovementStatus:
    movement: Movement
    state: State
    state_label: str  # as this movement says it ("Đang thi đua" for a one-period one)
    next_stages: list[str]  # "close-period-1 (Kết thúc Đợt 1)": what `thidua stage run` takes
    deadlines: list[tuple[date, str]]  # upcoming, soonest first
    owed: dict[str, list[Owed]] = field(default_factory=dict)  # by unit code
    notification_failures: list[str] = field(default_factory=list)
    notifications_waiting: list[str] = field(default_factory=list)  # how many, and why


def movement_status(session: Session, code: str, on: date | None = None) -> MovementStatus:
    movement = find_movement(session, code)
    on = on or today()
    labels = dict(KIND_LABELS)
    if period_count(session, movement) == 1:
        labels.update(one_period_labels(movement.year))
    deadlines = sorted(
        (d, labels.get(k, k)) for k, d in due_dates(session, movement).items() if d >= on
    )
    owed: dict[str, list[Owed]] = {}
    for o in outstanding(session, movement, on):
        owed.setdefault(o.unit_code, []).append(o)
    return MovementStatus(
        movement=movement,
        state=State(movement.state),
        state_label=movement_state_label(session, movement),
        next_stages=[f"{d.name} ({d.label})" for d in offered_stages(session, movement)],
        deadlines=deadlines,
        owed=owed,
        notification_failures=_notification_failures(session, movement),
        notifications_waiting=_waiting(session, movement),
    )


def _notification_failures(session: Session, movement: Movement) -> list[str]:
    from thidua.notify import failures

    return [
        f"{f.person_name} ({f.unit_name}) qua {f.channel} [{f.address}]: {f.reason}"
        for f in failures(session, saved_id(movement))
    ]


def _waiting(session: Session, movement: Movement) -> list[str]:
    from thidua.notify import waiting

    return waiting(session, saved_id(movement))
