"""`thidua documents pdf MOVEMENT`: the PDF copies a stage could not make (LibreOffice was
missing, busy or too slow), made now."""

from typing import Annotated

import typer

app = typer.Typer(help="Văn bản đã ban hành của phong trào.", no_args_is_help=True)


@app.command("pdf")
def pdf(
    movement: Annotated[str, typer.Argument(help="Mã phong trào")],
) -> None:
    """Tạo bản PDF cho mọi văn bản đã ban hành (trừ báo cáo của đơn vị và báo cáo thành tích)
    còn thiếu PDF. Văn bản nào chưa tạo được thì vẫn chờ, chạy lại lệnh sau."""
    from thidua.documents.pdf import convert_missing, soffice

    if soffice() is None:
        typer.echo("Không có LibreOffice (lệnh soffice): cài LibreOffice rồi chạy lại.")
        raise typer.Exit(2)
    report = convert_missing(movement)
    if not report.converted and not report.pending:
        typer.echo("Mọi văn bản đã có bản PDF.")
        return
    typer.echo(report.line())
    for title in report.pending[:20]:
        typer.echo(f"  chờ: {title}")
    if report.pending:
        raise typer.Exit(3)  # like a stage with messages still waiting
