"""`thidua status`: the stage, the next deadlines, what each unit still owes."""

from typer.testing import CliRunner

from tests.factories import make_movement, make_units
from thidua import submissions
from thidua.cli import app


def test_status_shows_stage_deadlines_and_what_units_owe(session, db_url: str) -> None:
    _, units = make_units(session, 3)
    m = make_movement(session, units=units, state="registration")
    submissions.register(session, movement=m, unit_id=units[0].id, titles=["TTLDTT"], actor="u")
    session.commit()
    out = CliRunner().invoke(app, ["status", m.code])
    assert out.exit_code == 0, out.output
    assert "Giai đoạn: Đăng ký thi đua" in out.output
    assert "open-period-1 (Bắt đầu Đợt 1)" in out.output  # what `stage run` takes
    assert "Đơn vị còn nợ: 2" in out.output
    assert units[1].code in out.output and units[0].code not in out.output.split("còn nợ")[1]
    assert "ngày 31 tháng 3 năm 2022" in out.output  # registration due, Vietnamese form


def test_status_of_an_unknown_movement_is_a_clear_error(db_url: str) -> None:
    from thidua.cli import main  # noqa: F401 - the entry point that turns errors into messages

    out = CliRunner().invoke(app, ["status", "khong-co"])
    assert out.exit_code != 0
    assert "Không có phong trào 'khong-co'" in str(out.exception) or "khong-co" in out.output
