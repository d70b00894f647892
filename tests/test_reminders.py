"""Working days across Tết and the reminder policy, against thidua.obligations on both
databases."""

from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlmodel import Session, select

from models import Deadline, Movement, Notification, Participant, Person, Registration
from models.db import engine_for
from tests.test_notify_support import make_org
from thidua.notify import deliver
from thidua.reminders import (
    Policy,
    add_working_days,
    due_reminders,
    is_working_day,
    latest_reminder,
    working_days_between,
)
from thidua.settings import reset_settings
from thidua.vn import TZ


def at(d: date, hour: int = 9) -> datetime:
    return datetime(d.year, d.month, d.day, hour, tzinfo=TZ)


# --- the calendar --------------------------------------------------------------------------


def test_tet_2026_is_five_days_off_between_two_weekends():
    assert [is_working_day(date(2026, 2, d)) for d in range(13, 24)] == [
        True,
        False,
        False,
        False,
        False,
        False,
        False,
        False,
        False,
        False,
        True,
    ]  # Fri 13 works; Sat 14 … Sun 22 off; Mon 23 works
    assert add_working_days(date(2026, 2, 13), 1) == date(2026, 2, 23)
    assert working_days_between(date(2026, 2, 12), date(2026, 2, 24)) == 3
    assert add_working_days(date(2026, 2, 25), -3) == date(2026, 2, 13)
    assert working_days_between(date(2026, 2, 24), date(2026, 2, 12)) == -3


def test_lunar_and_swapped_days():
    assert not is_working_day(date(2025, 1, 29))  # Mùng một Tết Ất Tỵ
    assert not is_working_day(date(2025, 4, 7))  # Giỗ Tổ Hùng Vương (10/3 âm lịch)
    assert not is_working_day(date(2024, 4, 29))  # swapped day off …
    assert is_working_day(date(2024, 5, 4))  # … for this Saturday worked
    assert not is_working_day(date(2026, 8, 31)) and is_working_day(date(2026, 8, 22))
    assert not is_working_day(date(2026, 11, 24))  # Ngày Văn hóa Việt Nam, from 2026
    assert not is_working_day(date(2025, 9, 1)) and not is_working_day(date(2025, 9, 2))
    assert is_working_day(date(2025, 9, 3))


