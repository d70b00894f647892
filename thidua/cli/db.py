"""`thidua db`: the schema."""

import typer

app = typer.Typer(help="Cơ sở dữ liệu: tạo hoặc nâng cấp lược đồ.", no_args_is_help=True)


@app.command("upgrade")
def db_upgrade() -> None:
    """Tạo lược đồ trên cơ sở dữ liệu trống, hoặc nâng cấp lược đồ cũ lên bản mới nhất."""
    from models.migrate import current, upgrade
    from thidua.settings import get_settings

    url = get_settings().database_url
    upgrade(url)
    typer.echo(f"Lược đồ ở phiên bản {current(url)} ({_safe(url)}).")


@app.command("current")
def db_current() -> None:
    """In phiên bản lược đồ hiện tại."""
    from models.migrate import current
    from thidua.settings import get_settings

    url = get_settings().database_url
    typer.echo(current(url) or "(chưa có lược đồ)")


def _safe(url: str) -> str:
    from sqlalchemy import make_url

    return make_url(url).render_as_string(hide_password=True)
