"""Sessions held by the server: a captured cookie stops working at logout, password change,
account disable and an admin's "end all sessions"; idle and absolute limits; a new session id
at login and when the account's roles change. On SQLite and PostgreSQL."""

import base64
import json
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from models import Person, WebSession
from models.base import utcnow
from models.db import engine_for
from tests.web_helpers import PASSWORD, login, make_world, quiet, token
from thidua.web import auth, sessions
from thidua.web.app import create_app


@pytest.fixture
def world(db_url, monkeypatch):
    quiet(monkeypatch)
    return make_world(db_url, units=4, people=24)


@pytest.fixture
def app(world):
    return create_app()


def _client(app, username: str | None = None) -> TestClient:
    c = TestClient(app)
    if username:
        assert login(c, username).status_code == 200
    return c


def _sid(client: TestClient) -> str:
    """The session token inside the signed cookie (payload before the first dot)."""
    payload = client.cookies.get("thidua_session").split(".")[0]
    return json.loads(base64.b64decode(payload + "=" * (-len(payload) % 4)))["sid"]


def _opens(app, cookie: str) -> bool:
    """Does this cookie, replayed by another browser, open a page that needs a login?"""
    c = TestClient(app)
    c.cookies.set("thidua_session", cookie)
    return c.get("/password", follow_redirects=False).status_code == 200


def test_a_cookie_captured_before_logout_opens_nothing_after(app, world, db_url):
    c = _client(app, world.focal)
    captured = c.cookies.get("thidua_session")
    assert _opens(app, captured)
    with Session(engine_for(db_url)) as s:  # the table holds a hash, never the token itself
        stored = s.exec(select(WebSession.token_hash)).all()
    assert len(stored) == 1 and _sid(c) not in stored[0]
    r = c.post("/logout", data={"csrf_token": token(c)}, follow_redirects=False)
    assert r.headers["location"] == "/login"
    assert not _opens(app, captured)
    assert c.get("/unit", follow_redirects=False).status_code == 303
    with Session(engine_for(db_url)) as s:
        assert s.exec(select(WebSession)).all() == []


def test_a_password_change_ends_every_other_session(app, world):
    a, b = _client(app, world.focal), _client(app, world.focal)
    before = a.cookies.get("thidua_session")
    new = "Hai-mat-khau-moi-9"
    form = {"current": PASSWORD, "new": new, "confirm": new, "csrf_token": token(a)}
    r = a.post("/password", data=form)
    assert r.status_code == 200 and "Đã đổi mật khẩu" in r.text
    assert b.get("/password", follow_redirects=False).status_code == 303  # the other ended
    assert not _opens(app, before)  # this browser's old id too: it carries on under a new one
    assert a.get("/password").status_code == 200


def test_disabling_an_account_ends_its_sessions(app, world, db_url):
    c = _client(app, world.focal)
    with Session(engine_for(db_url)) as s:
        auth.set_active(s, username=world.focal, active=False, actor="test")
        s.commit()
        assert s.exec(select(WebSession)).all() == []
    assert c.get("/password", follow_redirects=False).status_code == 303
    assert login(TestClient(app), world.focal).status_code == 400


def test_an_admin_ends_all_sessions_but_his_own(app, world, db_url):
    admin, focal, member = (_client(app, u) for u in (world.admin, world.focal, world.council[1]))
    r = admin.post("/admin/sessions/end", data={"csrf_token": token(admin, "/admin")})
    assert r.status_code == 200 and "Đã kết thúc 2 phiên đăng nhập" in r.text
    for c in (focal, member):
        assert c.get("/password", follow_redirects=False).status_code == 303
    assert admin.get("/admin").status_code == 200
    refused = focal.post("/admin/sessions/end", data={"csrf_token": token(focal, "/login")},
                         follow_redirects=False)  # fmt: skip
    assert refused.status_code in (303, 403)


@pytest.mark.parametrize(
    ("field", "age"),
    [("seen_at", sessions.IDLE + timedelta(seconds=5)),
     ("created_at", sessions.ABSOLUTE + timedelta(seconds=5))],
)  # fmt: skip
def test_idle_and_absolute_limits(app, world, db_url, field, age):
    c = _client(app, world.focal)
    assert c.get("/password").status_code == 200
    with Session(engine_for(db_url)) as s:
        row = s.exec(select(WebSession)).one()
        setattr(row, field, utcnow() - age)
        s.add(row)
        s.commit()
    assert c.get("/password", follow_redirects=False).status_code == 303
    with Session(engine_for(db_url)) as s:
        assert s.exec(select(WebSession)).all() == []


def test_just_within_the_idle_limit_the_session_lives_on(app, world, db_url):
    c = _client(app, world.focal)
    with Session(engine_for(db_url)) as s:
        row = s.exec(select(WebSession)).one()
        row.seen_at = utcnow() - sessions.IDLE + timedelta(minutes=2)
        s.add(row)
        s.commit()
    assert c.get("/password").status_code == 200
    with Session(engine_for(db_url)) as s:  # and the request moved seen_at forward
        seen = s.exec(select(WebSession)).one().seen_at
    assert utcnow() - sessions._aware(seen) < timedelta(minutes=1)


def test_login_gives_a_new_session_id_and_the_old_one_ends(app, world):
    c = _client(app, world.focal)
    first, cookie = _sid(c), c.cookies.get("thidua_session")
    assert login(c, world.focal).status_code == 200
    assert _sid(c) != first and not _opens(app, cookie)


def test_a_change_of_roles_rotates_the_session_id(app, world, db_url):
    c = _client(app, world.focal)
    before, cookie = _sid(c), c.cookies.get("thidua_session")
    with Session(engine_for(db_url)) as s:
        p = s.exec(select(Person).where(Person.code == world.focal)).one()
        p.roles = [*p.roles, "council_member"]
        s.add(p)
        s.commit()
    assert c.get("/password").status_code == 200  # still logged in, under a new id
    assert _sid(c) != before and not _opens(app, cookie)
    assert c.get("/password").status_code == 200


def test_the_command_line_disables_an_account_and_ends_sessions(app, world):
    from typer.testing import CliRunner

    from thidua.cli import web as web_cli

    runner = CliRunner()
    focal, member = _client(app, world.focal), _client(app, world.council[1])
    r = runner.invoke(web_cli.app, ["sessions-end", "--user", world.council[1]])
    assert r.exit_code == 0 and "Đã kết thúc 1 phiên đăng nhập" in r.output
    assert member.get("/password", follow_redirects=False).status_code == 303
    assert focal.get("/password").status_code == 200
    r = runner.invoke(web_cli.app, ["account-disable", world.focal])
    assert r.exit_code == 0 and f"Đã khoá tài khoản {world.focal}" in r.output
    assert focal.get("/password", follow_redirects=False).status_code == 303
    assert runner.invoke(web_cli.app, ["account-disable", world.focal, "--enable"]).exit_code == 0
    assert login(TestClient(app), world.focal).status_code == 200
    nobody = runner.invoke(web_cli.app, ["sessions-end", "--user", "khong-co"])
    assert "Không có tài khoản" in str(nobody.exception)
