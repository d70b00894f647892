"""Shared set-up for the portal's tests: a small organisation, the Hà Nam 2022 movement at a
chosen stage, accounts for each kind of user, a logged-in client, a live uvicorn server."""

import re
import socket
import threading
import time
from dataclasses import dataclass, field
from decimal import Decimal

import httpx
import uvicorn
from sqlmodel import Session, func, select

from flows import start
from models import Account, Movement, Nomination, Participant, Person, Tally, Unit
from models.db import engine_for
from thidua import spec, synthetic
from thidua.ballots import open_meeting
from thidua.dossiers import nominate
from thidua.lifecycle import State
from thidua.settings import PROJECT_ROOT
from thidua.vn import number
from thidua.web import auth
from thidua.web.auth import hash_password

EXAMPLE = PROJECT_ROOT / "examples" / "hanam-sct-2022.yaml"
PASSWORD = "mat-khau-thu-nghiem"
_HASH = hash_password(PASSWORD)  # one argon2 hash for every test account: fast set-up
GOOD_FACTS = {"task_rating": "HTXSNV", "months_worked": 12, "discipline": "none"}
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def pdf_bytes() -> bytes:
    """A real one-page PDF (uploads open a PDF before taking it)."""
    import io

    from pypdf import PdfWriter

    buf, writer = io.BytesIO(), PdfWriter()
    writer.add_blank_page(200, 200)
    writer.write(buf)
    return buf.getvalue()


@dataclass
class World:
    code: str
    focal: str  # a focal point of a taking-part unit
    focal_unit_id: int
    other_focal: str  # a focal point of another unit
    other_unit_id: int
    unit_head: str
    council: list[str]  # council members' usernames; the first is the chair
    admin: str
    staff: str  # an account whose person has no role
    nominations: list[int] = field(default_factory=list)
    person_ids: dict[str, int] = field(default_factory=dict)


def add_account(s: Session, person: Person | None, username: str, is_admin: bool = False) -> str:
    s.add(Account(username=username, password_hash=_HASH,
                  person_id=person.id if person else None, is_admin=is_admin))  # fmt: skip
    return username


def make_world(
    url: str, *, state: State = State.PERIOD1_OPEN, units: int = 10, people: int = 60,
    council_size: int = 3, nominations: int = 0, meeting: bool = False,
) -> World:  # fmt: skip
    """Hà Nam 2022 on a generated organisation, in `state`, with accounts named after person
    codes. With `nominations`, that many dossiers from the focal point's unit; with `meeting`,
    an open council sitting of `council_size` members voting on them."""
    with Session(engine_for(url), expire_on_commit=False) as s:
        synthetic.generate_org(s, units=units, blocks=2, people=people, seed=7)
        m = spec.store_spec(s, spec.load_spec(EXAMPLE), actor="test")
        spec.enrol_participants(s, m)
        parts = set(s.exec(select(Participant.unit_id).where(Participant.movement_id == m.id)))
        all_people = s.exec(select(Person).order_by(Person.id)).all()
        focals = [p for p in all_people if "focal_point" in p.roles and p.unit_id in parts]
        heads = [p for p in all_people if "unit_head" in p.roles and p.unit_id in parts]
        staff = next(p for p in all_people if not p.roles)
        # The council: the chair and members from people with no other role in the test.
        chair = next(p for p in all_people if "council_chair" in p.roles)
        for p in all_people:
            seat = {"council_member", "council_secretary"}
            if p.id != chair.id and seat & set(p.roles or []):
                p.roles = [r for r in p.roles if r not in seat]
                s.add(p)
        spare = [p for p in all_people if not p.roles and p.id != staff.id]
        members = [chair, *spare[: council_size - 1]]
        for p in members[1:]:
            p.roles = ["council_member"]
            s.add(p)
        focal, other = focals[0], next(p for p in focals if p.unit_id != focals[0].unit_id)
        head = next(p for p in heads if p.unit_id == focal.unit_id)
        for p in [focal, other, head, staff, *members]:
            add_account(s, p, p.code)
        add_account(s, None, "quantri", is_admin=True)  # an admin with no unit and no vote
        s.flush()
        world = World(
            code=m.code, focal=focal.code, focal_unit_id=focal.unit_id, other_focal=other.code,
            other_unit_id=other.unit_id, unit_head=head.code, council=[p.code for p in members],
            admin="quantri", staff=staff.code,
            person_ids={p.code: p.id for p in [focal, other, head, staff, *members]},
        )  # fmt: skip
        if nominations:
            m.state = State.PROPOSALS.value
            own = [p for p in all_people if p.unit_id == focal.unit_id][:nominations]
            for p in own:
                n = nominate(
                    s,
                    movement=m,
                    unit_id=focal.unit_id,
                    title="LDTT",
                    actor="test",
                    person_id=p.id,
                    achievement="Hoàn thành xuất sắc",
                    facts=GOOD_FACTS,
                )
                world.nominations.append(n.id)  # fmt: skip
        if meeting:
            from datetime import timedelta

            from models.base import utcnow

            m.state = State.APPRAISAL.value
            open_meeting(s, m, actor="test", vote_deadline=utcnow() + timedelta(days=3))
        m.state = state.value if not meeting else State.APPRAISAL.value
        s.add(m)
        s.commit()
    return world


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF token in the page"
    return found.group(1)


