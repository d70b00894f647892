"""`thidua stage`: run a stage of a movement, as an admin would from the Prefect UI."""

from typing import Annotated

import typer

from thidua.stages import STAGE_DEFS
from thidua.triggers import start_stage

app = typer.Typer(help="Các giai đoạn của phong trào: xem và chạy.", no_args_is_help=True)


@app.command("list")
def stage_list(
    movement: Annotated[
        str | None, typer.Argument(help="Mã phong trào (chỉ các giai đoạn của nó)")
    ] = None,
) -> None:
    """Liệt kê các giai đoạn có thể chạy; với mã phong trào: các giai đoạn phong trào đó có
    (phong trào một đợt không có sơ kết, Đợt 2)."""
    defs = list(STAGE_DEFS)
    if movement:
        from models.db import session_scope
        from thidua.lifecycle import period_count
        from thidua.stages import stage_defs_for
        from thidua.status import find_movement

        with session_scope() as s:
            defs = stage_defs_for(period_count(s, find_movement(s, movement)))
    for d in defs:
        typer.echo(f"{d.name:16} {d.label}")


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
