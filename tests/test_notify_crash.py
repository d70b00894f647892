"""A worker killed mid-send (SIGKILL, no cleanup): after the lease, the sweep sends what it had
reserved; nothing recorded as sent goes twice; nothing is lost; a kill costs at most the one
message each sending thread had in flight. Whole stages killed ten times during their fan-out,
on SQLite and PostgreSQL: tests/test_stage_kill.py."""

import asyncio
import multiprocessing
import os
import signal
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session

from models import Notification
from models.db import engine_for
from tests.test_notify_support import SmtpSink, make_org
from thidua.notify import OutgoingMessage, deliver, retry_due
from thidua.settings import reset_settings

NOON = datetime(2026, 3, 10, 5, 0, tzinfo=UTC)


class SlowSink(SmtpSink):
    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(0.01)
        return await super().handle_DATA(server, session, envelope)


def _worker(url: str, movement_id: int, msgs: list[OutgoingMessage]) -> None:
    engine_for(url).dispose(close=False)  # the parent's connections are not ours
    deliver(movement_id, msgs, batch_size=40, now=NOON)


def test_a_killed_worker_loses_nothing_and_repeats_nothing_marked_sent(sqlite_url, monkeypatch):
    sink = SlowSink()
    sink.start()
    try:
        monkeypatch.setenv("THIDUA_EMAIL_URL", sink.url())
        reset_settings()
        org = make_org(sqlite_url, n_units=10, per_unit=20)
        msgs = [
            OutgoingMessage(
                "quyet-dinh",
                "decision_announced",
                p.id,
                {
                    "decision_symbol": "125/QĐ-SCT",
                    "signed_on": NOON.date(),
                    "summary": "Tặng danh hiệu",
                },
            )
            for p in org.people
        ]
        proc = multiprocessing.get_context("fork").Process(
            target=_worker, args=(sqlite_url, org.movement.id, msgs)
        )
        proc.start()
        deadline = time.monotonic() + 20
        while len(sink.received) < 60 and time.monotonic() < deadline:
            time.sleep(0.01)
        os.kill(proc.pid, signal.SIGKILL)
        proc.join()
        with Session(engine_for(sqlite_url)) as s:
            before = dict(s.execute(sa.select(Notification.address, Notification.status)).all())
        assert 60 <= len(sink.received) < 200, "killed mid-way"
        assert "reserved" in before.values()  # it died holding reservations
        sent_before = {a for a, st in before.items() if st == "sent"}

        # within the lease nobody touches the dead worker's rows …
        assert retry_due(org.movement.id, now=NOON + timedelta(minutes=5)).sent == 0
        # … after it, the sweep sends them; the stage's re-run (a flow retry) sends the
        # messages the dead worker never reached, and a further re-run sends nothing
        after = retry_due(org.movement.id, now=NOON + timedelta(minutes=11))
        assert after.sent == sum(1 for st in before.values() if st == "reserved")
        rerun = deliver(org.movement.id, msgs, now=NOON + timedelta(minutes=12))
        assert rerun.sent == 200 - len(before)
        assert deliver(org.movement.id, msgs, now=NOON + timedelta(minutes=13)).sent == 0
        got = Counter(r for _, rs, _ in sink.received for r in rs)
        assert set(got) == {p.email for p in org.people}  # nothing lost
        assert all(got[a] == 1 for a in sent_before)  # nothing marked sent went twice
        dupes = sum(n - 1 for n in got.values())
        assert dupes <= 1  # at most the one message the server had taken, not yet recorded
        assert after.sent + rerun.sent + len(sent_before) == 200
        with Session(engine_for(sqlite_url)) as s:
            assert set(s.scalars(sa.select(Notification.status))) == {"sent"}
    finally:
        sink.stop()
