"""Units' submissions and dossiers as domain calls, on SQLite and PostgreSQL: audited, refused
outside their stage with the reason, bad input named field by field, nothing half-written."""

from decimal import Decimal

import pytest
from sqlmodel import Session, select

from models import AuditEvent, DecisionItem, Evidence, PeriodReport, Registration, TargetResult
from models.awards import Decision
from tests.factories import make_movement, make_person, make_units
from tests.web_helpers import pdf_bytes
from thidua import dossiers, submissions
from thidua.errors import InvalidInput, NotFound, ThiduaError
from thidua.obligations import outstanding


def _actions(session: Session) -> list[str]:
    return [e.action for e in session.exec(select(AuditEvent).order_by(AuditEvent.id))]


def test_registration_is_idempotent_audited_and_clears_the_debt(session: Session) -> None:
    _, units = make_units(session, 3)
    m = make_movement(session, units=units, state="registration")
    assert {o.unit_id for o in outstanding(session, m)} == {u.id for u in units}
    submissions.register(session, movement=m, unit_id=units[0].id, titles=["TTLDTT"], actor="u")
    submissions.register(session, movement=m, unit_id=units[0].id, titles=["TTLDTT"], actor="u")
    session.commit()
    assert len(session.exec(select(Registration)).all()) == 1
    assert _actions(session) == ["registration.submitted"]
    owed = outstanding(session, m)
    assert {o.unit_id for o in owed} == {units[1].id, units[2].id}
    assert {o.kind for o in owed} == {"registration"}


def test_registration_outside_its_stage_is_refused(session: Session) -> None:
    _, units = make_units(session, 1)
    m = make_movement(session, units=units, state="final_tallied")
    with pytest.raises(ThiduaError, match="Đăng ký thi đua"):
        submissions.register(session, movement=m, unit_id=units[0].id, titles=["X"], actor="u")


def test_period_report_names_bad_fields_and_writes_nothing(session: Session) -> None:
    _, units = make_units(session, 1)
    m = make_movement(session, units=units, state="period1_open")
    session.commit()
    with pytest.raises(InvalidInput) as e:
        submissions.submit_period_report(
            session, movement=m, unit_id=units[0].id, period_number=1,
            values={"GTSXCN": "abc", "KHONGCO": 1}, actor="u",
        )  # fmt: skip
    fields = {p.field for p in e.value.problems}
    # named as the directive names the target (the code where there is no such target)
    assert fields == {"Chỉ tiêu «Giá trị sản xuất công nghiệp»", "Chỉ tiêu KHONGCO"}
    assert all(p.reason for p in e.value.problems)
    session.rollback()
    assert session.exec(select(PeriodReport)).all() == []


def test_period_report_in_vietnamese_numbers_then_returned_and_resubmitted(
    session: Session,
) -> None:
    _, units = make_units(session, 1)
    m = make_movement(session, units=units, state="period1_open")
    r = submissions.submit_period_report(
        session, movement=m, unit_id=units[0].id, period_number=1,
        values={"GTSXCN": "4.354,6"}, actor="u", summary="Báo cáo",
    )  # fmt: skip
    assert session.exec(select(TargetResult.value)).one() == Decimal("4354.6")
    submissions.return_report(session, report_id=r.id, reason="Thiếu số liệu quý II", actor="vp")
    assert "period_1_report" in {o.kind for o in outstanding(session, m)}  # returned: owed
    submissions.submit_period_report(
        session, movement=m, unit_id=units[0].id, period_number=1,
        values={"GTSXCN": "4.400"}, actor="u",
    )  # fmt: skip
    session.commit()
    assert session.exec(select(TargetResult.value)).one() == Decimal("4400")
    assert session.get(PeriodReport, r.id).status == "submitted"
    assert _actions(session) == ["report.submitted", "report.returned", "report.submitted"]
    with pytest.raises(InvalidInput, match="Trả lại"):
        submissions.return_report(session, report_id=r.id, reason="  ", actor="vp")
    with pytest.raises(NotFound):
        submissions.return_report(session, report_id=999999, reason="x", actor="vp")


def test_nomination_dossier_lifecycle(session: Session, tmp_path) -> None:
    _, units = make_units(session, 2)
    m = make_movement(session, units=units, state="proposals")
    person = make_person(session, units[0], [])
    n = dossiers.nominate(session, movement=m, unit_id=units[0].id, person_id=person.id,
                          title="LDTT", actor="u", facts={"months_worked": 12})  # fmt: skip
    with pytest.raises(ThiduaError, match="Đã có hồ sơ"):
        dossiers.nominate(session, movement=m, unit_id=units[0].id, person_id=person.id,
                          title="LDTT", actor="u")  # fmt: skip
    with pytest.raises(InvalidInput, match="Hồ sơ"):  # someone else's person
        dossiers.nominate(session, movement=m, unit_id=units[1].id, person_id=person.id,
                          title="CSTDCS", actor="u")  # fmt: skip
    dossiers.return_dossier(session, nomination=n, reason="Thiếu minh chứng", actor="vp")
    dossiers.resubmit(session, nomination=n, facts={"months_worked": 11}, actor="u")
    assert n.status == "submitted" and n.facts == {"months_worked": 11}

    pdf = pdf_bytes()  # a real PDF: uploads open it (a bare "%PDF" header is refused)
    ev = dossiers.add_evidence(session, nomination=n, filename="../../etc/passwd.pdf",
                               content=pdf, content_type="application/pdf",
                               actor="u")  # fmt: skip
    stored = dossiers.evidence_path(ev)
    assert stored.read_bytes() == pdf and ".." not in ev.stored_name
    assert ev.filename == "passwd.pdf"
    for content, ctype, why in [
        (b"MZ\x90", "application/pdf", "chỉ nhận"),  # known by its bytes, not the declared type
        (b"x", "application/x-msdownload", "chỉ nhận"),
        (b"%PDF" + b"0" * (11 * 1024 * 1024), "application/pdf", "dung lượng"),
    ]:
        with pytest.raises(InvalidInput) as e:
            dossiers.add_evidence(session, nomination=n, filename="a.pdf", content=content,
                                  content_type=ctype, actor="u")  # fmt: skip
        assert why in str(e.value)
    assert len(session.exec(select(Evidence)).all()) == 1

    dossiers.set_outcome(session, nomination=n, status="accepted", actor="hd")
    dossiers.set_outcome(session, nomination=n, status="awarded", actor="gd")
    d = Decision(movement_id=m.id, kind="decision", authority="Giám đốc Sở")
    session.add(d)
    session.flush()
    session.add(DecisionItem(decision_id=d.id, nomination_id=n.id, title="LDTT"))
    session.flush()
    dossiers.revoke_award(session, nomination=n, reason="Kê khai không trung thực", actor="gd")
    session.commit()
    item = session.exec(select(DecisionItem)).one()
    assert n.status == "revoked" and item.revoke_reason == "Kê khai không trung thực"
    assert item.revoked_by == "gd" and item.revoked_at is not None
    assert "nomination.revoked" in _actions(session)
