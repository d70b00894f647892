"""The rules gate the ballot: a nomination failing a criterion or a quota reaches the paper and
the decision only on an exception the office records; the appraisal returns the others; the
draft re-checks after the count; a unit's priority decides who stays within a quota."""

from datetime import timedelta

import pytest
from sqlalchemy import func
from sqlmodel import select

from models import (
    Account,
    AuditEvent,
    Decision,
    DecisionItem,
    Meeting,
    Nomination,
    NominationException,
    Unit,
    VoteReceipt,
)
from models.base import utcnow
from tests.test_rules import quy_che  # noqa: F401 (the rule set with the agency's cap on)
from tests.test_rules_support import GOOD, movement, nominate, people, unit
from thidua import awarding, dossiers, exceptions, stagework
from thidua.ballots import agenda, cast_ballot_paper, close_meeting, open_meeting, verify
from thidua.errors import InvalidInput, NotFound, ThiduaError
from thidua.lifecycle import State
from thidua.rules import check_all

SHORT = {**GOOD, "task_rating": "HTNV"}  # fails LDTT.xep_loai
REASON = "Hội đồng xem xét lại kết quả xếp loại của đơn vị theo biên bản kiểm tra."
SHORT_OF = "cần hoàn thành tốt nhiệm vụ trở lên"  # what LDTT.xep_loai says of it


def setup(session):
    """A movement taking dossiers; an office with the emulation officer (admin), the chair and
    four members; a unit of three with its focal point; a passing and a failing LĐTT."""
    m = movement(session)
    m.state = State.PROPOSALS.value
    office = unit(session, "VP")
    admin = people(session, office, 1, prefix="TDKT", roles=["admin", "focal_point"])[0]
    chair = people(session, office, 1, prefix="CT", roles=["council_chair"])[0]
    members = people(session, office, 4, prefix="TV", roles=["council_member"])
    dept = unit(session, "KH")
    staff = people(session, dept, 3, prefix="KH")
    staff[0].roles = ["focal_point"]
    ok = nominate(session, m, unit=dept, person=staff[0], title="LDTT", facts=GOOD)
    short = nominate(session, m, unit=dept, person=staff[1], title="LDTT", facts=SHORT)
    session.commit()
    return m, admin, chair, [chair, *members], staff, ok, short


def _open(session, m, **kw) -> Meeting:
    meeting = open_meeting(session, m, actor="vp", vote_deadline=utcnow() + timedelta(days=2), **kw)
    session.commit()
    return meeting


def _count(session, model) -> int:
    return session.exec(select(func.count()).select_from(model)).one()


def test_a_failing_nomination_reaches_the_paper_only_on_a_recorded_exception(session):
    m, admin, _chair, _members, staff, ok, short = setup(session)
    with pytest.raises(InvalidInput, match="chưa có ngoại lệ") as refused:
        open_meeting(session, m, actor="vp", vote_deadline=None, nomination_ids=[ok.id, short.id])
    assert SHORT_OF in str(refused.value)  # the reason, in Vietnamese
    session.rollback()
    assert _count(session, Meeting) == 0  # nothing written

    rows = exceptions.record_exception(
        session, movement=m, nomination_id=short.id, rule_ids=["LDTT.xep_loai"], reason=REASON,
        actor=admin.code,
    )  # fmt: skip
    session.commit()
    assert [(r.rule_id, r.recorded_by, r.reason) for r in rows] == [
        ("LDTT.xep_loai", admin.code, REASON)
    ]
    event = session.exec(
        select(AuditEvent).where(AuditEvent.action == "nomination.exception")
    ).one()
    assert (event.actor, event.entity_id, event.reason) == (admin.code, str(short.id), REASON)
    assert event.data == {"rules": ["LDTT.xep_loai"]}

    meeting = _open(session, m)
    assert agenda(meeting) == [ok.id, short.id]
    (view,) = exceptions.for_meeting(session, meeting)
    assert view.subject_name == staff[1].full_name and view.title_name == "Lao động tiên tiến"
    assert view.rule_id == "LDTT.xep_loai" and SHORT_OF in view.rule_text
    assert view.legal_basis.startswith("Điều 24 khoản 1")
    assert (view.reason, view.recorded_by) == (REASON, admin.full_name)
    assert " ngày " in view.when and "tháng" in view.when


