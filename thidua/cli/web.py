"""`thidua web`: serve the portal, and make its accounts.

thidua web --host 0.0.0.0 --port 8000
thidua web account-add vanphong --person CB00002 --admin --password-stdin
thidua web accounts-from-org --out tai-khoan.csv
"""

import csv
import secrets
import sys
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(
    help="Cổng thông tin: chạy máy chủ web (khi không có lệnh con), tạo tài khoản.",
    invoke_without_command=True,
)

ROLES = {
    "focal_point", "unit_head", "council_member", "council_chair", "council_secretary",
    "block_leader", "admin",
}  # fmt: skip


def web(
    host: Annotated[str, typer.Option(help="Địa chỉ lắng nghe")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Cổng")] = 8000,
) -> None:
    """Chạy cổng thông tin (đơn vị, Hội đồng, quản trị)."""
    import uvicorn

    from thidua.settings import get_settings
    from thidua.web.app import create_app

    try:
        get_settings()  # e.g. refuses the development secret outside development
    except ValueError as e:
        reasons = [err.get("msg", "") for err in getattr(e, "errors", lambda: [])()]
        typer.secho(f"Lỗi cấu hình: {'; '.join(reasons) or e}", err=True, fg=typer.colors.RED)
        raise typer.Exit(2) from None
    uvicorn.run(create_app(), host=host, port=port, proxy_headers=False)


app.command("serve")(web)


@app.callback()
def _serve_by_default(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Địa chỉ lắng nghe")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Cổng")] = 8000,
) -> None:
    """`thidua web --host H --port P` serves, whether this app is mounted as a group or the
    plain function `web` as a command."""
    if ctx.invoked_subcommand is None:
        web(host=host, port=port)


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return typer.prompt("Mật khẩu", hide_input=True, confirmation_prompt=True)


@app.command("account-add")
def account_add(
    username: Annotated[str, typer.Argument(help="Tên đăng nhập")],
    person: Annotated[str | None, typer.Option("--person", help="Mã cán bộ")] = None,
    admin: Annotated[bool, typer.Option("--admin", help="Quản trị viên")] = False,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Đọc mật khẩu từ dòng đầu của stdin")
    ] = False,
) -> None:
    """Tạo một tài khoản đăng nhập gắn với một cán bộ (vai trò lấy theo cán bộ)."""
    from models.db import session_scope
    from thidua.web.auth import create_account

    password = _password(password_stdin)
    with session_scope() as s:
        create_account(s, username=username, password=password, person_code=person,
                       is_admin=admin, actor="cli")  # fmt: skip
    typer.echo(f"Đã tạo tài khoản {username}.")


@app.command("account-disable")
def account_disable(
    username: Annotated[str, typer.Argument(help="Tên đăng nhập")],
    enable: Annotated[bool, typer.Option("--enable", help="Mở lại tài khoản đã khoá")] = False,
) -> None:
    """Khoá một tài khoản (mọi phiên đăng nhập của nó kết thúc ngay), hoặc mở lại."""
    from models.db import session_scope
    from thidua.web.auth import set_active

    with session_scope() as s:
        set_active(s, username=username, active=enable, actor="cli")
    typer.echo(f"Đã {'mở lại' if enable else 'khoá'} tài khoản {username}.")


@app.command("sessions-end")
def sessions_end(
    username: Annotated[
        str | None, typer.Option("--user", help="Chỉ các phiên của tài khoản này")
    ] = None,
) -> None:
    """Kết thúc mọi phiên đăng nhập cổng thông tin (mọi người phải đăng nhập lại)."""
    from sqlmodel import select

    from models import Account
    from models.db import session_scope
    from thidua.errors import NotFound
    from thidua.web.auth import end_sessions

    with session_scope() as s:
        account_id = None
        if username is not None:
            account_id = s.exec(select(Account.id).where(Account.username == username)).first()
            if account_id is None:
                raise NotFound(f"Không có tài khoản '{username}'.")
        ended = end_sessions(s, actor="cli", account_id=account_id)
    typer.echo(f"Đã kết thúc {ended} phiên đăng nhập.")


@app.command("accounts-from-org")
def accounts_from_org(
    out: Annotated[
        Path, typer.Option("--out", help="Tệp CSV ghi tài khoản và mật khẩu để bàn giao")
    ] = Path("tai-khoan.csv"),
) -> None:
    """Tạo tài khoản cho mọi cán bộ có vai trò (tên đăng nhập = mã cán bộ, mật khẩu ngẫu
    nhiên), ghi ra tệp CSV để quản trị viên bàn giao. Cán bộ đã có tài khoản được bỏ qua."""
    from sqlmodel import select

    from models import Account, Person
    from models.db import session_scope
    from thidua import vn
    from thidua.web.auth import create_account

    if out.exists():
        raise typer.BadParameter(f"Tệp {out} đã có; chọn tên khác để không ghi đè mật khẩu cũ.")
    rows: list[tuple[str, str, str, str]] = []
    with session_scope() as s:
        taken = set(s.exec(select(Account.username)))
        linked = {p for p in s.exec(select(Account.person_id)) if p is not None}
        people = s.exec(select(Person).where(Person.active).order_by(Person.code)).all()
        for p in people:
            if not (set(p.roles or []) & ROLES) or p.id in linked or p.code in taken:
                continue
            password = secrets.token_urlsafe(12)
            create_account(s, username=p.code, password=password, person_code=p.code,
                           is_admin="admin" in p.roles, actor="cli")  # fmt: skip
            rows.append((p.code, password, p.full_name, ", ".join(p.roles)))
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="", encoding="utf-8-sig") as f:  # Excel opens it in UTF-8
        w = csv.writer(f)
        w.writerow(["Tên đăng nhập", "Mật khẩu", "Họ và tên", "Vai trò"])
        rows.sort(key=lambda r: vn.person_key(r[2]))  # as a Vietnamese list
        w.writerows(rows)
    out.chmod(0o600)
    typer.echo(f"Đã tạo {len(rows)} tài khoản; mật khẩu ghi ở {out} (chỉ chủ tệp đọc được).")
