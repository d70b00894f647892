"""`thidua dossier`: award dossiers from the command line — a unit's nomination, its evidence,
resubmission and withdrawal; the office's return and recorded exception; many dossiers at once
from a workbook."""

from pathlib import Path
from typing import Annotated

import typer

from thidua.cli.common import By, pairs, say, xlsx

app = typer.Typer(help="Hồ sơ đề nghị khen thưởng.", no_args_is_help=True)
Id = Annotated[int, typer.Argument(help="Số hồ sơ")]
Reason = Annotated[str, typer.Option("--reason", help="Lý do")]


@app.command("nominate")
def nominate(
    movement_code: Annotated[str, typer.Argument(help="Mã phong trào")],
    unit: Annotated[str, typer.Option("--unit", help="Mã đơn vị đề nghị")] = "",
    title: Annotated[str, typer.Option("--title", help="Mã danh hiệu")] = "",
    person: Annotated[
        str | None, typer.Option("--person", help="Mã cán bộ (đề nghị cá nhân)")
    ] = None,
    collective: Annotated[
        str | None, typer.Option("--collective", help="Mã đơn vị (đề nghị tập thể)")
    ] = None,
    fact: Annotated[
        list[str] | None,
        typer.Option("--fact", help="THÔNG_TIN=GIÁ_TRỊ xét tiêu chuẩn, ví dụ months_worked=12"),
    ] = None,
    priority: Annotated[int | None, typer.Option("--priority", help="Thứ tự ưu tiên")] = None,
    achievement: Annotated[str, typer.Option("--achievement", help="Tóm tắt thành tích")] = "",
    evidence: Annotated[
        list[Path] | None, typer.Option("--evidence", help="Tệp minh chứng (nhắc lại nếu nhiều)")
    ] = None,
    by: By = "",
) -> None:
    """Gửi hồ sơ đề nghị khen thưởng cho một cán bộ hoặc một tập thể thuộc đơn vị, với thông
    tin xét tiêu chuẩn và tệp minh chứng. Gửi lại đúng hồ sơ đã gửi thì không ghi thêm."""
    from thidua import steps

    say(steps.nominate(
        movement_code, actor=by, unit=unit, title=title, person=person, collective=collective,
        achievement=achievement, fact_text=pairs(fact, "--fact"), priority=priority,
        evidence=[steps.read_upload(p) for p in evidence or []],
        subject_kind="collective" if collective else "individual",
    ))  # fmt: skip


@app.command("evidence")
def evidence(
    nomination_id: Id,
    path: Annotated[Path, typer.Argument(help="Tệp minh chứng (PDF, ảnh, DOCX, XLSX)")],
    by: By = "",
) -> None:
    """Bổ sung tệp minh chứng cho hồ sơ (trước khi Hội đồng xét hồ sơ)."""
    from thidua import steps

    upload = steps.read_upload(path)
    say(steps.add_evidence(actor=by, nomination_id=nomination_id, filename=upload.filename,
                           content=upload.content))  # fmt: skip


@app.command("resubmit")
def resubmit(
    nomination_id: Id,
    achievement: Annotated[
        str | None, typer.Option("--achievement", help="Tóm tắt thành tích đã sửa")
    ] = None,
    by: By = "",
) -> None:
    """Gửi lại hồ sơ bị trả lại, sau khi đã sửa."""
    from thidua import steps

    say(steps.resubmit(actor=by, nomination_id=nomination_id, achievement=achievement))


@app.command("withdraw")
def withdraw(nomination_id: Id, reason: Reason = "", by: By = "") -> None:
    """Đơn vị rút hồ sơ của mình, nêu lý do (trước khi Hội đồng xét)."""
    from thidua import steps

    say(steps.withdraw(actor=by, nomination_id=nomination_id, reason=reason))


@app.command("return")
def return_(nomination_id: Id, reason: Reason = "", by: By = "") -> None:
    """Trả lại hồ sơ cho đơn vị sửa, nêu việc cần sửa (cán bộ thường trực thi đua)."""
    from thidua import steps

    say(steps.return_dossier(actor=by, nomination_id=nomination_id, reason=reason))


@app.command("except")
def record_exception(
    movement_code: Annotated[str, typer.Argument(help="Mã phong trào")],
    nomination_id: Id,
    rule: Annotated[
        list[str] | None,
        typer.Option("--rule", help="Mã tiêu chuẩn chưa đạt (nhắc lại nếu nhiều)"),
    ] = None,
    reason: Annotated[str, typer.Option("--reason", help="Lý do vẫn đưa hồ sơ ra Hội đồng")] = "",
    by: Annotated[
        str, typer.Option("--by", help="Người ghi nhận: tên đăng nhập hoặc mã cán bộ")
    ] = "",
) -> None:
    """Ghi nhận ngoại lệ: hồ sơ chưa đạt tiêu chuẩn (hoặc vượt chỉ tiêu) vẫn được đưa ra Hội
    đồng bỏ phiếu, với lý do. Chỉ cán bộ thường trực thi đua, khen thưởng hoặc Chủ tịch Hội
    đồng được ghi nhận. Thiếu lý do, tiêu chuẩn hay người ghi nhận thì không ghi gì."""
    from thidua import steps

    say(steps.record_exception(actor=by, nomination_id=nomination_id, rules=rule or [],
                               reason=reason, code=movement_code))  # fmt: skip


@app.command("list")
def list_(movement_code: Annotated[str, typer.Argument(help="Mã phong trào")]) -> None:
    """Các hồ sơ của phong trào: số hồ sơ, đối tượng, danh hiệu, đơn vị, trạng thái."""
    from thidua import views
    from thidua.statuses import NominationStatus

    for row in views.dossiers_page(movement_code)["rows"]:
        n = row["n"]
        state = NominationStatus(n.status).label
        typer.echo(f"{n.id:6}  {row['subject']} — {row['title']} ({row['unit']}): {state}")


@app.command("template")
def template(
    movement_code: Annotated[str, typer.Argument(help="Mã phong trào")],
    path: Annotated[Path, typer.Argument(help="Nơi ghi tệp mẫu .xlsx")],
) -> None:
    """Tạo tệp Excel để điền nhiều hồ sơ đề nghị: mỗi hồ sơ một dòng."""
    from thidua.bulk_steps import nomination_template

    typer.echo(f"Đã tạo tệp mẫu {nomination_template(movement_code, xlsx(path))}")


@app.command("import")
def import_(
    movement_code: Annotated[str, typer.Argument(help="Mã phong trào")],
    path: Annotated[Path, typer.Argument(help="Tệp .xlsx đã điền")],
    by: By = "",
) -> None:
    """Nhập các hồ sơ đề nghị từ tệp Excel; có lỗi thì không ghi gì và liệt kê mọi lỗi."""
    from thidua.bulk_steps import import_nominations

    typer.echo(str(import_nominations(movement_code, xlsx(path), actor=by)))