def test_the_default_paper_leaves_out_a_failing_nomination(session):
    m, _admin, _chair, _members, _staff, ok, _short = setup(session)
    assert agenda(_open(session, m)) == [ok.id]


@pytest.mark.parametrize(
    "case",
    ["no reason", "no rule", "unit", "member", "stranger", "rule passed", "other movement",
     "twice", "decided"],
)  # fmt: skip
def test_a_bad_exception_is_refused_and_changes_nothing(session, case):
    """Refused with nothing written — or, asked twice, nothing written the second time."""
    m, admin, _chair, members, staff, ok, short = setup(session)
    kw = dict(movement=m, nomination_id=short.id, rule_ids=["LDTT.xep_loai"], reason=REASON,
              actor=admin.code)  # fmt: skip
    if case == "twice":
        exceptions.record_exception(session, **kw)
        session.commit()
    before = (_count(session, NominationException), _count(session, AuditEvent))
    expected: tuple[type[Exception], str]
    if case == "no reason":
        kw["reason"], expected = "  ", (InvalidInput, "Lý do")
    elif case == "no rule":
        kw["rule_ids"], expected = [], (InvalidInput, "Tiêu chuẩn")
    elif case == "unit":
        kw["actor"], expected = staff[0].code, (ThiduaError, "không có quyền")
    elif case == "member":
        kw["actor"], expected = members[1].code, (ThiduaError, "không có quyền")
    elif case == "stranger":
        kw["actor"], expected = "ai-do", (ThiduaError, "không có quyền")
    elif case == "rule passed":
        kw["nomination_id"], expected = ok.id, (InvalidInput, "không vi phạm tiêu chuẩn")
    elif case == "other movement":
        other = movement(session, year=2024)
        kw["movement"], expected = other, (NotFound, "không thuộc phong trào")
    elif case == "twice":  # the first exception stands; asking again records nothing
        assert exceptions.record_exception(session, **{**kw, "reason": "Lý do khác"})
        session.rollback()
        assert (_count(session, NominationException), _count(session, AuditEvent)) == before
        return
    else:
        short.status = "rejected"
        session.commit()
        expected = (ThiduaError, "hồ sơ đã không được khen thưởng")
    with pytest.raises(expected[0], match=expected[1]) as refused:
        exceptions.record_exception(session, **kw)
    session.rollback()
    assert (_count(session, NominationException), _count(session, AuditEvent)) == before
    assert refused.value.message  # a Vietnamese sentence, no traceback


def test_the_chair_and_an_admin_account_may_record_an_exception(session):
    m, _admin, chair, members, _staff, _ok, short = setup(session)
    session.add(Account(username="vanthu", password_hash="x", is_admin=True))
    session.commit()
    exceptions.record_exception(session, movement=m, nomination_id=short.id,
                                rule_ids=["LDTT.xep_loai"], reason=REASON,
                                actor=f"person:{chair.id}")  # fmt: skip
    assert exceptions.may_record(session, "vanthu") and exceptions.may_record(session, chair.code)
    assert not exceptions.may_record(session, f"person:{members[1].id}")


def test_a_vote_on_a_nomination_not_on_the_paper_is_refused(session):
    m, _admin, _chair, members, _staff, ok, short = setup(session)
    meeting = _open(session, m)
    with pytest.raises(ThiduaError, match=f"Hồ sơ số {short.id} không có trong chương trình"):
        cast_ballot_paper(session, meeting, member_person_id=members[1].id,
                          choices={ok.id: "yes", short.id: "yes"})  # fmt: skip
    session.rollback()
    assert _count(session, VoteReceipt) == 0 and verify(session, meeting).counts[ok.id] == (0, 0)


