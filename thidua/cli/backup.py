"""`thidua backup DEST` and `thidua restore SRC`: the database and the files, together."""

from pathlib import Path
from typing import Annotated

import typer

from thidua.errors import ThiduaError


def _refuse(e: ThiduaError) -> typer.Exit:
    typer.echo(f"Lỗi: {e}", err=True)
    return typer.Exit(2)


def backup(
    dest: Annotated[Path, typer.Argument(help="Thư mục mới (hoặc trống) để ghi bản sao lưu")],
) -> None:
    """Sao lưu cơ sở dữ liệu cùng văn bản, minh chứng và hộp thư đi, kèm mã băm từng tệp."""
    from thidua.backup import backup as run

    try:
        typer.echo(run(dest).summary("Đã sao lưu"))
    except ThiduaError as e:
        raise _refuse(e) from None


def restore(
    src: Annotated[Path, typer.Argument(help="Thư mục bản sao lưu (có manifest.json)")],
) -> None:
    """Khôi phục một bản sao lưu vào thư mục dữ liệu trống (và cơ sở dữ liệu trống)."""
    from thidua.backup import restore as run

    try:
        typer.echo(run(src).summary("Đã khôi phục"))
    except ThiduaError as e:
        raise _refuse(e) from None
