"""The portal's gate: logging in (argon2, rate limit), sessions, CSRF on every POST, error
pages in Vietnamese with the right status, never a traceback."""

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from flows import start
from models import AuditEvent, LoginFailure, PeriodReport
from models.db import engine_for
from tests.web_helpers import PASSWORD, Recorder, csrf_of, login, make_world, quiet, token
from thidua.web import auth
from thidua.web.app import create_app


@pytest.fixture
def world(sqlite_url, monkeypatch):
    quiet(monkeypatch)
    return make_world(sqlite_url)


@pytest.fixture
def client(world):
    with TestClient(create_app()) as c:
        yield c


def test_login_page_is_vietnamese_and_pages_need_a_login(client):
    page = client.get("/login")
    assert page.status_code == 200 and "Đăng nhập" in page.text and 'lang="vi"' in page.text
    for path in ["/", "/unit", "/council", "/admin", "/admin/m/x"]:
        r = client.get(path, follow_redirects=False)
        assert (r.status_code, r.headers["location"]) == (303, "/login"), path


def test_login_wrong_password_then_right_then_logout(client, world, sqlite_url):
    r = login(client, world.focal, "sai-mat-khau")
    assert r.status_code == 400 and "Tên đăng nhập hoặc mật khẩu không đúng" in r.text
    r = login(client, world.focal)
    assert r.status_code == 200 and str(r.url).endswith("/")
    assert "Đầu mối thi đua" in r.text
    assert client.get("/admin").status_code == 403
    client.post("/logout", data={"csrf_token": token(client)})
    assert client.get("/unit", follow_redirects=False).status_code == 303
    with Session(engine_for(sqlite_url)) as s:
        actions = s.exec(select(AuditEvent.action).where(AuditEvent.entity == "account")).all()
    assert actions == ["login.failed", "login", "logout"]


def test_the_session_cookie_is_signed_and_httponly(client, world):
    login(client, world.admin)
    cookie = client.cookies.get("thidua_session")
    assert cookie and "uid" not in cookie  # signed, base64: no readable content
    client.cookies.set("thidua_session", cookie[:-4] + "AAAA")  # tampered signature
    assert client.get("/admin", follow_redirects=False).status_code == 303


def test_five_failures_block_that_username_from_that_address(client, world):
    for _ in range(auth.MAX_FAILURES):
        assert login(client, world.focal, "sai").status_code == 400
    r = login(client, world.focal)  # even the right password, for 15 minutes
    assert r.status_code == 429 and "thử lại sau 15 phút" in r.text
    assert login(client, world.other_focal).status_code == 200  # another username is not


def test_limiter_window_slides(world, sqlite_url):
    # The failures live in the database now (shared by every process); rows past the window
    # are forgotten at the next failure, so the table stays bounded.
    limiter = auth.LoginLimiter(max_failures=2, window=0.2)
    limiter.failed("a", "ip")
    limiter.failed("a", "ip")
    assert limiter.blocked("a", "ip") and not limiter.blocked("a", "other-ip")
    import time

    time.sleep(0.25)
    assert not limiter.blocked("a", "ip")
    limiter.failed("b", "ip")
    with Session(engine_for(sqlite_url)) as s:
        assert s.exec(select(func.count(LoginFailure.id))).one() == 1


def test_every_post_needs_this_sessions_csrf_token(client, world, sqlite_url):
    login(client, world.focal)
    url = f"/unit/{world.code}/report/1"
    data = {"v:gia_tri_sxcn": "10", "summary": "x"}
    assert client.post(url, data=data).status_code == 403  # no token
    r = client.post(url, data={**data, "csrf_token": "x" * 43})
    assert r.status_code == 403 and "mã chống giả mạo" in r.text
    other = TestClient(create_app())
    other_token = csrf_of(other.get("/login").text)  # a token from another session
    assert client.post(url, data={**data, "csrf_token": other_token}).status_code == 403
    no_token = {"username": world.focal, "password": PASSWORD}
    assert client.post("/login", data=no_token).status_code == 403
    with Session(engine_for(sqlite_url)) as s:
        assert s.exec(select(func.count()).select_from(PeriodReport)).one() == 0
    ok = client.post(url, data={**data, "csrf_token": token(client, url)})
    assert ok.status_code == 200 and "Đã nộp báo cáo Đợt 1" in ok.text


def test_login_gives_a_fresh_session(client, world):
    before = csrf_of(client.get("/login").text)
    login(client, world.focal)
    assert token(client) != before


def test_errors_are_vietnamese_pages_with_their_status(client, world):
    login(client, world.focal)
    r = client.get("/khong-co")
    assert r.status_code == 404 and "Không tìm thấy trang" in r.text
    r = client.get("/unit/khong-co-phong-trao")
    assert r.status_code == 404 and "Không có phong trào" in r.text
    r = client.get(f"/unit/{world.code}/report/abc")
    assert r.status_code == 400 and "phải là số nguyên" in r.text
    assert "Traceback" not in r.text


def test_an_unexpected_error_is_a_plain_page(world, monkeypatch):
    from thidua import views

    def boom(*a, **k):
        raise RuntimeError("secret detail")

    monkeypatch.setattr(views, "outstanding", boom)
    with TestClient(create_app(), raise_server_exceptions=False) as c:
        login(c, world.focal)
        r = c.get("/unit")
    assert r.status_code == 500 and "Hệ thống gặp lỗi" in r.text
    assert "secret detail" not in r.text and "Traceback" not in r.text


