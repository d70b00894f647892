"""`thidua register`: a unit's registration for titles (đăng ký thi đua)."""

from typing import Annotated

import typer

from thidua.cli.common import By, say


def register(
    movement_code: Annotated[str, typer.Argument(help="Mã phong trào")],
    unit: Annotated[str, typer.Option("--unit", help="Mã đơn vị đăng ký")] = "",
    title: Annotated[
        list[str] | None, typer.Option("--title", help="Mã danh hiệu (nhắc lại nếu nhiều)")
    ] = None,
    person: Annotated[
        str | None, typer.Option("--person", help="Mã cán bộ (đăng ký cho cá nhân)")
    ] = None,
    pledge: Annotated[str | None, typer.Option("--pledge", help="Nội dung đăng ký")] = None,
    by: By = "",
) -> None:
    """Đăng ký thi đua cho đơn vị (hoặc một cán bộ của đơn vị) theo các danh hiệu của bộ quy
    tắc. Đăng ký lại danh hiệu đã đăng ký thì không ghi thêm."""
    from thidua import steps

    say(steps.register(movement_code, actor=by, unit=unit, titles=title or [], person=person,
                       pledge=pledge))  # fmt: skip
