"""Replaying a movement's year on the movement clock (thidua.clock): each working day from the
launch to the decision, in order. Each day the daily sweep runs at 07:00 (the stages the
calendar makes due, the reminders the policy makes due, retries), then the office's stages
planned for that day at 08:00, then what the people do. Every date the system writes is that
day's, so the documents carry the movement's own calendar and quiet hours fall in its nights.

The office's stages fall on the days the spec implies: the launch on the directive's date (its
first working day when the day is left blank), the sơ kết on the first working day after the
Đợt 1 reports are due, the tổng kết and the call for proposals after the self-scores are due,
the appraisal after the nominations are due. Ordinary days call the sweep's domain function;
only stages run Prefect flows, through the `start_stage` handler the caller passes in."""

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import func
from sqlmodel import col, select

from thidua import clock
from thidua.holidays_vn import add_working_days, work_calendar
from thidua.lifecycle import StartStage

if TYPE_CHECKING:
    from thidua.sweep import SweepResult

SWEEP_AT, OFFICE_AT, PEOPLE_AT = time(7, 0), time(8, 0), time(9, 30)

STATUS = {"done": "xong", "already_done": "đã xong từ trước", "pending": "còn thông báo chờ gửi"}

# (what the timeline says, the call; it returns words for the timeline or None)
Action = tuple[str, Callable[[], str | None]]


@dataclass
class Plan:
    """The office's stages by day, from the spec's dates."""

    launch: date
    stages: dict[date, list[str]]
    due: dict[str, date]  # obligation kind → due date
    period_ends: dict[int, date]  # period number → its last day


@dataclass
class Day:
    on: date
    parts: list[str] = field(default_factory=list)

    def text(self) -> str:
        from thidua.vn import short_date

        return f"  {short_date(self.on):>10}  " + "; ".join(self.parts)


@dataclass
class Replay:
    days: list[Day] = field(default_factory=list)
    last: date | None = None
    state: str = ""


def first_working_day(d: date) -> date:
    cal = work_calendar()
    while not cal.is_working_day(d):
        d += timedelta(days=1)
    return d


def launch_day(issued_date: str, year: int) -> date:
    """The directive's date; when the spec leaves the day (or month) blank for the signer,
    the first working day of that month (or of the year)."""
    parts = [int(x) for x in (issued_date or str(year)).split("-")]
    d = date(parts[0], parts[1] if len(parts) > 1 else 1, parts[2] if len(parts) > 2 else 1)
    return first_working_day(d)


def plan(code: str) -> Plan:
    from models import Period
    from models.db import session_scope
    from thidua.movements import find_movement
    from thidua.obligations import due_dates

    with session_scope() as s:
        m = find_movement(s, code)
        due = due_dates(s, m)
        launch = launch_day(m.issued_date, m.year)
        periods = s.exec(select(Period).where(Period.movement_id == m.id)).all()
        ends = {x.number: x.ends_on for x in periods}
    after = {k: add_working_days(v, 1) for k, v in due.items()}
    stages: dict[date, list[str]] = {launch: ["launch"]}
    if "period_2_report" in due:  # a sơ kết only where there is a second period
        stages.setdefault(after["period_1_report"], []).append("interim-review")
    stages.setdefault(after["self_score"], []).extend(["final-tally", "award-proposal"])
    stages.setdefault(after["nominations"], []).append("appraisal")
    return Plan(launch, stages, due, dict(sorted(ends.items())))


def _by_hand(code: str, on: date, stages: list[str]) -> list[str]:
    """Where the periods do not open and close by themselves, the office does it on their
    dates (the calendar the daily sweep follows for an auto_periods movement); and whatever
    period is still open when the tally is due, the office closes first."""
    from models.db import session_scope
    from thidua.movements import find_movement
    from thidua.sweep import period_stages

    with session_scope() as s:
        m = find_movement(s, code)
        by_hand = [] if m.auto_periods else period_stages(s, m, on)
        if "final-tally" in stages and not by_hand:
            by_hand = [x for x in period_stages(s, m, date.max) if x.startswith("close-")]
    return by_hand + stages


def replay(
    code: str,
    data_dir: Path,
    actions: dict[date, list[Action]],
    *,
    start_stage: StartStage,
    until: date | None = None,
    say: Callable[[str], None] = print,
    stage: Callable[[str], str] | None = None,
    sweep: Callable[[str], "SweepResult"] | None = None,
) -> Replay:
    """Run the movement day by day until it closes, the year ends or `until`. The sweep's due
    stages start through `start_stage`; `stage(name)` runs an office stage and returns its
    status line (the demo times it), by default through `start_stage` too; `sweep(code)` runs
    the day's sweep and returns its SweepResult (a benchmark times it)."""
    from thidua.lifecycle import State, stage_def
    from thidua.sweep import sweep_movement

    p = plan(code)
    year_end = date(p.launch.year, 12, 31)
    end = min(until or year_end, year_end)

    def office_stage(name: str) -> str:
        started = start_stage(code, name, actor="admin")
        return started.status if started is not None else "scheduled"  # None: it runs on

    def daily_sweep(code: str) -> "SweepResult":
        return sweep_movement(code, actor="sweep", start_stage=start_stage)

    run = stage or office_stage
    sweep = sweep or daily_sweep
    from thidua.obligations import KIND_LABELS

    out = Replay()
    cal = work_calendar()
    snap = _Snapshot(code)
    seen: set[tuple[str, int]] = set()
    day = p.launch
    while day <= end:
        if not cal.is_working_day(day):
            day += timedelta(days=1)
            continue
        d = Day(day)
        clock.set_clock(datetime.combine(day, SWEEP_AT), data_dir)
        swept = sweep(code)
        d.parts += [
            f"tự động: {stage_def(r.stage).label} ({STATUS.get(r.status, r.status)})"
            for r in swept.stages
        ]
        # a reminder stays due until its next stage; the ledger sends it once: tell it once
        fresh = [m for m in swept.reminders if (m.event, m.person_id) not in seen]
        seen.update((m.event, m.person_id) for m in fresh)
        d.parts += _reminder_words(fresh)
        office = _by_hand(code, day, p.stages.get(day, []))
        if office:
            clock.set_clock(datetime.combine(day, OFFICE_AT), data_dir)
        for name in office:
            status = run(name)
            d.parts.append(f"{stage_def(name).label} ({status})")
        if actions.get(day):
            clock.set_clock(datetime.combine(day, PEOPLE_AT), data_dir)
        for _what, act in actions.get(day, []):
            words = act()
            if words:
                d.parts.append(words)
        due_today = [KIND_LABELS.get(k, k) for k, v in p.due.items() if v == day]
        if due_today:
            d.parts.insert(0, "hạn: " + ", ".join(due_today))
        busy = bool(swept.stages or fresh or office or actions.get(day))
        if busy or (swept.retried is not None and swept.retried.sent):
            d.parts += snap.news()
        if d.parts:
            out.days.append(d)
            say(d.text())
        out.last = day
        out.state = snap.state()
        if out.state == State.CLOSED.value:
            break
        day += timedelta(days=1)
    return out