def test_a_deactivated_account_is_logged_out_at_once(client, world, sqlite_url):
    from models import Account

    login(client, world.focal)
    assert client.get("/unit").status_code == 200
    with Session(engine_for(sqlite_url)) as s:
        a = s.exec(select(Account).where(Account.username == world.focal)).one()
        a.active = False
        s.add(a)
        s.commit()
    assert client.get("/unit", follow_redirects=False).status_code == 303
    assert login(client, world.focal).status_code == 400


def test_the_app_starts_stages_through_the_starter_it_is_given(world):
    """Each app holds its own stage starter (no global swapped at start-up): by default the
    runtime's background starter, here the quiet recorder; another app is given its own."""
    mine = Recorder()
    with TestClient(create_app(start_stage=mine)) as c:
        login(c, world.admin)
        dash = f"/admin/m/{world.code}"
        r = c.post(f"{dash}/stage", data={"stage": "close-period-1", "csrf_token": token(c, dash)})
        assert r.status_code == 200
    assert mine.calls == [(world.code, "close-period-1", world.admin)]
    assert start.start_stage_in_background.calls == []
    with TestClient(create_app()) as c:
        login(c, world.admin)
        dash = f"/admin/m/{world.code}"
        c.post(f"{dash}/stage", data={"stage": "close-period-1", "csrf_token": token(c, dash)})
    assert start.start_stage_in_background.calls == [(world.code, "close-period-1", world.admin)]


def test_a_write_conflict_is_a_retry_message_not_a_crash(client, world, monkeypatch):
    from sqlalchemy.exc import IntegrityError

    from thidua import submissions

    def clash(*a, **k):
        raise IntegrityError("INSERT", {}, Exception("uq_period_report"))

    monkeypatch.setattr(submissions, "submit_period_report", clash)
    login(client, world.focal)
    url = f"/unit/{world.code}/report/1"
    r = client.post(url, data={"v:ban_le": "1", "csrf_token": token(client, url)})
    assert r.status_code == 409 and "gửi cùng lúc" in r.text and "uq_period_report" not in r.text


def test_pages_carry_a_strict_content_security_policy(client, world):
    login(client, world.admin)
    r = client.get(f"/admin/m/{world.code}")
    csp = r.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src" not in csp
    assert (
        r.headers["x-frame-options"] == "DENY" and r.headers["x-content-type-options"] == "nosniff"
    )
    assert "<script" not in r.text and "style=" not in r.text


def test_what_users_type_is_escaped_and_no_path_reaches_the_disk(sqlite_url, monkeypatch):
    from models import Nomination

    quiet(monkeypatch)
    w = make_world(sqlite_url, nominations=1)
    with Session(engine_for(sqlite_url)) as s:
        n = s.get(Nomination, w.nominations[0])
        n.achievement = '<script>alert("x")</script><img src=x onerror=alert(1)>'
        s.add(n)
        s.commit()
    with TestClient(create_app()) as c:
        login(c, w.admin)
        page = c.get(f"/admin/m/{w.code}/dossiers").text
        i = page.find("<script>alert")
        assert i == -1, page[max(0, i - 300) : i + 80]
        assert "&lt;script&gt;alert" in page
        assert "<img src=x" not in page
        for path in ["/evidence/..%2F..%2Fetc%2Fpasswd", "/static/..%2F..%2Fthidua.db",
                     "/admin/document/..%2Fthidua.db", "/evidence/1.png"]:  # fmt: skip
            r = c.get(path)
            assert r.status_code in (400, 404) and "root:" not in r.text, path


def test_a_user_changes_the_password_he_was_handed(client, world, sqlite_url):
    login(client, world.focal)
    page = "/password"
    bad = {"current": PASSWORD, "new": "ngan", "confirm": "khac", "csrf_token": token(client, page)}
    r = client.post(page, data=bad)
    assert r.status_code == 400 and "Mật khẩu mới" in r.text and "không khớp" in r.text
    wrong = {"current": "sai-mat-khau", "new": "mat-khau-moi-123", "confirm": "mat-khau-moi-123"}
    r = client.post(page, data={**wrong, "csrf_token": token(client)})
    assert r.status_code == 400 and "Mật khẩu hiện tại" in r.text
    elsewhere = TestClient(create_app())  # the same user logged in on another computer
    assert login(elsewhere, world.focal).status_code == 200
    good = {**wrong, "current": PASSWORD, "csrf_token": token(client)}
    r = client.post(page, data=good)
    assert r.status_code == 200 and "Đã đổi mật khẩu" in r.text
    assert client.get("/unit").status_code == 200  # this session goes on
    assert elsewhere.get("/unit", follow_redirects=False).status_code == 303  # that one ended
    client.post("/logout", data={"csrf_token": token(client)})
    assert login(client, world.focal).status_code == 400  # the old one no longer works
    assert login(client, world.focal, "mat-khau-moi-123").status_code == 200
    with Session(engine_for(sqlite_url)) as s:
        assert "password.changed" in s.exec(select(AuditEvent.action)).all()
