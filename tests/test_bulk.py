"""The bulk forms of the units' submissions (a province's thousands of units at once): the
same records and audit events as the one-by-one calls, the same guards, every problem named
at once and nothing written when one item is wrong. On SQLite and PostgreSQL."""

from decimal import Decimal

import pytest
from sqlmodel import Session, select

from models import AuditEvent, Nomination, PeriodReport, Registration, Score, TargetResult
from tests.factories import make_movement, make_person, make_units
from tests.test_rules_support import block, movement, unit
from thidua import dossiers, submissions
from thidua.errors import InvalidInput, ThiduaError
from thidua.obligations import outstanding
from thidua.scoring import submit_scores, submit_scores_many


def _actions(session: Session) -> list[str]:
    return [e.action for e in session.exec(select(AuditEvent).order_by(AuditEvent.id))]


def test_registrations_in_bulk_are_the_one_by_one_ones(session: Session) -> None:
    _, units = make_units(session, 3)
    m = make_movement(session, units=units, state="registration")
    person = make_person(session, units[0], [])
    items = [
        {"unit_id": units[0].id, "titles": ["TTLDTT"], "actor": "unit:0"},
        {"unit_id": units[0].id, "person_id": person.id, "titles": ["LDTT", "LDTT"]},
        {"unit_id": units[1].id, "titles": ["TTLDXS"]},
    ]
    assert submissions.register_many(session, movement=m, items=items, actor="vp") == 3
    assert submissions.register_many(session, movement=m, items=items, actor="vp") == 0
    session.commit()
    regs = session.exec(select(Registration).order_by(Registration.id)).all()
    assert [(r.subject_key, r.title, r.submitted_by) for r in regs] == [
        (f"unit:{units[0].id}", "TTLDTT", "unit:0"),
        (f"person:{person.id}", "LDTT", "vp"),
        (f"unit:{units[1].id}", "TTLDXS", "vp"),
    ]
    assert _actions(session) == ["registration.submitted"] * 3
    assert {o.unit_id for o in outstanding(session, m)} == {units[2].id}


def test_a_bad_registration_in_the_list_writes_none(session: Session) -> None:
    _, units = make_units(session, 2)
    m = make_movement(session, units=units[:1], state="registration")
    session.commit()
    with pytest.raises(InvalidInput) as e:
        submissions.register_many(
            session, movement=m, actor="vp",
            items=[{"unit_id": units[0].id, "titles": ["TTLDTT"]},
                   {"unit_id": units[1].id, "titles": ["TTLDTT"]},
                   {"unit_id": units[0].id, "titles": [" "]}],
        )  # fmt: skip
    assert {(p.field, p.where) for p in e.value.problems} == {
        ("Đăng ký", "dòng 2"),  # a unit not in the movement: register's own refusal
        ("Danh hiệu", "dòng 3"),
    }
    session.rollback()
    assert session.exec(select(Registration)).all() == []
    late = make_movement(session, units=units, state="final_tallied")
    with pytest.raises(ThiduaError, match="Đăng ký thi đua"):
        submissions.register_many(
            session, movement=late, actor="vp", items=[{"unit_id": units[0].id, "titles": ["X"]}]
        )


def test_period_reports_in_bulk_check_every_report_then_write_all(session: Session) -> None:
    _, units = make_units(session, 3)
    m = make_movement(session, units=units, state="period1_open")
    session.commit()
    with pytest.raises(InvalidInput) as e:
        submissions.submit_period_reports(
            session, movement=m, period_number=1,
            reports=[{"unit_id": units[0].id, "values": {"GTSXCN": "4.354,6"}, "actor": "a"},
                     {"unit_id": units[1].id, "values": {"GTSXCN": "abc"}, "actor": "b"}],
        )  # fmt: skip
    assert [(p.field, p.where) for p in e.value.problems] == [
        ("Chỉ tiêu «Giá trị sản xuất công nghiệp»", f"đơn vị {units[1].id}")
    ]
    session.rollback()
    assert session.exec(select(PeriodReport)).all() == []
    reports = [
        {"unit_id": u.id, "values": {"GTSXCN": Decimal(100 + i)}, "actor": f"u{i}"}
        for i, u in enumerate(units[:2])
    ]
    n = submissions.submit_period_reports(session, movement=m, period_number=1, reports=reports)
    assert n == 2
    # a second round replaces the figures, as submit_period_report does
    reports[0]["values"] = {"GTSXCN": "4.400"}
    submissions.submit_period_reports(session, movement=m, period_number=1, reports=reports[:1])
    session.commit()
    values = sorted(session.exec(select(TargetResult.value)).all())
    assert values == [Decimal(101), Decimal(4400)]
    assert _actions(session) == ["report.submitted"] * 3
    owed = {(o.unit_id, o.kind) for o in outstanding(session, m)}
    assert (units[2].id, "period_1_report") in owed and (units[0].id, "period_1_report") not in owed


