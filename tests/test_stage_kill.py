"""Whole stages killed (SIGKILL, no cleanup) at random points and run again, on SQLite and
PostgreSQL (issue 15, item 11): the launch during its notification fan-out, the close during its
certificate issuing. After the last run: nothing lost, at most one duplicate per kill at the
SMTP server, no document issued twice, every file whole, no temp file left, and the movement in
the state the stage leads to, each of its steps taken once.

Each kill is followed by the next run of the same stage, as an admin runs it again. The movement
clock moves 11 minutes between runs, so the messages a dead run had reserved are past the
ledger's 10-minute lease and the next run takes them over. Runs are children of a fork server
(tests/stage_child.py) that run the stage's flow as `thidua stage run` does."""

import hashlib
import os
import random
import shutil
import signal
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import Session, col, select

from models import AuditEvent, Decision, IssuedDocument, Movement, Notification, Person
from models.db import engine_for
from tests.stage_child import notes, start_flow, wait_until
from tests.test_notify_support import SmtpSink
from thidua.announce import participant_people
from thidua.lifecycle import State, replay
from thidua.settings import PROJECT_ROOT
from thidua.vn import TZ

KILLS = 10
LEASE_GONE = timedelta(minutes=11)  # ledger.LEASE is 10 minutes


@pytest.fixture
def sink():
    s = SmtpSink()
    s.start()
    yield s
    s.stop()


def _env(db_url: str, data: Path, api: str, sink: SmtpSink, at: datetime) -> dict[str, str]:
    return {
        "THIDUA_DATABASE_URL": db_url,
        "THIDUA_DATA_DIR": str(data),
        "THIDUA_PDF": "false",
        "THIDUA_EMAIL_URL": sink.url(),
        "THIDUA_CLOCK": at.isoformat(timespec="minutes"),
        "PREFECT_API_URL": api,
    }


def _finish(env: dict[str, str], out: Path, code: str, stage: str) -> str:
    """The last run, to its end; returns its output."""
    proc = start_flow(env, out, code, stage)
    proc.join(timeout=120)
    text = out.read_text()
    assert proc.exitcode == 0, text
    assert "RUN done" in text and "Traceback" not in text, text
    return text


def _no_temp_files(data: Path) -> None:
    left = [p for p in data.rglob("*") if p.name.endswith(".tmp")]
    assert left == [], left


def _emailed(sink: SmtpSink) -> Counter:
    return Counter(r for _, rs, _ in sink.received for r in rs)


def _all_sent_once_at_most_dupes(db_url: str, sink: SmtpSink, kills: int) -> None:
    with Session(engine_for(db_url)) as s:
        rows = s.exec(select(Notification.channel, Notification.address, Notification.status))
        rows = list(rows)
    assert {st for _, _, st in rows} == {"sent"}
    got = _emailed(sink)
    assert set(got) == {a for ch, a, _ in rows if ch == "email"}  # nothing lost
    dupes = sum(n - 1 for n in got.values())
    assert dupes <= kills, f"{dupes} duplicates for {kills} kills"


def _files_whole(db_url: str, data: Path, kinds: set[str]) -> list[IssuedDocument]:
    """Each document once (one row per key, one number each), its file what the row says."""
    with Session(engine_for(db_url)) as s:
        docs = list(s.exec(select(IssuedDocument).where(IssuedDocument.kind.in_(kinds))))
    keys = [(d.kind, d.subject_key, d.version) for d in docs]
    assert len(keys) == len(set(keys))
    numbers = [(d.series, d.year, d.number) for d in docs if d.number is not None]
    assert len(numbers) == len(set(numbers))
    store = data / "documents"
    for d in docs:
        assert hashlib.sha256((store / d.path).read_bytes()).hexdigest() == d.content_hash
    return docs


def _steps(db_url: str, code: str) -> tuple[str, list[AuditEvent]]:
    with Session(engine_for(db_url)) as s:
        m = s.exec(select(Movement).where(Movement.code == code)).one()
        events = list(s.exec(select(AuditEvent).where(AuditEvent.movement_id == m.id)))
        return m.state, events


# --- The launch, killed during its fan-out ------------------------------------------------


