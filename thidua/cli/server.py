"""`thidua server status|start|stop`: the local Prefect server of the data directory."""

import typer

app = typer.Typer(
    help="Máy chủ Prefect cục bộ của thư mục dữ liệu: xem, khởi động, dừng.", no_args_is_help=True
)


def _uptime(seconds: float) -> str:
    minutes = int(seconds // 60)
    return f"{minutes // 60} giờ {minutes % 60} phút" if minutes >= 60 else f"{minutes} phút"


@app.command("status")
def server_status() -> None:
    """Máy chủ đang chạy hay không, và giao diện Prefect ở đâu."""
    import time

    from flows import server

    external = server.external_api_url()
    if external:
        typer.echo(f"Dùng máy chủ Prefect ngoài (PREFECT_API_URL): {external}")
        typer.echo("Đang trả lời." if server.healthy(external) else "KHÔNG trả lời.")
        return
    info = server.status()
    home = server.prefect_home()
    if info is None:
        typer.echo(f"Máy chủ Prefect cục bộ chưa chạy ({home}).")
        typer.echo("Lệnh đầu tiên cần đến nó sẽ tự khởi động; hoặc: thidua server start")
        return
    typer.echo(f"Máy chủ Prefect cục bộ đang chạy (tiến trình {info.pid}, đã chạy "
               f"{_uptime(time.time() - info.started)}).")  # fmt: skip
    typer.echo(f"Giao diện Prefect: {info.ui_url}")
    typer.echo(f"Dữ liệu và nhật ký: {home}")


@app.command("start")
def server_start() -> None:
    """Khởi động máy chủ (nếu chưa chạy); các lệnh sau dùng lại nó."""
    from flows import server

    info = server.ensure_server()
    typer.echo(f"Máy chủ Prefect cục bộ đang chạy. Giao diện Prefect: {info.ui_url}")


@app.command("stop")
def server_stop() -> None:
    """Dừng máy chủ Prefect cục bộ của thư mục dữ liệu này."""
    from flows import server

    info = server.stop_server()
    if info is None:
        typer.echo("Máy chủ Prefect cục bộ không chạy; không có gì để dừng.")
    else:
        typer.echo(f"Đã dừng máy chủ Prefect cục bộ (tiến trình {info.pid}).")
