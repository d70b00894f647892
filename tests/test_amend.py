"""After launch an admin sets deadlines and adds or replaces a criteria table: checked,
audited with a version, the units' focal points told; refusals name the field, store nothing."""

from datetime import date
from pathlib import Path

import pytest
from sqlmodel import Session, select
from typer.testing import CliRunner

from models import AuditEvent, CriteriaTable, Criterion, Deadline, Person
from tests.factories import make_person, make_units
from thidua.amend import amend_deadline, set_criteria_table
from thidua.errors import InvalidInput
from thidua.lifecycle import State
from thidua.obligations import outstanding
from thidua.spec import enrol_participants, load_spec, store_spec

EX = Path(__file__).resolve().parent.parent / "examples"
TABLE = {
    "block": None,
    "name": "Bảng tiêu chí chấm điểm thi đua năm 2021",
    "criteria": [
        {"code": "TC1", "text": "Hoàn thành nhiệm vụ chính trị", "max_points": 60},
        {"code": "TC2", "text": "Cải cách hành chính", "max_points": 40},
    ],
}


@pytest.fixture
def movement(session: Session):
    """Quảng Ngãi 2021, launched with no criteria table, in its one period; a focal point."""
    _, units = make_units(session, 2)
    m = store_spec(session, load_spec(EX / "quangngai-sct-2021.yaml"), actor="vp")
    enrol_participants(session, m)
    m.state = State.PERIOD1_OPEN.value
    session.add(m)
    make_person(session, units[0], ["focal_point"])
    session.flush()
    return m, units


def test_a_table_added_after_launch_is_owed_versioned_and_told(session: Session, movement):
    m, _ = movement
    assert "self_score" not in {o.kind for o in outstanding(session, m)}  # no table: not owed
    messages = set_criteria_table(session, m, TABLE, actor="vp", reason="Bổ sung bảng tiêu chí")
    assert [msg.kind for msg in messages] == ["amendment_notice"]  # the one focal point
    assert "2 tiêu chí, tổng 100 điểm" in messages[0].context["change"]
    assert {o.kind for o in outstanding(session, m)} >= {"self_score"}
    again = {**TABLE, "criteria": [{**TABLE["criteria"][0], "max_points": 100}]}
    set_criteria_table(session, m, again, actor="vp", reason="Gộp tiêu chí")
    events = session.exec(
        select(AuditEvent).where(AuditEvent.action == "criteria.amended").order_by(AuditEvent.id)
    ).all()
    assert [e.data["version"] for e in events] == [1, 2]
    assert events[1].data["from"][1][0] == "TC2" and len(events[1].data["to"]) == 1
    # a replacement is a new version; the old one stays as the record (tests/test_amend_versions)
    old, new = session.exec(select(CriteriaTable).order_by(CriteriaTable.version)).all()
    assert old.replaced_at is not None and (new.version, new.replaced_at) == (2, None)
    current = session.exec(select(Criterion.code).where(Criterion.table_id == new.id)).all()
    assert current == ["TC1"]


def test_bad_table_and_bad_deadline_name_the_field(session: Session, movement):
    m, _ = movement
    bad = {**TABLE, "criteria": [{"code": "TC1", "text": "x", "max_points": "mười"}]}
    with pytest.raises(InvalidInput) as e:
        set_criteria_table(session, m, bad, actor="vp", reason="x")
    assert e.value.problems[0].field == "criteria.0.max_points"
    with pytest.raises(InvalidInput) as e:
        amend_deadline(session, m, "period_2_report", date(2021, 12, 1), actor="vp", reason="")
    assert {p.field for p in e.value.problems} == {"kind", "reason"}
    assert session.exec(select(AuditEvent).where(AuditEvent.action.endswith("amended"))).all() == []


def test_a_deadline_moved_is_audited_and_told(session: Session, movement):
    m, _ = movement
    messages = amend_deadline(session, m, "period_1_report", date(2021, 12, 17), actor="vp",
                              reason="Lùi hạn theo đề nghị của các đơn vị")  # fmt: skip
    row = session.exec(select(Deadline).where(Deadline.kind == "period_1_report")).one()
    assert row.due_on == date(2021, 12, 17)
    change = messages[0].context["change"]
    assert change.startswith("Hạn gửi báo cáo kết quả năm 2021: ngày 17 tháng 12 năm 2021")
    assert "trước là ngày 10 tháng 12 năm 2021" in change
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "deadline.amended")).one()
    assert event.data == {"version": 1, "from": "2021-12-10", "to": "2021-12-17"}
    m.state = State.FINAL_TALLIED.value
    with pytest.raises(InvalidInput) as e:
        amend_deadline(session, m, "self_score", date(2021, 12, 20), actor="vp", reason="x")
    assert "đã tổng kết" in e.value.problems[0].reason


def test_cli_amends_and_reports(session: Session, movement, db_url: str, tmp_path: Path):
    from thidua.cli import app

    m, _ = movement
    session.commit()
    r = CliRunner().invoke(app, ["spec", "deadline", m.code, "self_score", "2021-12-20",
                                 "--reason", "Lùi hạn"])  # fmt: skip
    assert r.exit_code == 0, r.output
    assert "Đã điều chỉnh; đã báo 1 đầu mối" in r.output
    bad = CliRunner().invoke(app, ["spec", "deadline", m.code, "self_score", "20/12/2021",
                                   "--reason", "x"])  # fmt: skip
    assert bad.exit_code == 1 and "YYYY-MM-DD" in bad.output
    table = tmp_path / "bang.yaml"
    table.write_text("name: Bảng tiêu chí\ncriteria:\n  - code: TC1\n    text: Hoàn thành\n"
                     "    max_points: 100\n", encoding="utf-8")  # fmt: skip
    r = CliRunner().invoke(app, ["spec", "criteria", m.code, str(table), "--reason", "Bổ sung"])
    assert r.exit_code == 0, r.output
    assert session.exec(select(Person)).first() is not None