def _launchable(db_url: str) -> str:
    from thidua import spec, synthetic

    with Session(engine_for(db_url)) as s:
        synthetic.generate_org(s, units=40, blocks=3, people=82, seed=7)
        code = spec.store_spec(
            s, spec.load_spec(PROJECT_ROOT / "examples" / "hanam-sct-2022.yaml"), actor="test"
        ).code
        s.commit()
    return code


def test_launch_killed_ten_times_during_its_fan_out(
    db_url: str, prefect_server: str, sink: SmtpSink, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    code = _launchable(db_url)
    rng = random.Random(15)
    at = datetime(2022, 3, 1, 9, 0, tzinfo=TZ)
    for kill in range(KILLS):
        out = tmp_path / f"run-{kill}.txt"
        target = len(sink.received) + rng.randint(1, 6)
        proc = start_flow(_env(db_url, data, prefect_server, sink, at), out, code, "launch")
        reached = wait_until(lambda n=target: len(sink.received) >= n, proc, 90)
        os.kill(proc.pid, signal.SIGKILL)
        proc.join()
        assert reached, f"run {kill} ended before message {target}: {out.read_text()}"
        at += LEASE_GONE
    _finish(_env(db_url, data, prefect_server, sink, at), tmp_path / "last.txt", code, "launch")

    _all_sent_once_at_most_dupes(db_url, sink, KILLS)
    with Session(engine_for(db_url)) as s:  # every unit head and focal point, by both channels
        m = s.exec(select(Movement).where(Movement.code == code)).one()
        told = participant_people(s, m, {"unit_head", "focal_point"})
        emails = {
            p.email for p in s.exec(select(Person).where(col(Person.id).in_([t.id for t in told])))
        }
        zalo = s.exec(select(Notification.id).where(Notification.channel == "zalo")).all()
    assert set(_emailed(sink)) == emails and len(told) > 2 * KILLS
    outbox = {int(f.name.split("-")[1]) for f in (data / "outbox").glob("*-zalo.json")}
    assert outbox == set(zalo) and len(zalo) == len(told)
    (directive,) = _files_whole(db_url, data, {"launch"})
    assert directive.number == 1  # no number lost to a killed run
    _no_temp_files(data)
    stage, events = _steps(db_url, code)
    assert stage == State.REGISTRATION == replay(events)
    taken = Counter(e.action for e in events if e.action.startswith("step."))
    assert taken == {"step.launch": 1, "step.open_registration": 1}


# --- The close, killed during its certificate issuing -----------------------------------


def _decided(db_url: str) -> tuple[str, float]:
    """A movement whose decision is approved and issued (tools/sample_movement, the documents'
    own fixture), in the state before the close: every unit head and focal point with an
    address. Also returns how long its certificates take to issue (issued, then rolled back)."""
    from thidua import documents as D
    from tools import sample_movement

    with Session(engine_for(db_url)) as s:
        demo = sample_movement.build_demo(s, units=30, people_per_unit=3)
        for i, p in enumerate(demo.people):
            p.roles = ["unit_head"] if i % 3 == 0 else ["focal_point"] if i % 3 == 1 else []
            p.email = f"cb{i:03d}@thidua.test"
            s.add(p)
        for d in (demo.decision, demo.proposal):
            d.approved_at = datetime(2022, 12, 20, 3, 0)
            d.approved_by = d.approved_by or "Lê Nguyên Ngọc"
            D.issue_decision_document(s, demo.movement, d)
        demo.movement.state = State.APPROVAL.value
        s.add(demo.movement)
        s.commit()
        t = time.monotonic()
        D.issue_certificates(s, demo.movement, demo.decision)
        took = time.monotonic() - t
        s.rollback()
        return demo.movement.code, took


class _Copies:
    """The decided movement and, when a kill came too late (the certificates already recorded)
    for the next one to fall inside the issuing, fresh copies of it (database and files)."""

    def __init__(self, db_url: str, data: Path, tmp: Path) -> None:
        self.db_url, self.data, self.tmp, self.n = db_url, data, tmp, 0
        engine_for(db_url).dispose()
        self.pg = db_url.startswith("postgresql")
        self.template = f"{_db(db_url)}_snap"
        if self.pg:
            self._pg(f'CREATE DATABASE "{self.template}" TEMPLATE "{_db(db_url)}"')
        else:
            shutil.copy(_db(db_url), tmp / "snap.db")
        shutil.copytree(data, tmp / "snap-data")

    def _pg(self, sql: str) -> None:
        admin = sa.create_engine(self.db_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            c.exec_driver_sql(sql)
        admin.dispose()

    def next(self) -> tuple[str, Path]:
        """The original first, then copies."""
        self.n += 1
        if self.n == 1:
            return self.db_url, self.data
        data = self.tmp / f"copy-{self.n}"
        shutil.copytree(self.tmp / "snap-data", data)
        if self.pg:
            name = f"{self.template}_{self.n}"
            self._pg(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
            return sa.make_url(self.db_url).set(database=name).render_as_string(False), data
        shutil.copy(self.tmp / "snap.db", data / "copy.db")
        return f"sqlite:///{data / 'copy.db'}", data

    def drop(self) -> None:
        if self.pg:
            for name in [self.template, *(f"{self.template}_{i}" for i in range(2, self.n + 1))]:
                self._pg(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _db(url: str) -> str:
    return str(sa.make_url(url).database)


def _certificates(db_url: str) -> int:
    with Session(engine_for(db_url)) as s:
        q = sa.select(sa.func.count()).where(IssuedDocument.kind == "certificates")
        return s.execute(q).scalar_one()


def _check_closed(db_url: str, data: Path, code: str, sink: SmtpSink, kills: int) -> None:
    _all_sent_once_at_most_dupes(db_url, sink, kills)
    (certificates,) = _files_whole(db_url, data, {"certificates"})
    with Session(engine_for(db_url)) as s:
        decision = s.exec(select(Decision).where(Decision.kind == "decision")).one()
        assert certificates.subject_key == f"decision:{decision.id}"
        told = {p.email for p in s.exec(select(Person)) if p.roles}
    assert set(_emailed(sink)) == told
    _no_temp_files(data)
    stage, events = _steps(db_url, code)
    assert stage == State.CLOSED
    assert Counter(e.action for e in events if e.action.startswith("step.")) == {"step.close": 1}


def test_close_killed_ten_times_during_its_certificate_issuing(
    db_url: str, prefect_server: str, tmp_path: Path
) -> None:
    code, span = _decided(db_url)  # span: how long the issuing takes, then learnt from the runs
    copies = _Copies(db_url, tmp_path / "data", tmp_path)  # the fixture's data directory
    rng = random.Random(11)
    at = datetime(2022, 12, 22, 9, 0, tzinfo=TZ)
    inside = kills = 0
    url, data = copies.next()
    sink = SmtpSink()
    sink.start()
    try:
        while inside < KILLS:
            marks, out = tmp_path / f"marks-{inside}.txt", tmp_path / f"close-{inside}.txt"
            marks.unlink(missing_ok=True)
            proc = start_flow(_env(url, data, prefect_server, sink, at), out, code, "close", marks)
            assert wait_until(lambda m=marks: "start" in notes(m), proc, 90), out.read_text()
            time.sleep(rng.uniform(0, span * 1.05))  # a few into the commit
            os.kill(proc.pid, signal.SIGKILL)
            proc.join()
            kills += 1
            at += LEASE_GONE
            seen = notes(marks)
            if "end" in seen:
                span = seen["end"] - seen["start"]
            if not _certificates(url):
                inside += 1
                continue
            # killed after the issuing: this copy is finished and checked, the next is fresh
            assert copies.n < KILLS, "the kills keep missing the issuing"
            _finish(_env(url, data, prefect_server, sink, at), out, code, "close")
            _check_closed(url, data, code, sink, kills)
            engine_for(url).dispose()
            sink.stop()
            url, data = copies.next()
            sink, kills = SmtpSink(), 0
            sink.start()
        _finish(_env(url, data, prefect_server, sink, at), tmp_path / "last.txt", code, "close")
        _check_closed(url, data, code, sink, kills)
    finally:
        sink.stop()
        engine_for(url).dispose()
        copies.drop()
