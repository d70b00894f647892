"""`thidua decision`: the drafted decisions and memos, and the head's approval. The last
approval runs the closing stage."""

from typing import Annotated

import typer

from thidua.cli.common import By, say

app = typer.Typer(help="Quyết định khen thưởng, tờ trình: xem và phê duyệt.", no_args_is_help=True)
Code = Annotated[str, typer.Argument(help="Mã phong trào")]


@app.command("list")
def list_(movement_code: Code) -> None:
    """Các quyết định, tờ trình đã dự thảo và việc phê duyệt."""
    from thidua.council import decisions

    for d in decisions(movement_code):
        kind = "Tờ trình" if d.kind == "proposal" else "Quyết định"
        state = f"đã phê duyệt ({d.approved_by})" if d.approved_at else "chờ phê duyệt"
        typer.echo(f"{d.id:6}  {kind} — {d.authority}: {state}")


@app.command("approve")
def approve(
    movement_code: Code,
    decision_id: Annotated[int, typer.Argument(help="Số quyết định, tờ trình")],
    by: By = "",
) -> None:
    """Thủ trưởng cơ quan phê duyệt một quyết định hoặc tờ trình; phê duyệt văn bản cuối cùng
    thì giai đoạn kết thúc phong trào chạy tiếp. Phê duyệt lại thì không có gì thay đổi."""
    from flows.start import start_stage
    from thidua import steps

    say(steps.approve(movement_code, actor=by, decision_id=decision_id, start_stage=start_stage))