def test_the_holiday_list_is_data_an_office_can_override(tmp_path: Path, monkeypatch):
    own = tmp_path / "calendar"
    own.mkdir()
    (own / "holidays_vn.yaml").write_text(
        "use_package: true\n"
        "days_off: [{date: 2026-03-11, name: Nghỉ riêng của tỉnh}]\n"
        "working_days: [2026-03-14]\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("THIDUA_TEMPLATE_DIR", str(tmp_path))
    reset_settings()
    try:
        assert not is_working_day(date(2026, 3, 11))
        assert is_working_day(date(2026, 3, 14))  # a Saturday worked
        assert add_working_days(date(2026, 3, 10), 1) == date(2026, 3, 12)
    finally:
        reset_settings()


@settings(max_examples=200, deadline=None)
@given(st.dates(date(2023, 1, 1), date(2027, 12, 31)), st.integers(-40, 40))
def test_add_and_between_are_inverse(d: date, n: int):
    e = add_working_days(d, n)
    assert working_days_between(d, e) == n
    if n:
        assert is_working_day(e)


# --- the policy ----------------------------------------------------------------------------

POLICY = Policy(before=(1, 3, 7), on_day=True, overdue_every=2, escalate_after=5)


def test_reminders_around_a_deadline_after_tet():
    due = date(2026, 2, 25)  # Wed after Tết
    latest = lambda d: latest_reminder(POLICY, due, d)  # noqa: E731
    assert latest(date(2026, 2, 6)) is None
    assert latest(date(2026, 2, 9)) == ("before:7", "before", 7)
    assert latest(date(2026, 2, 12)) == ("before:7", "before", 4)
    assert latest(date(2026, 2, 13)) == ("before:3", "before", 3)  # 3 working days, over Tết
    assert latest(date(2026, 2, 24)) == ("before:1", "before", 1)
    assert latest(due) == ("on_day", "on_day", 0)
    assert latest(date(2026, 2, 26)) == ("overdue:1", "overdue", 1)
    assert latest(date(2026, 2, 27)) == ("overdue:1", "overdue", 2)
    assert latest(date(2026, 3, 2)) == ("overdue:3", "overdue", 3)
    no_overdue = Policy(before=(), on_day=False, overdue_every=0, escalate_after=0)
    assert latest_reminder(no_overdue, due, date(2026, 3, 2)) is None


def _registration_movement(url: str, due: date) -> tuple:
    org = make_org(url, n_units=3, per_unit=3, state="registration")
    with Session(engine_for(url)) as s:
        for u in org.units:
            s.add(Participant(movement_id=org.movement.id, unit_id=u.id))
        s.add(
            Deadline(
                movement_id=org.movement.id,
                kind="registration",
                label="Đăng ký thi đua",
                due_on=due,
            )
        )
        # the first unit has registered: it is never reminded
        s.add(
            Registration(
                movement_id=org.movement.id,
                unit_id=org.units[0].id,
                subject_key=f"unit:{org.units[0].id}",
                title="TTLDXS",
                submitted_by="u0",
            )
        )
        s.commit()
    return org


def _due(url: str, movement_id: int, when: datetime):
    with Session(engine_for(url)) as s:
        return due_reminders(s, s.get(Movement, movement_id), when)


def test_due_reminders_follow_the_policy_and_skip_units_that_submitted(db_url):
    due = date(2026, 2, 25)
    org = _registration_movement(db_url, due)
    mid = org.movement.id
    focal = {p.id for p in org.people if "focal_point" in p.roles and p.unit_id != org.units[0].id}
    heads = {p.id for p in org.people if "unit_head" in p.roles and p.unit_id != org.units[0].id}

    msgs = _due(db_url, mid, at(date(2026, 2, 13)))
    assert {m.person_id for m in msgs} == focal  # 2 units × 2 focal points, not unit 0
    assert {m.event for m in msgs} == {"reminder:registration:before:3:2026-02-25"}
    assert {m.kind for m in msgs} == {"registration_reminder"}
    assert msgs[0].context["days_left"] == 3 and msgs[0].context["phase"] == "before"

    assert _due(db_url, mid, at(date(2026, 2, 17))) == []  # Tết: nothing is sent
    assert _due(db_url, mid, datetime(2026, 2, 24, 22, 0, tzinfo=TZ)) == []  # quiet hours
    assert {m.event for m in _due(db_url, mid, at(due))} == {
        "reminder:registration:on_day:2026-02-25"
    }
    late = _due(db_url, mid, at(date(2026, 3, 4)))  # 5 working days overdue
    events = {m.event for m in late}
    assert events == {
        "reminder:registration:overdue:5:2026-02-25",
        "escalation:registration:2026-02-25",
    }
    escalations = [m for m in late if m.kind == "escalation"]
    assert {m.person_id for m in escalations} == heads
    assert escalations[0].context["days_overdue"] == 5


def test_reminders_delivered_once_per_stage_never_to_a_unit_that_submitted(db_url, monkeypatch):
    monkeypatch.delenv("THIDUA_EMAIL_URL", raising=False)
    monkeypatch.delenv("THIDUA_ZALO_URL", raising=False)
    reset_settings()
    due = date(2026, 3, 20)
    org = _registration_movement(db_url, due)
    mid = org.movement.id
    morning = at(date(2026, 3, 17))
    first = deliver(mid, _due(db_url, mid, morning), now=morning)
    assert first.sent == 4
    afternoon = morning + timedelta(hours=6)
    assert _due(db_url, mid, afternoon) == []  # each given once: nothing is due again
    # ... but one whose delivery failed for good stays due (its address may be corrected)
    with Session(engine_for(db_url)) as s:
        row = s.exec(select(Notification).where(Notification.movement_id == mid)).first()
        row.status = "failed"
        s.add(row)
        s.commit()
        failed_person = int(row.recipient.removeprefix("person:"))
    assert [m.person_id for m in _due(db_url, mid, afternoon)] == [failed_person]
    nxt = at(date(2026, 3, 19))
    assert deliver(mid, _due(db_url, mid, nxt), now=nxt).sent == 4  # before:1
    # the second unit registers: from now on only the third unit is reminded
    with Session(engine_for(db_url)) as s:
        s.add(
            Registration(
                movement_id=mid,
                unit_id=org.units[1].id,
                subject_key=f"unit:{org.units[1].id}",
                title="TTLDTT",
                submitted_by="u1",
            )
        )
        s.commit()
    on_day = _due(db_url, mid, at(due))
    assert {m.context["unit_id"] for m in on_day} == {org.units[2].id}


@pytest.mark.parametrize(
    "policy",
    [
        {},
        {
            "before_working_days": [2],
            "on_day": False,
            "overdue_every_working_days": 0,
            "escalate_after_working_days": 0,
        },
    ],
)
def test_policy_comes_from_the_movement(db_url, policy):
    org = make_org(db_url, reminder_policy=policy)
    p = Policy.of(org.movement)
    if policy:
        assert p == Policy(before=(2,), on_day=False, overdue_every=0, escalate_after=0)
    else:
        assert p == Policy(before=(1, 3, 7), on_day=True, overdue_every=2, escalate_after=5)


def test_a_reminder_waiting_for_retry_is_cancelled_once_the_unit_submits(db_url, monkeypatch):
    from tests.test_notify_support import SmtpSink
    from thidua.notify import retry_due

    sink = SmtpSink()  # down
    monkeypatch.setenv("THIDUA_EMAIL_URL", sink.url())
    reset_settings()
    due = date(2026, 3, 20)
    org = _registration_movement(db_url, due)
    mid = org.movement.id
    morning = at(date(2026, 3, 17))
    down = deliver(mid, _due(db_url, mid, morning), now=morning)
    assert down.failed_temporary == 4
    with Session(engine_for(db_url)) as s:  # unit 1 registers while the server is down
        s.add(
            Registration(
                movement_id=mid,
                unit_id=org.units[1].id,
                subject_key=f"unit:{org.units[1].id}",
                title="TTLDTT",
                submitted_by="u1",
            )
        )
        s.commit()
    sink.start()
    try:
        later = retry_due(mid, now=morning + timedelta(minutes=5))
        assert later.cancelled == 2 and later.sent == 2
        unit2 = {p.email for p in org.people if p.unit_id == org.units[2].id}
        assert {r for _, rs, _ in sink.received for r in rs} <= unit2
    finally:
        sink.stop()


def test_a_unit_without_a_focal_point_is_reminded_through_its_head(db_url):
    due = date(2026, 3, 20)
    org = _registration_movement(db_url, due)
    lonely = org.units[2]
    with Session(engine_for(db_url)) as s:
        for p in org.people:
            if p.unit_id == lonely.id and "focal_point" in p.roles:
                row = s.get(Person, p.id)
                row.active = False  # the focal point has left
                s.add(row)
        s.commit()
    msgs = _due(db_url, org.movement.id, at(date(2026, 3, 17)))
    head = next(p for p in org.people if p.unit_id == lonely.id and "unit_head" in p.roles)
    assert [m.person_id for m in msgs if m.context["unit_id"] == lonely.id] == [head.id]
    assert len({m.context["unit_id"] for m in msgs}) == 2  # units 1 and 2; unit 0 registered
