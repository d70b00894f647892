"""`thidua web` accounts from the command line: one by one (password on stdin) and one per
person with a role, with the generated passwords in a CSV for the admin to hand out."""

import csv
import inspect

from fastapi.testclient import TestClient
from sqlmodel import Session, func, select
from typer.testing import CliRunner

from models import Account, AuditEvent, Person
from models.db import engine_for
from tests.web_helpers import login, quiet
from thidua import synthetic, vn
from thidua.cli import web as web_cli
from thidua.errors import InvalidInput, NotFound
from thidua.web.app import create_app

runner = CliRunner()


def org(url: str) -> None:
    with Session(engine_for(url)) as s:
        synthetic.generate_org(s, units=5, blocks=1, people=20, seed=3)
        s.commit()


def test_account_add_reads_the_password_from_stdin_and_logs_in(sqlite_url, monkeypatch):
    quiet(monkeypatch)
    org(sqlite_url)
    r = runner.invoke(web_cli.app, ["account-add", "vanphong", "--person", "CB00002", "--admin",
                                    "--password-stdin"], input="mot-mat-khau-dai\n")  # fmt: skip
    assert r.exit_code == 0, r.output
    assert "Đã tạo tài khoản vanphong" in r.output
    with Session(engine_for(sqlite_url)) as s:
        a = s.exec(select(Account).where(Account.username == "vanphong")).one()
        assert a.is_admin and a.password_hash.startswith("$argon2id$")
        assert "mot-mat-khau-dai" not in a.password_hash
        assert s.exec(select(AuditEvent.action)).all()[-1] == "account.created"
    with TestClient(create_app()) as c:
        assert login(c, "vanphong", "mot-mat-khau-dai").status_code == 200
        assert c.get("/admin").status_code == 200

    again = runner.invoke(web_cli.app, ["account-add", "vanphong", "--password-stdin"],
                          input="mot-mat-khau-khac\n")  # fmt: skip
    assert isinstance(again.exception, InvalidInput)
    assert "đã có" in str(again.exception)
    short = runner.invoke(web_cli.app, ["account-add", "x", "--password-stdin"], input="123\n")
    assert isinstance(short.exception, InvalidInput) and "ít nhất 8 ký tự" in str(short.exception)
    args = ["account-add", "y", "--person", "KHONG", "--password-stdin"]
    nobody = runner.invoke(web_cli.app, args, input="mot-mat-khau-dai\n")
    assert isinstance(nobody.exception, NotFound)


def test_accounts_from_org_writes_each_password_once(sqlite_url, tmp_path, monkeypatch):
    quiet(monkeypatch)
    org(sqlite_url)
    out = tmp_path / "tai-khoan.csv"
    r = runner.invoke(web_cli.app, ["accounts-from-org", "--out", str(out)])
    assert r.exit_code == 0, r.output
    rows = list(csv.reader(out.open(encoding="utf-8-sig")))
    assert rows[0] == ["Tên đăng nhập", "Mật khẩu", "Họ và tên", "Vai trò"]
    with Session(engine_for(sqlite_url)) as s:
        with_roles = [p for p in s.exec(select(Person).order_by(Person.code)) if p.roles]
        # in Vietnamese collation of the names, as a list handed over in an office is read
        # (behaviour changed: it was by code)
        with_roles.sort(key=lambda p: vn.person_key(p.full_name))
        assert [row[0] for row in rows[1:]] == [p.code for p in with_roles]
        admins = s.exec(select(Account.username).where(Account.is_admin)).all()
    assert admins == ["CB00002"]  # the person with the admin role
    assert oct(out.stat().st_mode & 0o777) == "0o600"
    username, password = rows[1][0], rows[1][1]
    with TestClient(create_app()) as c:
        assert login(c, username, password).status_code == 200

    assert runner.invoke(web_cli.app, ["accounts-from-org", "--out", str(out)]).exit_code != 0
    second = tmp_path / "lan-2.csv"
    r = runner.invoke(web_cli.app, ["accounts-from-org", "--out", str(second)])
    assert r.exit_code == 0 and "Đã tạo 0 tài khoản" in r.output
    with Session(engine_for(sqlite_url)) as s:
        assert s.exec(select(func.count()).select_from(Account)).one() == len(rows) - 1


def test_the_serve_command_and_the_plain_function():
    params = inspect.signature(web_cli.web).parameters
    assert params["host"].default == "127.0.0.1" and params["port"].default == 8000
    names = {c.name for c in web_cli.app.registered_commands}
    assert names == {"serve", "account-add", "account-disable", "accounts-from-org",
                     "sessions-end"}  # fmt: skip
    r = runner.invoke(web_cli.app, ["serve", "--help"])
    assert r.exit_code == 0 and "--host" in r.output and "--port" in r.output


def test_thidua_web_serves_the_portal(sqlite_url, tmp_path):
    """The real entry point in its own process: uvicorn on a free loopback port."""
    import os
    import subprocess
    import sys
    import time

    import httpx

    from tests.web_helpers import free_port

    port = free_port()
    # The main command line, as an office runs it: thidua web --host H --port P
    argv = ["thidua", "web", "--host", "127.0.0.1", "--port", str(port)]
    code = f"import sys; from thidua.cli import main; sys.argv = {argv!r}; main()"
    proc = subprocess.Popen([sys.executable, "-c", code], env=os.environ.copy(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # fmt: skip
    try:
        deadline, page = time.monotonic() + 60, None
        while time.monotonic() < deadline and page is None:
            try:
                page = httpx.get(f"http://127.0.0.1:{port}/login", timeout=2)
            except httpx.HTTPError:
                assert proc.poll() is None, proc.stderr.read().decode()
                time.sleep(0.2)
        assert page is not None and page.status_code == 200 and "Đăng nhập" in page.text
        refused = httpx.get(f"http://127.0.0.1:{port}/admin")
        assert (refused.status_code, refused.headers["location"]) == (303, "/login")
    finally:
        proc.terminate()
        proc.wait(10)


def test_thidua_web_with_options_serves_and_sub_commands_do_not(monkeypatch):
    served = []
    monkeypatch.setattr(web_cli, "web", lambda host, port: served.append((host, port)))
    r = runner.invoke(web_cli.app, ["--host", "0.0.0.0", "--port", "8123"])
    assert r.exit_code == 0 and served == [("0.0.0.0", 8123)]
    r = runner.invoke(web_cli.app, ["accounts-from-org", "--help"])
    assert r.exit_code == 0 and served == [("0.0.0.0", 8123)]  # a sub-command does not serve


def test_serving_with_the_development_secret_in_production_is_refused(monkeypatch):
    from thidua.settings import reset_settings

    monkeypatch.setenv("THIDUA_ENVIRONMENT", "production")
    monkeypatch.delenv("THIDUA_SECRET_KEY", raising=False)
    reset_settings()
    try:
        r = runner.invoke(web_cli.app, ["serve", "--port", "1"])
    finally:
        monkeypatch.undo()
        reset_settings()
    assert r.exit_code == 2 and "THIDUA_SECRET_KEY phải được đặt" in r.output
