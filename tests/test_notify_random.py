"""Random failure patterns through the real SMTP path: whatever the server does for a while,
every deliverable message arrives exactly once and every refused one is reported."""

from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.test_notify_support import make_org, smtp  # noqa: F401
from thidua.notify import OutgoingMessage, deliver, retry_due

NOON = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)  # 09:00 in Hà Nội


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    fails=st.lists(st.integers(0, 3), min_size=6, max_size=6),  # 451s before success
    refused=st.sets(st.integers(0, 5), max_size=2),  # 550 for good
    batch=st.integers(1, 7),
    reruns=st.integers(0, 2),
)
def test_each_deliverable_message_arrives_exactly_once(
    sqlite_url,
    smtp,  # noqa: F811
    fails,
    refused,
    batch,
    reruns,
):
    org = make_org(sqlite_url, n_units=3, per_unit=2)
    people = org.people
    countdown = {p.email: n for p, n in zip(people, fails, strict=True)}
    bad = {people[i].email for i in refused}

    async def rcpt(server, session, envelope, address, rcpt_options):
        if address in bad:
            return "550 5.1.1 Hộp thư không tồn tại"
        if countdown.get(address, 0) > 0:
            countdown[address] -= 1
            return "451 4.3.0 Thử lại sau"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    smtp.handle_RCPT = rcpt
    before = len(smtp.received)
    msgs = [
        OutgoingMessage(
            "vote",
            "council_vote",
            p.id,
            {"phase": "reminder", "vote_deadline": "17:00 20/3", "nominee_count": 3},
        )
        for p in people
    ]
    t = NOON
    report = deliver(org.movement.id, msgs, batch_size=batch, now=t)
    failed, temporary = report.failed_permanent, report.failed_temporary
    for _ in range(reruns):  # a stage re-run changes nothing
        failed += deliver(org.movement.id, msgs, batch_size=batch, now=t).failed_permanent
    for _ in range(5):  # sweeps, each after the longest backoff so far
        t += timedelta(minutes=20)
        r = retry_due(org.movement.id, now=t, batch_size=batch)
        failed, temporary = failed + r.failed_permanent, temporary + r.failed_temporary
    got = [r for _, rs, _ in smtp.received[before:] for r in rs]
    assert sorted(got) == sorted(p.email for p in people if p.email not in bad)
    assert failed == len(bad)
    assert temporary == sum(n for p, n in zip(people, fails, strict=True) if p.email not in bad)
