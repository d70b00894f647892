"""Urging (đôn đốc): which reminders fall due today under the movement's reminder policy.

The policy is data (models.Movement.reminder_policy, written by the spec loader):

    {before_working_days: [7, 3, 1], on_day: true, overdue_every_working_days: 2,
     escalate_after_working_days: 5}

counted in working days (thidua.holidays_vn: weekends, Vietnamese public holidays with Tết,
swapped days). For each (unit, obligation) still owed (thidua.obligations.outstanding, so a
unit that has submitted is never reminded), the reminder due — to the unit's focal points, or
its head when it has none — is the *latest* one whose day has come: 7, 3, 1 working days
before, on the day, then overdue on the 1st working day after and every N working days after
that; and once, after E working days overdue, an escalation to the unit head. A sweep that
missed a day catches up with the latest reminder only (never a burst of stale ones), and the event
key makes each reminder due once: "reminder:period_1_report:before:3:2022-06-30" (the due date is
part of the key, so a postponed deadline gets its own reminders). Nothing is due on a day off
or in quiet hours; so a deadline that falls on a day off has no on-day message (its "before"
reminders fall on the working days ahead of it, its overdue ones on the working days after).
"""

from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session

from models import Movement
from models.base import saved_id
from thidua.announce import unit_people
from thidua.holidays_vn import (
    WorkCalendar,
    add_working_days,
    is_working_day,
    work_calendar,
    working_days_between,
)
from thidua.notify import ledger, quiet
from thidua.notify.base import OutgoingMessage
from thidua.vn import TZ

__all__ = [
    "DEFAULT_POLICY",
    "Policy",
    "add_working_days",
    "due_reminders",
    "is_working_day",
    "latest_reminder",
    "working_days_between",
]

DEFAULT_POLICY = {
    "before_working_days": [7, 3, 1],
    "on_day": True,
    "overdue_every_working_days": 2,
    "escalate_after_working_days": 5,
}

TEMPLATE_FOR = {
    "registration": "registration_reminder",
    "period_1_report": "period_report_reminder",
    "period_2_report": "period_report_reminder",
    "self_score": "self_score_reminder",
    "nominations": "nomination_reminder",
}
FOCAL_POINT, UNIT_HEAD = "focal_point", "unit_head"


@dataclass(frozen=True)
class Policy:
    before: tuple[int, ...]
    on_day: bool
    overdue_every: int  # 0: no overdue reminders
    escalate_after: int  # 0: no escalation

    @classmethod
    def of(cls, movement: Movement) -> "Policy":
        p = {**DEFAULT_POLICY, **(movement.reminder_policy or {})}
        return cls(
            before=tuple(sorted({int(x) for x in p["before_working_days"] or [] if int(x) > 0})),
            on_day=bool(p["on_day"]),
            overdue_every=max(0, int(p["overdue_every_working_days"] or 0)),
            escalate_after=max(0, int(p["escalate_after_working_days"] or 0)),
        )


def latest_reminder(
    policy: Policy, due_on: date, today: date, cal: WorkCalendar | None = None
) -> tuple[str, str, int] | None:
    """(key, phase, n) of the latest reminder whose day has come, or None.

    key is the event suffix ("before:3", "on_day", "overdue:3"); phase is before | on_day |
    overdue; n is working days left (before) or overdue (overdue)."""
    cal = cal or work_calendar()
    if today > due_on:
        late = working_days_between(due_on, today, cal)
        if late >= 1 and policy.overdue_every:
            k = 1 + policy.overdue_every * ((late - 1) // policy.overdue_every)
            return f"overdue:{k}", "overdue", late
        if policy.on_day:
            return "on_day", "on_day", 0
    elif today == due_on and policy.on_day:
        return "on_day", "on_day", 0
    left = working_days_between(today, due_on, cal)
    # the smallest "k days before" whose day (k working days before due) has come
    for k in policy.before:
        if add_working_days(due_on, -k, cal) <= today:
            return f"before:{k}", "before", max(left, 0)
    return None


def due_reminders(session: Session, movement: Movement, now: datetime) -> list[OutgoingMessage]:
    """Every reminder and escalation due at `now` and not yet given (a sweep calls this, then
    deliver())."""
    from thidua.obligations import Owed, open_due_dates, outstanding

    local = now.astimezone(TZ)
    today = local.date()
    cal = work_calendar()
    if quiet.is_quiet(local) or not cal.is_working_day(today):
        return []
    policy = Policy.of(movement)
    # many units share a due date: each date's reminder once; people only for units with news
    latest: dict[date, tuple[tuple[str, str, int] | None, int]] = {}
    for due_on in set(open_due_dates(session, movement).values()):
        late = working_days_between(due_on, today, cal) if today > due_on else 0
        latest[due_on] = (latest_reminder(policy, due_on, today, cal), late)
    if not any(
        reminder is not None or (policy.escalate_after and late >= policy.escalate_after)
        for reminder, late in latest.values()
    ):
        return []  # most days of the year: nothing can be due, so who owes what is not read
    owed = outstanding(session, movement, today)

    def news(o: "Owed") -> bool:
        reminder, late = latest[o.due_on]
        return reminder is not None or bool(policy.escalate_after and late >= policy.escalate_after)

    owed = [o for o in owed if news(o)]
    units = {o.unit_id for o in owed}
    focal = unit_people(session, units, FOCAL_POINT)
    # heads only where they are written to: an escalation, a unit without a focal point
    escalated = {
        o.unit_id
        for o in owed
        if policy.escalate_after and latest[o.due_on][1] >= policy.escalate_after
    }
    heads = unit_people(session, escalated | (units - set(focal)), UNIT_HEAD)
    out: list[OutgoingMessage] = []
    for o in owed:
        ctx = {
            "unit_id": o.unit_id,
            "unit_code": o.unit_code,
            "unit_name": o.unit_name,
            "obligation_kind": o.kind,
            "obligation": o.label,
            "due_date": o.due_on,
            "days_left": 0,
            "days_overdue": 0,
        }
        if o.kind.startswith("period_"):
            ctx["period_number"] = int(o.kind.split("_")[1])
        reminder, late = latest[o.due_on]
        if reminder:
            name, phase, n = reminder
            c = {**ctx, "phase": phase, "days_left" if phase == "before" else "days_overdue": n}
            event = f"reminder:{o.kind}:{name}:{o.due_on.isoformat()}"
            kind = TEMPLATE_FOR.get(o.kind, "registration_reminder")
            # a unit without a focal point is not left unreminded: its head gets it
            to = focal.get(o.unit_id) or heads.get(o.unit_id, [])
            out += [OutgoingMessage(event, kind, p.id, c) for p in to]
        if policy.escalate_after and late >= policy.escalate_after:
            c = {**ctx, "phase": "overdue", "days_overdue": late}
            event = f"escalation:{o.kind}:{o.due_on.isoformat()}"
            out += [OutgoingMessage(event, "escalation", p.id, c) for p in heads.get(o.unit_id, [])]
    return _not_given(session, movement, out)


def _not_given(
    session: Session, movement: Movement, messages: list[OutgoingMessage]
) -> list[OutgoingMessage]:
    """The messages the ledger does not hold yet. On most reminder days the latest reminder is
    yesterday's, to units that each had it: one query for the day's few events, rather than a
    delivery that looks up, loads and skips every one of them."""
    if not messages:
        return messages
    held = ledger.given(session, saved_id(movement), (m.event for m in messages))
    return [m for m in messages if (m.event, f"person:{m.person_id}") not in held]