def login(client, username: str, password: str = PASSWORD):
    """Log in through the form; returns the response to the POST."""
    token = csrf_of(client.get("/login").text)
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": token})  # fmt: skip


def token(client, path: str = "/") -> str:
    return csrf_of(client.get(path).text)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LiveServer:
    """uvicorn in a thread on 127.0.0.1 and a free port."""

    def __init__(self, app) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning",
                                limit_concurrency=200, backlog=256)  # fmt: skip
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> "LiveServer":
        self.thread.start()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url + "/login", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.05)
        raise RuntimeError("the test server did not start")

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(10)


def target_values(url: str, code: str) -> dict[str, str]:
    """Half of every target of the movement, written as a Vietnamese office writes it."""
    from models import Target

    with Session(engine_for(url)) as s:
        m = s.exec(select(Movement).where(Movement.code == code)).one()
        targets = s.exec(select(Target).where(Target.movement_id == m.id)).all()
    return {f"v:{t.code}": number(Decimal(t.value) / 2, 1) for t in targets}  # "87.093,0"


def unit_name(url: str, unit_id: int) -> str:
    with Session(engine_for(url)) as s:
        return s.get(Unit, unit_id).name


def nominations_of(url: str, unit_id: int) -> list[Nomination]:
    with Session(engine_for(url)) as s:
        return list(s.exec(select(Nomination).where(Nomination.unit_id == unit_id)))


class Recorder:
    """Stands in for starting a stage (a Prefect run): records each request."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, str]] = []

    def __call__(self, movement: str, stage: str, *, actor: str) -> None:
        self.calls.append((movement, stage, actor))


def quiet(monkeypatch) -> Recorder:
    """No stage really starts (the apps created in the test get this recorder as their stage
    starter), and the login limiter an app's requests fill is put back after the test."""
    recorder = Recorder()
    monkeypatch.setattr(start, "start_stage_in_background", recorder)
    monkeypatch.setattr(auth, "limiter", auth.LoginLimiter())
    return recorder


class Users:
    """Logged-in clients, each with the app's start-up run; close() shuts every one down."""

    def __init__(self) -> None:
        self.opened: list = []

    def __call__(self, username: str):
        from fastapi.testclient import TestClient

        from thidua.web.app import create_app

        c = TestClient(create_app())
        c.__enter__()
        self.opened.append(c)
        assert login(c, username).status_code == 200, username
        return c

    def close(self) -> None:
        for c in self.opened:
            c.__exit__(None, None, None)


def tallied(url: str) -> int:
    """Ballots counted into the tallies of closed meetings (there is no row per ballot)."""
    with Session(engine_for(url)) as s:
        return s.exec(select(func.coalesce(func.sum(Tally.votes), 0))).one()