def _reminder_words(messages: list) -> list[str]:
    """ "nhắc 38 người (Báo cáo kết quả Đợt 1, còn 3 ngày làm việc)", escalations apart."""
    from thidua.obligations import KIND_LABELS

    groups: Counter = Counter()
    for m in messages:
        c = m.context
        what = KIND_LABELS.get(c.get("obligation_kind", ""), c.get("obligation", ""))
        if m.kind == "escalation":
            groups[("báo cáo thủ trưởng đơn vị chậm", what, f"chậm {c['days_overdue']} ngày")] += 1
        elif c.get("phase") == "before":
            groups[("nhắc hạn", what, f"còn {c['days_left']} ngày làm việc")] += 1
        elif c.get("phase") == "on_day":
            groups[("nhắc hạn", what, "hạn hôm nay")] += 1
        else:
            groups[("nhắc quá hạn", what, f"chậm {c['days_overdue']} ngày làm việc")] += 1
    return [f"{a} {n} người ({what}, {when})" for (a, what, when), n in groups.items()]


class _Snapshot:
    """What a day added: documents issued and messages sent, held or failed."""

    def __init__(self, code: str) -> None:
        from models.db import session_scope
        from thidua.movements import find_movement

        with session_scope() as s:
            self.movement_id = find_movement(s, code).id
        self.last_doc = 0
        self.counts: Counter = Counter()
        self.news()

    def state(self) -> str:
        from models import Movement
        from models.db import session_scope

        with session_scope() as s:
            return s.get_one(Movement, self.movement_id).state

    def news(self) -> list[str]:
        from models import IssuedDocument, Notification
        from models.base import id_col
        from models.db import session_scope
        from thidua.documents.kinds import KINDS

        with session_scope() as s:
            docs = s.exec(
                select(IssuedDocument.kind, func.count(), func.max(id_col(IssuedDocument)))
                .where(
                    IssuedDocument.movement_id == self.movement_id,
                    col(IssuedDocument.id) > self.last_doc,
                )
                .group_by(IssuedDocument.kind)
            ).all()
            counts = Counter(
                dict(
                    s.exec(
                        select(Notification.status, func.count())
                        .where(Notification.movement_id == self.movement_id)
                        .group_by(Notification.status)
                    ).all()
                )
            )
        parts = []
        if docs:
            self.last_doc = max(self.last_doc, *(x[2] for x in docs))
            names = [f"{KINDS[k].label if k in KINDS else k} ({n})" for k, n, _ in sorted(docs)]
            parts.append("ban hành: " + ", ".join(names))
        sent = counts["sent"] - self.counts["sent"]
        failed = counts["failed"] - self.counts["failed"]
        held = counts["retry"] + counts["reserved"]
        msg = [f"gửi {sent}"] if sent else []
        msg += [f"không gửi được {failed}"] if failed else []
        msg += [f"đang chờ {held}"] if held else []
        if msg:
            parts.append("thông báo: " + ", ".join(msg))
        self.counts = counts
        return parts


def message_figures(movement_id: int) -> tuple[dict[str, int], list[str]]:
    """Messages sent, held and failed, and why any are held or failed (the ledger's answers,
    most frequent first)."""
    from models import Notification
    from models.db import session_scope

    with session_scope() as s:
        rows = s.exec(
            select(Notification.status, Notification.answer, func.count())
            .where(Notification.movement_id == movement_id)
            .group_by(col(Notification.status), col(Notification.answer))
        ).all()
    figures = {"thông báo đã gửi": 0, "thông báo đang chờ": 0, "thông báo không gửi được": 0}
    why: Counter = Counter()
    for status, answer, n in rows:
        if status == "sent":
            figures["thông báo đã gửi"] += n
        elif status in {"retry", "reserved"}:
            figures["thông báo đang chờ"] += n
            why[f"đang chờ: {answer or 'chưa đến lượt gửi'}"] += n
        elif status == "failed":
            figures["thông báo không gửi được"] += n
            why[f"không gửi được: {answer or 'không rõ'}"] += n
    return figures, [f"{n} — {w}" for w, n in why.most_common(5)]
