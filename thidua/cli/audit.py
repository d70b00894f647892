"""`thidua audit verify`: check the audit log's hash chain and name the first broken link."""

import typer

app = typer.Typer(help="Nhật ký kiểm tra (audit): kiểm tra tính toàn vẹn.", no_args_is_help=True)


@app.command("verify")
def verify() -> None:
    """Kiểm tra chuỗi mã băm của nhật ký: báo sự kiện đầu tiên bị sửa, xoá, chèn hoặc đổi
    thứ tự. Thoát mã 1 nếu chuỗi bị đứt."""
    from models.db import session_scope
    from thidua.auditchain import verify as check

    with session_scope() as s:
        v = check(s)
    if v.ok:
        typer.echo(f"Nhật ký nguyên vẹn: {v.checked} sự kiện, mã băm cuối {v.head}.")
        typer.echo("Hãy ghi lại mã băm cuối ở nơi khác để phát hiện cả việc xoá các sự kiện cuối.")
        return
    typer.secho(
        f"Nhật ký bị thay đổi: chuỗi đứt ở sự kiện số {v.broken_id} ({v.reason}); "
        f"{v.checked} sự kiện trước đó nguyên vẹn.",
        err=True,
        fg=typer.colors.RED,
    )
    raise typer.Exit(1)