@pytest.mark.usefixtures("quy_che")
def test_the_units_priority_decides_who_stays_within_the_quota(session):
    """15% of 7 LĐTT is 1 CSTĐCS (the agency's own cap, switched on): the unit ranks the later
    nomination first, and it stays."""
    m = movement(session, rule_set="quy-che-bat")
    m.state = State.PROPOSALS.value
    u = unit(session, "KT")
    staff = people(session, u, 7)
    for p in staff:
        dossiers.nominate(session, movement=m, unit_id=u.id, person_id=p.id, title="LDTT",
                          actor="unit", facts=GOOD)  # fmt: skip
    second = dossiers.nominate(session, movement=m, unit_id=u.id, person_id=staff[0].id,
                               title="CSTDCS", actor="unit", facts=GOOD, priority=2)  # fmt: skip
    first = dossiers.nominate(session, movement=m, unit_id=u.id, person_id=staff[1].id,
                              title="CSTDCS", actor="unit", facts=GOOD, priority=1)  # fmt: skip
    checks = {c.nomination_id: c for c in check_all(session, m)}
    assert checks[first.id].ok
    (failure,) = checks[second.id].failures
    assert failure.rule_id == "CSTDCS.ty_le_15"
    assert "được tối đa 1" in failure.reason and "theo thứ tự ưu tiên của đơn vị" in failure.reason
    for bad, why in [(1, "đã dùng thứ tự 1"), (0, "từ 1 trở lên"), ("2", "từ 1 trở lên")]:
        with pytest.raises(InvalidInput, match="Thứ tự ưu tiên") as refused:
            dossiers.nominate(session, movement=m, unit_id=u.id, person_id=staff[2].id,
                              title="CSTDCS", actor="unit", facts=GOOD, priority=bad)  # fmt: skip
        assert why in str(refused.value)
    assert _count(session, Nomination) == 9


def test_the_appraisal_returns_failing_dossiers_to_their_unit(session):
    m, admin, _chair, members, staff, ok, short = setup(session)
    third = nominate(session, m, unit=unit(session, "TC"), person=members[1], title="LDTT",
                     facts={**GOOD, "discipline": "canh_cao"})  # fmt: skip
    exceptions.record_exception(session, movement=m, nomination_id=third.id,
                                rule_ids=["LDTT.ky_luat"], reason=REASON,
                                actor=admin.code)  # fmt: skip
    session.commit()
    lines, messages = stagework.return_failing(m.code, actor="vp")
    session.expire_all()
    assert [session.get(Nomination, n.id).status for n in (ok, short, third)] == [
        "submitted", "returned", "submitted",
    ]  # fmt: skip
    reason = session.get(Nomination, short.id).status_reason
    assert reason.startswith("Chưa đạt tiêu chuẩn: ") and SHORT_OF in reason
    assert len(lines) == 1 and staff[1].full_name in lines[0]
    (msg,) = messages  # the unit's focal point is told
    assert (msg.kind, msg.person_id) == ("dossier_returned", staff[0].id)
    assert msg.context["reason"] == reason and msg.context["award_title"] == "Lao động tiên tiến"
    # the unit withdraws it; a withdrawal needs a reason
    with pytest.raises(InvalidInput, match="Lý do"):
        dossiers.withdraw(session, nomination=session.get(Nomination, short.id), reason="",
                          actor="unit")  # fmt: skip
    dossiers.withdraw(session, nomination=session.get(Nomination, short.id), reason="Rút",
                      actor="unit")  # fmt: skip
    assert session.get(Nomination, short.id).status == "withdrawn"


