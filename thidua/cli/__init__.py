"""The `thidua` command line: every command goes through the same domain layer as the portal
and the flows. A refusal prints its reason and exits 2; any other failure prints one sentence
saying what failed and what to do, with the details in a log file (thidua.cli.failures) — never
a traceback.

Start-up is kept under a second: this package and its command modules import only typer at the
top; the database, Prefect, openpyxl… are imported inside the command that needs them."""

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from thidua.cli.i18n import install as _install_vietnamese

_install_vietnamese()  # Click's own words (Usage, Options, Missing argument…) in Vietnamese

app = typer.Typer(
    help="thidua — quản lý phong trào thi đua, khen thưởng: từ văn bản phát động đến quyết định "
    "khen thưởng.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
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
        from thidua.settings import reset_settings

        os.environ["THIDUA_DATA_DIR"] = str(data_dir)
        reset_settings()


def _register() -> None:
    from thidua.cli import (
        audit,
        backup,
        clock,
        council,
        db,
        decision,
        demo,
        documents,
        dossier,
        notify,
        org,
        register,
        report,
        rules,
        score,
        server,
        spec,
        stage,
        status,
        web,
    )

    app.add_typer(db.app, name="db")
    app.add_typer(spec.app, name="spec")
    app.add_typer(org.app, name="org")
    app.add_typer(stage.app, name="stage")
    app.add_typer(rules.app, name="rules")
    app.command("register")(register.register)
    app.add_typer(report.app, name="report")
    app.add_typer(score.app, name="score")
    app.add_typer(dossier.app, name="dossier")
    app.add_typer(documents.app, name="documents")
    app.add_typer(council.app, name="council")
    app.add_typer(decision.app, name="decision")
    app.add_typer(notify.app, name="notify")
    app.add_typer(web.app, name="web")
    app.add_typer(server.app, name="server")
    app.add_typer(audit.app, name="audit")
    app.command("status")(status.status)
    app.add_typer(clock.app, name="clock")
    app.command("demo")(demo.demo)
    app.command("rehearse")(demo.rehearse)
    app.command("backup")(backup.backup)
    app.command("restore")(backup.restore)


_register()


def main(args: list[str] | None = None) -> None:
    from thidua.errors import ThiduaError

    # Prefect's own console lines (and their tracebacks) stay in the Prefect UI; the command
    # prints its own progress and summary.
    os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "CRITICAL")
    try:
        app(args=args, prog_name="thidua")
    except ThiduaError as e:
        typer.secho(f"Lỗi: {e}", err=True, fg=typer.colors.RED)
        sys.exit(2)
    except KeyboardInterrupt:
        typer.secho("Đã dừng theo yêu cầu (Ctrl-C).", err=True, fg=typer.colors.YELLOW)
        sys.exit(130)
    except Exception as e:  # the one place every other failure ends up: a sentence and a log
        from thidua.cli.failures import explain
        from thidua.errors import database_reason

        # a lock held by another run, a timeout, a full disk: the user only has to run it again
        why = database_reason(e) if "sqlalchemy" in sys.modules else None
        if why is not None:
            typer.secho(f"Lỗi: {why}", err=True, fg=typer.colors.RED)
            sys.exit(2)
        typer.secho(explain(e), err=True, fg=typer.colors.RED)
        sys.exit(1)
