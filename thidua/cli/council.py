"""`thidua council`: a council member's ballot and recusal, the secretary's roll call, the
chair closing the vote. The last ballot, or the close, runs the decision stage."""

from typing import Annotated

import typer

from thidua.cli.common import By, pairs, say

app = typer.Typer(help="Hội đồng Thi đua - Khen thưởng: bỏ phiếu kín.", no_args_is_help=True)
Code = Annotated[str, typer.Argument(help="Mã phong trào")]
CHOICES = {"yes": "yes", "no": "no", "blank": "blank", "dong y": "yes", "khong dong y": "no",
           "trang": "blank", "phieu trang": "blank"}  # fmt: skip


@app.command("vote")
def vote(
    movement_code: Code,
    choice: Annotated[
        list[str] | None,
        typer.Option("--choice", help="SỐ_HỒ_SƠ=đồng ý | không đồng ý | trắng (nhắc lại)"),
    ] = None,
    by: By = "",
) -> None:
    """Bỏ phiếu kín của một thành viên Hội đồng: mỗi hồ sơ một ý kiến. Phiếu cho hồ sơ đã bỏ
    phiếu thì không được ghi (phiếu đầu được giữ)."""
    from flows.start import start_stage
    from thidua import steps
    from thidua.errors import InvalidInput, Problem
    from thidua.sheets import plain_word

    papers, bad = {}, []
    for nid, word in pairs(choice, "--choice").items():
        picked = CHOICES.get(plain_word(word))
        if not nid.isdigit() or picked is None:
            bad.append(Problem("--choice", f"'{nid}={word}': số hồ sơ = đồng ý, không đồng ý "
                                           "hoặc trắng"))  # fmt: skip
        else:
            papers[int(nid)] = picked
    if bad:
        raise InvalidInput("Phiếu không hợp lệ", bad)
    say(steps.vote(movement_code, actor=by, choices=papers, start_stage=start_stage))


@app.command("recuse")
def recuse(
    movement_code: Code,
    nomination_id: Annotated[int, typer.Argument(help="Số hồ sơ")],
    reason: Annotated[str, typer.Option("--reason", help="Lý do không tham gia biểu quyết")] = "",
    by: By = "",
) -> None:
    """Thành viên xin không tham gia biểu quyết một hồ sơ, nêu lý do."""
    from flows.start import start_stage
    from thidua import steps

    say(steps.recuse(movement_code, actor=by, nomination_id=nomination_id, reason=reason,
                     start_stage=start_stage))  # fmt: skip


@app.command("attendance")
def attendance(
    movement_code: Code,
    member: Annotated[str, typer.Argument(help="Mã cán bộ của thành viên")],
    present: Annotated[bool, typer.Option("--present/--absent", help="Có mặt / vắng mặt")] = True,
    reason: Annotated[str, typer.Option("--reason", help="Lý do vắng mặt")] = "",
    by: By = "",
) -> None:
    """Thư ký (hoặc Chủ tịch) Hội đồng điểm danh một thành viên."""
    from thidua import steps

    say(steps.mark_attendance(movement_code, actor=by, member=member, present=present,
                              reason=reason))  # fmt: skip


@app.command("close")
def close(movement_code: Code, by: By = "") -> None:
    """Chủ tịch Hội đồng kết thúc bỏ phiếu (hoặc bất kỳ ai khi đã hết hạn); giai đoạn quyết
    định khen thưởng chạy tiếp."""
    from flows.start import start_stage
    from thidua import steps

    say(steps.close_vote(movement_code, actor=by, start_stage=start_stage))