def test_drafting_checks_again_after_the_count(session):
    """Two of three members LĐTT: the collective meets its ratio when the paper is drawn up;
    the council rejects one LĐTT, so at drafting the collective is not awarded, and says why."""
    m, _admin, chair, members, _staff, ok, short = setup(session)
    dept = session.get(Unit, ok.unit_id)
    short.facts = dict(GOOD)  # the second LĐTT now meets its criteria
    collective = nominate(session, m, unit=dept, collective=dept, title="TTLDTT",
                          facts={"task_rating": "HTTNV"})  # fmt: skip
    session.commit()
    assert all(c.ok for c in check_all(session, m))
    meeting = _open(session, m)
    assert agenda(meeting) == [ok.id, short.id, collective.id]
    for p in members:
        cast_ballot_paper(session, meeting, member_person_id=p.id,
                          choices={ok.id: "yes", short.id: "no", collective.id: "yes"})  # fmt: skip
    close_meeting(session, meeting, actor=chair.code)
    session.commit()
    made = awarding.draft_decisions(session, m, meeting, actor="system")
    session.commit()
    assert session.exec(select(DecisionItem.nomination_id)).all() == [ok.id]
    assert [d.kind for d in made] == ["decision"] and _count(session, Decision) == 1
    session.expire_all()
    assert session.get(Nomination, short.id).status == "rejected"
    tt = session.get(Nomination, collective.id)
    assert tt.status == "rejected"
    assert tt.status_reason.startswith("Kiểm tra lại khi dự thảo quyết định: Chưa đạt")
    assert "1/3" in tt.status_reason
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "decision.drafted")).one()
    assert event.data["not_awarded_on_recheck"] == [collective.id]


def test_drafting_keeps_an_excepted_nomination(session):
    m, admin, chair, members, _staff, ok, short = setup(session)
    exceptions.record_exception(session, movement=m, nomination_id=short.id,
                                rule_ids=["LDTT.xep_loai"], reason=REASON,
                                actor=admin.code)  # fmt: skip
    session.commit()
    meeting = _open(session, m)
    for p in members:
        cast_ballot_paper(session, meeting, member_person_id=p.id,
                          choices={ok.id: "yes", short.id: "yes"})  # fmt: skip
    close_meeting(session, meeting, actor=chair.code)
    awarding.draft_decisions(session, m, meeting, actor="system")
    session.commit()
    assert sorted(session.exec(select(DecisionItem.nomination_id)).all()) == [ok.id, short.id]


def test_the_cli_records_an_exception_and_shows_it_beside_the_failure(session):
    from typer.testing import CliRunner

    from thidua.cli import app, rules

    m, admin, _chair, _members, _staff, _ok, short = setup(session)
    runner = CliRunner()
    args = ["dossier", "except", m.code, str(short.id)]
    for extra, why in [
        (["--reason", REASON, "--by", admin.code], "Tiêu chuẩn"),
        (["--rule", "LDTT.xep_loai", "--by", admin.code], "Lý do"),
        (["--rule", "LDTT.xep_loai", "--reason", REASON], "Người ghi nhận"),
    ]:
        r = runner.invoke(app, args + extra)
        assert isinstance(r.exception, ThiduaError) and why in str(r.exception), extra
    assert _count(session, NominationException) == 0
    r = runner.invoke(app, [*args, "--rule", "LDTT.xep_loai", "--reason", REASON,
                                    "--by", admin.code])  # fmt: skip
    assert r.exit_code == 0 and "Đã ghi nhận ngoại lệ" in r.output
    r = runner.invoke(rules.app, ["check-nominations", m.code])
    assert "1 chưa đạt, trong đó 1 có ngoại lệ được ghi nhận." in r.output
    assert f"Ngoại lệ: {REASON} — {admin.full_name}, " in r.output


def test_an_excepted_nomination_counts_towards_a_collectives_ratio(session):
    """One LĐTT of three meets the criteria, one more is excepted: the collective reaches 2/3."""
    m, admin, _chair, _members, _staff, ok, short = setup(session)
    dept = session.get(Unit, ok.unit_id)
    tt = nominate(session, m, unit=dept, collective=dept, title="TTLDTT",
                  facts={"task_rating": "HTTNV"})  # fmt: skip
    session.commit()
    before = {c.nomination_id: c for c in check_all(session, m)}[tt.id]
    assert [f.rule_id for f in before.failures] == ["TTLDTT.ty_le_ldtt"]
    assert "1/3" in before.failures[0].reason
    exceptions.record_exception(session, movement=m, nomination_id=short.id,
                                rule_ids=["LDTT.xep_loai"], reason=REASON,
                                actor=admin.code)  # fmt: skip
    assert {c.nomination_id: c for c in check_all(session, m)}[tt.id].ok
