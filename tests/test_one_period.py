"""A one-period movement (a directive that names no periods) reads as one period everywhere:
"năm 2021", never "Đợt 1" or "Cả năm năm"; the stages it does not have are not offered."""

from pathlib import Path

import pytest
from sqlmodel import Session, select

from models import Deadline
from tests.factories import make_units
from thidua import documents as D
from thidua.errors import ThiduaError
from thidua.lifecycle import (
    State,
    movement_state_label,
    offered_stages,
    period_phrase,
    stage_defs_for,
    state_label,
)
from thidua.obligations import outstanding
from thidua.spec import enrol_participants, load_spec, store_spec
from thidua.status import movement_status
from thidua.submissions import submit_period_report

EX = Path(__file__).resolve().parent.parent / "examples"


def stored(session: Session, name: str, stage: State):
    _, units = make_units(session, 2)
    m = store_spec(session, load_spec(EX / name), actor="vp")
    enrol_participants(session, m)
    m.state = stage.value
    session.add(m)
    session.flush()
    return m, units


def test_one_period_labels_steps_and_stages(session: Session):
    m, _ = stored(session, "quangngai-sct-2021.yaml", State.PERIOD1_OPEN)
    assert period_phrase(session, m, 1) == "năm 2021"
    assert movement_state_label(session, m) == "Đang thi đua"
    assert [(d.name, d.label) for d in offered_stages(session, m)] == [
        ("close-period-1", "Kết thúc thời gian thi đua")
    ]
    m.state = State.PERIOD1_CLOSED.value
    assert [d.name for d in offered_stages(session, m)] == ["final-tally"]  # no sơ kết offered
    status = movement_status(session, m.code)
    assert status.state_label == "Đã hết thời gian thi đua"
    assert status.next_stages == ["final-tally (Tổng kết)"]
    names = [d.name for d in stage_defs_for(1)]
    assert "interim-review" not in names and "open-period-2" not in names
    assert {d.label for d in stage_defs_for(1)} >= {"Bắt đầu thi đua", "Kết thúc thời gian thi đua"}
    assert len(stage_defs_for(2)) == len(stage_defs_for(1)) + 3
    label = session.exec(select(Deadline.label).where(Deadline.kind == "period_1_report")).one()
    assert label == "Hạn gửi báo cáo kết quả năm 2021"
    m.state = State.PERIOD1_OPEN.value
    owed = {o.label for o in outstanding(session, m)}
    assert owed == {"Đăng ký thi đua", "Báo cáo kết quả năm 2021"}  # no criteria: no self-score
    every = " ".join([status.state_label, *status.next_stages, *(d for _, d in status.deadlines)])
    assert "Đợt" not in every and "Cả năm" not in every


def test_one_period_documents_and_refusals(session: Session):
    m, (a, _) = stored(session, "quangngai-sct-2021.yaml", State.REGISTRATION)
    with pytest.raises(ThiduaError) as e:
        submit_period_report(session, movement=m, unit_id=a.id, period_number=1, values={},
                             actor="u")  # fmt: skip
    assert "nộp báo cáo năm 2021" in e.value.message and "Đợt" not in e.value.message
    m.state = State.PERIOD1_OPEN.value
    submit_period_report(session, movement=m, unit_id=a.id, period_number=1, values={}, actor="u")
    ctx = D.unit_report_context(session, m, a.id, 1)
    assert ctx["summary"] == "Kết quả thực hiện phong trào thi đua năm 2021"
    assert ctx["period_name"] == "năm 2021"


def test_two_periods_keep_their_names_and_stages(session: Session):
    m, _ = stored(session, "hanam-sct-2022.yaml", State.PERIOD1_CLOSED)
    assert period_phrase(session, m, 1) == "Đợt 1"
    assert movement_state_label(session, m) == "Đã kết thúc Đợt 1"
    assert [d.name for d in offered_stages(session, m)] == ["interim-review"]  # not the tally
    assert state_label(State.PERIOD1_OPEN, 2) == "Đang diễn ra Đợt 1"


def test_cli_status_and_stage_list_of_a_one_period_movement(session: Session, db_url: str):
    from typer.testing import CliRunner

    from thidua.cli import app

    m, _ = stored(session, "quangngai-sct-2021.yaml", State.PERIOD1_CLOSED)
    session.commit()
    out = CliRunner().invoke(app, ["status", m.code])
    assert out.exit_code == 0, out.output
    assert "Giai đoạn: Đã hết thời gian thi đua" in out.output
    assert "final-tally (Tổng kết)" in out.output and "interim-review" not in out.output
    listed = CliRunner().invoke(app, ["stage", "list", m.code])
    assert listed.exit_code == 0, listed.output
    assert "Bắt đầu thi đua" in listed.output and "interim-review" not in listed.output
    assert "Đợt" not in listed.output
    every = CliRunner().invoke(app, ["stage", "list"])  # without a movement: every stage
    assert "interim-review" in every.output
