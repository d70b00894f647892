"""`thidua clock`: the movement clock of the data directory (thidua.clock)."""

from typing import Annotated

import typer

from thidua.errors import InvalidInput, Problem

app = typer.Typer(help="Đồng hồ phong trào: ngày giờ mà hệ thống coi là 'bây giờ'.")


@app.command("show")
def show() -> None:
    """Ngày giờ hệ thống đang dùng."""
    from thidua import clock

    at = clock.simulated()
    if at is None:
        typer.echo(f"Giờ thật: {clock.now():%d/%m/%Y %H:%M}")
    else:
        typer.echo(f"Đồng hồ phong trào: {at.astimezone(clock.TZ):%d/%m/%Y %H:%M}")


@app.command("set")
def set_(
    when: Annotated[str, typer.Argument(help="2022-06-30 hoặc 2022-06-30T08:30 (giờ Việt Nam)")],
) -> None:
    """Đặt đồng hồ phong trào cho thư mục dữ liệu (phải nằm trong năm của các phong trào)."""
    from thidua import clock

    try:
        at = clock.parse(when)
    except ValueError as e:
        raise InvalidInput(str(e), [Problem("ngày", "sai dạng")]) from None
    for code, year in _movements():
        clock.check_year(at, year, code)
    clock.set_clock(at)
    typer.echo(f"Đồng hồ phong trào: {at:%d/%m/%Y %H:%M}")


@app.command("clear")
def clear() -> None:
    """Trở về giờ thật."""
    from thidua import clock

    clock.set_clock(None)
    typer.echo("Đồng hồ trở về giờ thật.")


def _movements() -> list[tuple[str, int]]:
    """The movements under way in this data directory (none when it has no database yet)."""
    from sqlmodel import select

    from models import Movement
    from models.db import session_scope
    from thidua.lifecycle import State

    try:
        with session_scope() as s:
            rows = s.exec(select(Movement.code, Movement.year, Movement.state)).all()
    except Exception:  # no database yet: nothing to check against
        return []
    return [(c, y) for c, y, st in rows if st not in {State.DRAFT.value, State.CLOSED.value}]
