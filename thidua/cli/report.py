"""`thidua report`: a unit's period report, the office returning one, and all units' reports
from a workbook."""

from pathlib import Path
from typing import Annotated

import typer

from thidua.cli.common import By, pairs, say, xlsx

app = typer.Typer(help="Báo cáo kết quả theo đợt của các đơn vị.", no_args_is_help=True)
Period = Annotated[int | None, typer.Option("--period", help="Đợt (mặc định: đợt đang nhận)")]


def _period(code: str, period: int | None) -> int:
    if period is not None:
        return period
    from models.db import session_scope
    from thidua.bulk_steps import open_period
    from thidua.movements import find_movement

    with session_scope() as s:
        return open_period(s, find_movement(s, code))


@app.command("submit")
def submit(
    movement_code: Annotated[str, typer.Argument(help="Mã phong trào")],
    unit: Annotated[str, typer.Option("--unit", help="Mã đơn vị báo cáo")] = "",
    period: Period = None,
    value: Annotated[
        list[str] | None, typer.Option("--value", help="MÃ_CHỈ_TIÊU=SỐ (nhắc lại cho mỗi chỉ tiêu)")
    ] = None,
    growth: Annotated[
        list[str] | None, typer.Option("--growth", help="MÃ_CHỈ_TIÊU=PHẦN_TRĂM tăng trưởng")
    ] = None,
    summary: Annotated[str, typer.Option("--summary", help="Tóm tắt kết quả")] = "",
    by: By = "",
) -> None:
    """Nộp báo cáo của một đơn vị cho một đợt (số viết kiểu Việt Nam: 1.234,5). Nộp lại khi đợt
    còn nhận hoặc báo cáo bị trả lại thì thay số liệu đã nộp."""
    from thidua import steps

    say(steps.submit_report(
        movement_code, actor=by, unit=unit, period=_period(movement_code, period),
        values=pairs(value, "--value"), growth=pairs(growth, "--growth"), summary=summary,
    ))  # fmt: skip


@app.command("return")
def return_(
    report_id: Annotated[int, typer.Argument(help="Số báo cáo (xem: thidua report list)")],
    reason: Annotated[str, typer.Option("--reason", help="Lý do trả lại, việc cần sửa")] = "",
    by: By = "",
) -> None:
    """Trả lại báo cáo cho đơn vị sửa, nêu lý do (cán bộ thường trực thi đua)."""
    from thidua import steps

    say(steps.return_report(actor=by, report_id=report_id, reason=reason))


@app.command("list")
def list_(movement_code: Annotated[str, typer.Argument(help="Mã phong trào")]) -> None:
    """Các báo cáo đã nộp: số báo cáo, đợt, đơn vị, trạng thái."""
    from thidua import views
    from thidua.statuses import ReportStatus

    page = views.reports(movement_code)
    for report, code, name in page["rows"]:
        state = ReportStatus(report.status).label
        typer.echo(f"{report.id:6}  Đợt {report.period_number}  {code:12} {name} — {state}")


@app.command("template")
def template(
    movement_code: Annotated[str, typer.Argument(help="Mã phong trào")],
    path: Annotated[Path, typer.Argument(help="Nơi ghi tệp mẫu .xlsx")],
    period: Period = None,
) -> None:
    """Tạo tệp Excel để điền báo cáo của mọi đơn vị cho một đợt (điền sẵn đơn vị và số liệu đã
    nộp)."""
    from thidua.bulk_steps import report_template

    written = report_template(movement_code, xlsx(path), period=_period(movement_code, period))
    typer.echo(f"Đã tạo tệp mẫu {written}")


@app.command("import")
def import_(
    movement_code: Annotated[str, typer.Argument(help="Mã phong trào")],
    path: Annotated[Path, typer.Argument(help="Tệp .xlsx đã điền")],
    period: Period = None,
    by: By = "",
) -> None:
    """Nhập báo cáo của các đơn vị từ tệp Excel; có lỗi thì không ghi gì và liệt kê mọi lỗi
    (sheet, dòng, cột, lý do)."""
    from thidua.bulk_steps import import_reports

    done = import_reports(movement_code, xlsx(path), period=_period(movement_code, period),
                          actor=by)  # fmt: skip
    typer.echo(str(done))
