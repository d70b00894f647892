"""`thidua stage`: run a stage of a movement, as an admin would from the Prefect UI."""

from typing import Annotated

import typer

from thidua.stages import STAGE_DEFS
from thidua.triggers import start_stage

app = typer.Typer(help="Các giai đoạn của phong trào: xem và chạy.", no_args_is_help=True)


@app.command("list")
def stage_list() -> None:
    """Liệt kê các giai đoạn có thể chạy."""
    for s in STAGE_DEFS:
        typer.echo(f"{s.name:16} {s.label}")


@app.command("run")
def stage_run(
    movement: Annotated[str, typer.Argument(help="Mã phong trào")],
    stage: Annotated[str, typer.Argument(help="Giai đoạn (xem: thidua stage list)")],
    wait: Annotated[bool, typer.Option(help="Chờ giai đoạn chạy xong (khi qua Prefect)")] = True,
    actor: Annotated[str, typer.Option(help="Người thực hiện, ghi vào nhật ký")] = "admin",
) -> None:
    """Chạy một giai đoạn: qua deployment khi có Prefect server, nếu không thì chạy tại chỗ."""
    run = start_stage(movement, stage, wait=wait, actor=actor)
    typer.echo(f"{run.stage} ({run.via}): {run.status}")
    if run.message:
        typer.echo(run.message)
    if run.status in {"refused", "failed", "not_confirmed"}:
        raise typer.Exit(2)
    if run.status == "pending":  # done, but some messages wait: a script must not read "done"
        raise typer.Exit(3)
