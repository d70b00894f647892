"""`thidua score`: points against a block's criteria table — a unit's own, its block leader's,
the council's — one sheet at a time or from a workbook."""

from pathlib import Path
from typing import Annotated

import typer

from thidua.cli.common import By, pairs, say, xlsx

app = typer.Typer(help="Chấm điểm thi đua theo bảng tiêu chí của khối.", no_args_is_help=True)
KIND = {"tu-cham": "self", "khoi-truong": "leader", "hoi-dong": "council"}


@app.command("give")
def give(
    movement_code: Annotated[str, typer.Argument(help="Mã phong trào")],
    unit: Annotated[str, typer.Option("--unit", help="Mã đơn vị được chấm")] = "",
    point: Annotated[
        list[str] | None,
        typer.Option("--point", help="MÃ_TIÊU_CHÍ=ĐIỂM (nhắc lại cho mỗi tiêu chí)"),
    ] = None,
    kind: Annotated[
        str, typer.Option("--kind", help="Người chấm: tu-cham, khoi-truong hoặc hoi-dong")
    ] = "tu-cham",
    by: By = "",
) -> None:
    """Ghi điểm cho một đơn vị theo bảng tiêu chí của khối (trước khi tổng kết). Ghi lại đúng
    điểm đã có thì không ghi thêm."""
    from thidua import steps

    say(steps.score(movement_code, actor=by, unit=unit, points=pairs(point, "--point"),
                    kind=KIND.get(kind, kind)))  # fmt: skip


@app.command("template")
def template(
    movement_code: Annotated[str, typer.Argument(help="Mã phong trào")],
    path: Annotated[Path, typer.Argument(help="Nơi ghi tệp mẫu .xlsx")],
) -> None:
    """Tạo tệp Excel chấm điểm: mỗi bảng tiêu chí một sheet, mỗi đơn vị một dòng."""
    from thidua.bulk_steps import score_template

    typer.echo(f"Đã tạo tệp mẫu {score_template(movement_code, xlsx(path))}")


@app.command("import")
def import_(
    movement_code: Annotated[str, typer.Argument(help="Mã phong trào")],
    path: Annotated[Path, typer.Argument(help="Tệp .xlsx đã điền")],
    by: By = "",
) -> None:
    """Nhập điểm từ tệp Excel; có lỗi thì không ghi gì và liệt kê mọi lỗi."""
    from thidua.bulk_steps import import_scores

    typer.echo(str(import_scores(movement_code, xlsx(path), actor=by)))