CRITERIA = {"TC1": 40, "TC2": 30, "TC3": 30}


def test_scores_in_bulk_match_the_one_by_one_sheets(session) -> None:
    m = movement(session)
    m.state = "period1_open"  # scores are taken while the periods run
    units = [unit(session, f"DV{i}") for i in range(3)]
    block(session, m, "K1", units, CRITERIA)
    session.commit()
    sheets = {
        units[0].id: {"TC1": Decimal(40), "TC2": Decimal(30), "TC3": Decimal("29.5")},
        units[1].id: {"TC1": Decimal(35), "TC2": Decimal(20), "TC3": Decimal(10)},
    }
    written = submit_scores_many(
        session, movement=m, scorer_kind="self", sheets=sheets, actor={units[0].id: "dv0"}
    )
    assert written == 6
    submit_scores(session, movement=m, unit_id=units[2].id, scorer_kind="self", actor="dv2",
                  points={"TC1": 1, "TC2": 1, "TC3": 1})  # fmt: skip
    sheets[units[1].id]["TC3"] = Decimal(12)  # a correction, as submit_scores allows
    submit_scores_many(session, movement=m, scorer_kind="self", sheets=sheets, actor="khoi")
    session.commit()
    rows = session.exec(select(Score).where(Score.unit_id == units[1].id)).all()
    assert sorted(r.points for r in rows) == [Decimal(12), Decimal(20), Decimal(35)]
    assert len(session.exec(select(Score)).all()) == 9
    with pytest.raises(InvalidInput) as e:
        submit_scores_many(
            session, movement=m, scorer_kind="leader", actor="khoi",
            sheets={units[0].id: {"TC1": Decimal("40.5")}, units[1].id: {"TC9": 1}},
        )  # fmt: skip
    text = str(e.value)
    assert "tiêu chí TC1: điểm 40,50 phải từ 0 đến 40,00" in text
    assert "tiêu chí TC9: không có trong bảng tiêu chí của khối" in text
    session.rollback()
    assert not session.exec(select(Score).where(Score.scorer_kind == "leader")).all()


def test_nominations_in_bulk_keep_the_guards_of_nominate(session: Session) -> None:
    _, units = make_units(session, 2)
    m = make_movement(session, units=units, state="proposals")
    a, b = make_person(session, units[0], []), make_person(session, units[1], [])
    dossiers.nominate(session, movement=m, unit_id=units[0].id, person_id=a.id, title="LDTT",
                      actor="u")  # fmt: skip
    session.commit()
    bad = [
        {"unit_id": units[0].id, "person_id": a.id, "title": "LDTT"},  # already nominated
        {"unit_id": units[0].id, "person_id": b.id, "title": "LDTT"},  # someone else's person
        {"unit_id": units[1].id, "person_id": b.id, "title": "CSTDCS", "priority": 0},
        {"unit_id": units[1].id, "collective_unit_id": units[1].id, "title": "TTLDTT"},
        {"unit_id": units[1].id, "collective_unit_id": units[1].id, "title": "TTLDTT"},
    ]
    with pytest.raises(InvalidInput) as e:
        dossiers.nominate_many(session, movement=m, items=bad, actor="u")
    assert [(p.field, p.where) for p in e.value.problems] == [
        ("subject", "hồ sơ thứ 1"),
        ("person_id", "hồ sơ thứ 2"),
        ("Thứ tự ưu tiên", "hồ sơ thứ 3"),
        ("subject", "hồ sơ thứ 5"),
    ]
    session.rollback()
    assert len(session.exec(select(Nomination)).all()) == 1
    good = [
        {"unit_id": units[1].id, "person_id": b.id, "title": "CSTDCS", "priority": 1,
         "facts": {"task_rating": "HTXSNV"}, "actor": "unit:1"},
        {"unit_id": units[1].id, "collective_unit_id": units[1].id, "title": "TTLDTT"},
    ]  # fmt: skip
    made = dossiers.nominate_many(session, movement=m, items=good, actor="u")
    session.commit()
    assert [(n.subject_key, n.title, n.status, n.submitted_by) for n in made] == [
        (f"person:{b.id}", "CSTDCS", "submitted", "unit:1"),
        (f"unit:{units[1].id}", "TTLDTT", "submitted", "u"),
    ]
    assert _actions(session) == ["nomination.submitted"] * 3
    closed = make_movement(session, units=units, state="registration")
    with pytest.raises(ThiduaError, match="Không thể gửi hồ sơ"):
        dossiers.nominate_many(session, movement=closed, items=good, actor="u")
