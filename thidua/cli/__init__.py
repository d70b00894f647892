"""The `thidua` command line: every command goes through the same domain layer as the portal
and the flows. A refusal prints its reason and exits 2; it never shows a traceback."""

import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.exc import OperationalError

from thidua.errors import ThiduaError
from thidua.settings import reset_settings

app = typer.Typer(
    help="thidua — quản lý phong trào thi đua, khen thưởng: từ văn bản phát động đến quyết định "
    "khen thưởng.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    add_completion=False,
)


@app.callback()
def _root(
    data_dir: Annotated[
        Path | None,
        typer.Option(
            "--data-dir",
            help="Thư mục dữ liệu (cơ sở dữ liệu, văn bản, hộp thư đi). Mặc định: THIDUA_DATA_DIR "
            "hoặc ./data",
        ),
    ] = None,
) -> None:
    if data_dir is not None:
        os.environ["THIDUA_DATA_DIR"] = str(data_dir)
        reset_settings()


def _register() -> None:
    from thidua.cli import clock, db, demo, notify, org, rules, spec, stage, status, web

    app.add_typer(db.app, name="db")
    app.add_typer(spec.app, name="spec")
    app.add_typer(org.app, name="org")
    app.add_typer(stage.app, name="stage")
    app.add_typer(rules.app, name="rules")
    app.add_typer(notify.app, name="notify")
    app.add_typer(web.app, name="web")
    app.command("status")(status.status)
    app.add_typer(clock.app, name="clock")
    app.command("demo")(demo.demo)
    app.command("rehearse")(demo.rehearse)


_register()


def main() -> None:
    try:
        app()
    except ThiduaError as e:
        typer.secho(f"Lỗi: {e}", err=True, fg=typer.colors.RED)
        sys.exit(2)
    except OperationalError as e:
        typer.secho(
            f"Lỗi: không kết nối được cơ sở dữ liệu hoặc lược đồ chưa được tạo "
            f"(chạy 'thidua db upgrade'). Chi tiết: {e.orig}",
            err=True,
            fg=typer.colors.RED,
        )
        sys.exit(2)
