"""`thidua dossier`: the office's work on one award dossier from the command line."""

from typing import Annotated

import typer

app = typer.Typer(help="Hồ sơ đề nghị khen thưởng.", no_args_is_help=True)


@app.command("except")
def record_exception(
    movement_code: Annotated[str, typer.Argument(help="Mã phong trào")],
    nomination_id: Annotated[int, typer.Argument(help="Số hồ sơ")],
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
    from models.db import session_scope
    from thidua import exceptions
    from thidua.movements import find_movement

    with session_scope() as session:
        movement = find_movement(session, movement_code)
        rows = exceptions.record_exception(
            session, movement=movement, nomination_id=nomination_id, rule_ids=rule or [],
            reason=reason, actor=by,
        )  # fmt: skip
        rules = ", ".join(r.rule_id for r in rows)
    typer.echo(f"Đã ghi nhận ngoại lệ cho hồ sơ số {nomination_id} (tiêu chuẩn {rules}).")
