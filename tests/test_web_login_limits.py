"""Guessing is slow everywhere: the login and password-change limiter lives in the database
(shared by every process) per account and per address; passwords are judged by zxcvbn;
a huge username is refused before any work; production refuses a weak secret key."""

import secrets

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from models import AuditEvent, LoginFailure
from models.db import engine_for
from tests.web_helpers import login, make_world, quiet, token
from thidua.errors import InvalidInput
from thidua.settings import Settings
from thidua.web import auth
from thidua.web.app import create_app


@pytest.fixture
def world(db_url, monkeypatch):
    quiet(monkeypatch)
    return make_world(db_url, units=4, people=24)


@pytest.fixture
def client(world):
    with TestClient(create_app()) as c:
        yield c


def test_spraying_many_accounts_from_one_address_is_stopped(client, world):
    users = [world.focal, world.other_focal, world.unit_head, world.staff, world.admin]
    for i in range(auth.MAX_FAILURES_ADDRESS):
        assert login(client, users[i % 5], "Mua-he-2022!").status_code == 400
    r = login(client, world.council[1])  # a sixth account, the right password: still waits
    assert r.status_code == 429 and "thử lại sau 15 phút" in r.text


def test_the_limiter_is_shared_and_counts_one_account_from_any_address(world):
    one, other = auth.LoginLimiter(), auth.LoginLimiter()  # two server processes
    for i in range(auth.MAX_FAILURES_ACCOUNT):
        assert not other.blocked(world.focal, f"10.0.0.{i}")
        one.failed(world.focal, f"10.0.0.{i}")
    assert other.blocked(world.focal, "10.9.9.9")
    assert not other.blocked(world.other_focal, "10.9.9.9")


def test_guessing_the_current_password_on_the_change_form_is_limited(client, world):
    assert login(client, world.focal).status_code == 200
    form = {"current": "doan-sai", "new": "Mot-cum-tu-rat-la-7", "confirm": "Mot-cum-tu-rat-la-7"}
    for _ in range(auth.MAX_FAILURES):
        r = client.post("/password", data={**form, "csrf_token": token(client)})
        assert r.status_code == 400 and "Mật khẩu hiện tại" in r.text
    r = client.post("/password", data={**form, "csrf_token": token(client)})
    assert r.status_code == 429 and "quá nhiều lần" in r.text


WEAK = {"12345678": "mật khẩu phổ biến nhất", " " * 8: "chỉ gồm dấu cách",
        "matkhau123": "cần ít nhất 3/4", "abc": "ít nhất 8 ký tự"}  # fmt: skip


def test_weak_passwords_are_refused_with_a_vietnamese_reason(client, world):
    assert login(client, world.focal).status_code == 200
    for password, reason in WEAK.items():
        form = {"current": "x", "new": password, "confirm": password, "csrf_token": token(client)}
        r = client.post("/password", data=form)
        assert r.status_code == 400 and "Mật khẩu mới" in r.text and reason in r.text, password
        with pytest.raises(InvalidInput, match=reason), Session(engine_for(world_url(client))) as s:
            auth.create_account(s, username="moi", password=password)
    with Session(engine_for(world_url(client))) as s:
        assert s.exec(select(func.count(LoginFailure.id))).one() == 0  # refused before checking


def world_url(_client) -> str:
    from thidua.settings import get_settings

    return get_settings().database_url


def test_a_huge_username_is_refused_before_any_work(client, world, db_url):
    tok = token(client, "/login")
    big = client.post("/login", data={"username": "a" * 1_000_000, "password": "x",
                                      "csrf_token": tok})  # fmt: skip
    assert big.status_code == 413 and "quá lớn" in big.text
    r = client.post("/login", data={"username": "b" * 5_000, "password": "x", "csrf_token": tok})
    assert r.status_code == 400 and "Tên đăng nhập hoặc mật khẩu không đúng" in r.text
    with Session(engine_for(db_url)) as s:
        assert s.exec(select(LoginFailure.username)).all() == ["b" * auth.MAX_USERNAME]
        # no lookup was made, so nothing but the limiter's row was written
        failed = select(func.count(AuditEvent.id)).where(AuditEvent.action == "login.failed")
        assert s.exec(failed).one() == 0


@pytest.mark.parametrize(
    "key", ["x", "a" * 64, "mat-khau-bi-mat-cua-so-cong-thuong", "0123456789" * 4]
)
def test_production_refuses_a_weak_secret_key(key):
    with pytest.raises(ValueError, match="THIDUA_SECRET_KEY quá yếu"):
        Settings(environment="production", secret_key=key)


def test_production_takes_a_generated_secret_key():
    for _ in range(3):
        Settings(environment="production", secret_key=secrets.token_urlsafe(48))
        Settings(environment="production", secret_key=secrets.token_hex(32))
