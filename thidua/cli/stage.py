"""`thidua stage`: run a stage of a movement, as an admin would from the Prefect UI."""

from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from rich.progress import TaskID

app = typer.Typer(help="Các giai đoạn của phong trào: xem và chạy.", no_args_is_help=True)

STATUS = {
    "done": "đã thực hiện",
    "already_done": "đã hoàn thành trước đó, không làm gì thêm",
    "refused": "bị từ chối",
    "not_confirmed": "chưa được xác nhận, chưa gửi gì",
    "scheduled": "đã gửi yêu cầu chạy tới Prefect",
    "failed": "không thành công",
    "pending": "đã thực hiện, còn thông báo chờ gửi",
}
VIA = {"deployment": "qua Prefect worker", "in-process": "chạy tại máy này"}


@app.command("list")
def stage_list(
    movement: Annotated[
        str | None, typer.Argument(help="Mã phong trào (chỉ các giai đoạn của nó)")
    ] = None,
) -> None:
    """Liệt kê các giai đoạn có thể chạy; với mã phong trào: các giai đoạn phong trào đó có
    (phong trào một đợt không có sơ kết, Đợt 2)."""
    from thidua.lifecycle import PROCESS

    defs = list(PROCESS)
    if movement:
        from models.db import session_scope
        from thidua.lifecycle import period_count, stage_defs_for
        from thidua.movements import find_movement

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
    from flows.start import check_request

    sdef = check_request(movement, stage)  # refused before any server starts
    typer.echo(f"{sdef.label} — {movement}…", err=True)
    from flows.server import connected
    from flows.start import start_stage

    with connected(), _progress():  # Prefect set up before it is first imported
        run = start_stage(movement, stage, wait=wait, actor=actor)
    typer.echo(f"{sdef.label} ({VIA.get(run.via, run.via)}): {STATUS.get(run.status, run.status)}")
    summary = "; ".join(f"{k}: {v}" for k, v in run.counts.items())
    if run.message and run.message not in (run.status, summary):
        typer.echo(run.message)
    for what, n in run.counts.items():
        typer.echo(f"  {what}: {n}")
    if run.status in {"refused", "failed", "not_confirmed"}:
        raise typer.Exit(2)
    if run.status == "pending":  # done, but some messages wait: a script must not read "done"
        raise typer.Exit(3)


class _progress:
    """Rich progress bars, one per kind of work (documents, messages…), fed by the stage's
    batches when it runs in this process."""

    def __enter__(self) -> "_progress":
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        import flows.common

        self.bars = Progress(TextColumn("{task.description}"), BarColumn(),
                             MofNCompleteColumn(), console=Console(stderr=True),
                             transient=False)  # fmt: skip
        self.tasks: dict[str, TaskID] = {}
        self.hooks = flows.common.PROGRESS
        self.hooks.append(self.update)
        self.bars.start()
        return self

    def update(self, what: str, done: int, total: int) -> None:
        if what not in self.tasks:
            self.tasks[what] = self.bars.add_task(what, total=total)
        self.bars.update(self.tasks[what], completed=done, total=total)

    def __exit__(self, *exc: object) -> None:
        self.bars.stop()
        self.hooks.remove(self.update)
