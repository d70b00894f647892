"""A bounded load test on loopback: 50 users at once (40 focal points submitting their
Period 1 report twice each, 10 council members voting on 6 dossiers), each with its own
httpx client and login, against uvicorn in a thread. Nothing is lost, nothing is doubled, no
request fails — counted in the database afterwards. On SQLite and PostgreSQL."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from datetime import timedelta

import httpx
import pytest
from sqlmodel import Session, func, select

from models import (
    AuditEvent,
    Meeting,
    Movement,
    Participant,
    PeriodReport,
    Person,
    TargetResult,
    VoteReceipt,
)
from models.base import utcnow
from models.db import engine_for
from tests.web_helpers import (
    EXAMPLE,
    GOOD_FACTS,
    PASSWORD,
    LiveServer,
    add_account,
    csrf_of,
    make_world,
    quiet,
    tallied,
    target_values,
)
from thidua import spec
from thidua.ballots import open_meeting
from thidua.dossiers import nominate, subtree
from thidua.lifecycle import State
from thidua.web.app import create_app

UNITS, MEMBERS, DOSSIERS, REPEATS = 40, 10, 6, 2
TIME_LIMIT = 240  # seconds for the whole run, on 2 loaded cores
VOTE_CODE = "hanam-bo-phieu"


def setup(url: str) -> tuple[str, list[str], list[str], list[int]]:
    """Movement 1 in Period 1 with 40 focal accounts; movement 2 (a copy) with 6 dossiers
    before a council of 10."""
    w = make_world(url, state=State.PERIOD1_OPEN, units=60, people=160, council_size=MEMBERS)
    with Session(engine_for(url), expire_on_commit=False) as s:
        m1 = s.exec(select(Movement).where(Movement.code == w.code)).one()
        parts = set(s.exec(select(Participant.unit_id).where(Participant.movement_id == m1.id)))
        taken = {w.focal_unit_id, w.other_unit_id}
        focals = [w.focal, w.other_focal]
        for p in s.exec(select(Person).order_by(Person.id)):
            if len(focals) == UNITS:
                break
            if "focal_point" in p.roles and p.unit_id in parts and p.unit_id not in taken:
                taken.add(p.unit_id)
                focals.append(add_account(s, p, p.code))
        m2 = spec.store_spec(s, spec.load_spec(EXAMPLE).model_copy(update={"code": VOTE_CODE}),
                             actor="test")  # fmt: skip
        spec.enrol_participants(s, m2)
        m2.state = State.PROPOSALS.value
        own = subtree(s, w.focal_unit_id)
        people = s.exec(select(Person).where(Person.unit_id.in_(own)).order_by(Person.id)).all()
        noms = [
            nominate(s, movement=m2, unit_id=w.focal_unit_id, title="LDTT", actor="t",
                     person_id=p.id, facts=GOOD_FACTS).id
            for p in people[:DOSSIERS]
        ]  # fmt: skip
        m2.state = State.APPRAISAL.value
        open_meeting(s, m2, actor="test", vote_deadline=utcnow() + timedelta(days=2))
        s.commit()
    assert len(focals) == UNITS and len(noms) == DOSSIERS
    return w.code, focals, w.council, noms


def count(url: str, model, *where) -> int:
    with Session(engine_for(url)) as s:
        return s.exec(select(func.count()).select_from(model).where(*where)).one()


@pytest.mark.slow
def test_fifty_users_submit_and_vote_at_once(db_url, monkeypatch):
    recorder = quiet(monkeypatch)
    code, focals, members, noms = setup(db_url)
    values = target_values(db_url, code)
    errors: list[str] = []
    done = {"reports": 0, "ballots": 0}
    lock = threading.Lock()
    start = threading.Barrier(UNITS + MEMBERS)

    def session(base: str, username: str) -> httpx.Client:
        c = httpx.Client(base_url=base, timeout=120, follow_redirects=True)
        start.wait()  # everyone logs in at the same moment
        r = c.post("/login", data={"username": username, "password": PASSWORD,
                                   "csrf_token": csrf_of(c.get("/login").text)})  # fmt: skip
        if r.status_code != 200:
            errors.append(f"{username} login {r.status_code}")
        return c

    def unit(base: str, username: str, i: int) -> None:
        with closing(session(base, username)) as c:
            form = f"/unit/{code}/report/1"
            for k in range(REPEATS):
                data = {**values, "summary": f"Lần {k}", "csrf_token": csrf_of(c.get(form).text)}
                r = c.post(form, data=data)
                if r.status_code != 200 or "Đã nộp báo cáo Đợt 1" not in r.text:
                    errors.append(f"{username} report {r.status_code}")
                else:
                    with lock:
                        done["reports"] += 1

    def member(base: str, username: str, i: int) -> None:
        with closing(session(base, username)) as c:
            page = f"/council/{VOTE_CODE}"
            for n in noms:
                data = {"nomination_id": n, "choice": "yes" if (i + n) % 4 else "no",
                        "csrf_token": csrf_of(c.get(page).text)}  # fmt: skip
                r = c.post(f"{page}/vote", data=data)
                if r.status_code != 200 or "Đã ghi phiếu bầu" not in r.text:
                    errors.append(f"{username} vote {n} {r.status_code}")
                else:
                    with lock:
                        done["ballots"] += 1

    began = time.monotonic()
    with LiveServer(create_app()) as server, ThreadPoolExecutor(UNITS + MEMBERS) as pool:
        jobs = [pool.submit(unit, server.url, u, i) for i, u in enumerate(focals)]
        jobs += [pool.submit(member, server.url, m, i) for i, m in enumerate(members)]
        for j in jobs:
            j.result(timeout=TIME_LIMIT)
    elapsed = time.monotonic() - began
    assert not errors, errors[:10]
    assert elapsed < TIME_LIMIT
    assert done == {"reports": UNITS * REPEATS, "ballots": MEMBERS * DOSSIERS}

    with Session(engine_for(db_url)) as s:
        m1 = s.exec(select(Movement.id).where(Movement.code == code)).one()
    assert count(db_url, PeriodReport, PeriodReport.movement_id == m1) == UNITS
    assert count(db_url, TargetResult) == UNITS * len(values)
    submitted = count(db_url, AuditEvent, AuditEvent.action == "report.submitted")
    assert submitted == UNITS * REPEATS
    assert tallied(db_url) == count(db_url, VoteReceipt) == MEMBERS * DOSSIERS
    assert count(db_url, AuditEvent, AuditEvent.action == "ballot.cast") == MEMBERS * DOSSIERS
    assert count(db_url, Meeting, Meeting.status == "closed") == 1
    assert recorder.calls == [(VOTE_CODE, "decision", "system")]  # started once
    print(f"\n50 users, {UNITS * (REPEATS + 1) + MEMBERS * (DOSSIERS + 1)} form round trips "
          f"in {elapsed:.1f} s on {db_url.split(':')[0]}")  # fmt: skip
