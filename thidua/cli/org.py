"""`thidua org template|import`: the organisation (units, blocks, people) from a spreadsheet."""

from pathlib import Path

import typer

from thidua.errors import ThiduaError

app = typer.Typer(
    help="Dữ liệu tổ chức: đơn vị, khối thi đua, cán bộ (tệp Excel hoặc CSV).",
    no_args_is_help=True,
)


@app.command("template")
def template(path: Path = typer.Argument(..., help="Nơi ghi tệp mẫu .xlsx")) -> None:
    """Tạo tệp Excel mẫu để điền đơn vị, khối thi đua và cán bộ."""
    from thidua.orgdata import write_template

    if path.suffix.lower() != ".xlsx":
        typer.echo(f"Tên tệp mẫu phải có đuôi .xlsx: {path}", err=True)
        raise typer.Exit(1)
    try:
        write_template(path)
    except OSError as e:
        typer.echo(f"Không ghi được {path}: {e.strerror}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"Đã tạo tệp mẫu {path}")


@app.command("export")
def export(path: Path = typer.Argument(..., help="Nơi ghi tệp .xlsx")) -> None:
    """Xuất tổ chức hiện có ra tệp Excel theo mẫu (sửa rồi nhập lại)."""
    from models.db import session_scope
    from thidua.orgdata import export_org

    if path.suffix.lower() != ".xlsx":
        typer.echo(f"Tên tệp phải có đuôi .xlsx: {path}", err=True)
        raise typer.Exit(1)
    try:
        with session_scope() as session:
            export_org(session, path)
    except OSError as e:
        typer.echo(f"Không ghi được {path}: {e.strerror}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"Đã xuất tổ chức ra {path}")


@app.command("import")
def import_(
    paths: list[Path] = typer.Argument(
        ..., help="Tệp .xlsx, hoặc thư mục / các tệp units.csv, blocks.csv, people.csv"
    ),
    actor: str = typer.Option("cli", help="Người thực hiện (ghi vào nhật ký)"),
) -> None:
    """Nhập (thêm hoặc cập nhật theo mã) đơn vị, khối thi đua và cán bộ; có lỗi thì không ghi gì."""
    from models.db import session_scope
    from thidua.orgdata import import_org

    source = paths[0] if len(paths) == 1 else list(paths)
    try:
        with session_scope() as session:
            summary = import_org(session, source, actor=actor)
    except ThiduaError as e:
        typer.echo(f"{e.message}:" if e.problems else e.message, err=True)
        for p in e.problems:
            typer.echo(f"  - {p}", err=True)
        raise typer.Exit(1) from None
    except Exception as e:  # a database that is down or not migrated: say so, no traceback
        first = str(e).splitlines()[0] if str(e) else ""
        typer.echo(f"Lỗi cơ sở dữ liệu, chưa ghi gì: {type(e).__name__}: {first}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"Đã nhập: {summary}")
