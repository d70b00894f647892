"""Votes on the law's denominator (the council's whole membership), the quorum judged on the
sitting's attendance, the secretary, and the minutes the secretary and the chair sign."""

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import docx
import pytest
from sqlmodel import select

from models import Attendance, AuditEvent, CouncilMember
from models.base import utcnow
from tests.test_rules_support import GOOD, history, movement, nominate, people, unit
from thidua import ballots
from thidua import documents as D
from thidua.errors import Forbidden, InvalidInput
from thidua.rules.ruleset import load_rule_set


def nine(session):
    """A council of 9 (the first the chair, the second the secretary) and two nominations:
    a CSTĐ cấp tỉnh (≥ 90%) and an LĐTT (> 50%)."""
    m = movement(session)
    office = unit(session, "VP")
    chair = people(session, office, 1, prefix="CT", roles=["council_chair"])[0]
    secretary = people(session, office, 1, prefix="TK", roles=["council_secretary"])[0]
    members = [chair, secretary, *people(session, office, 7, prefix="TV", roles=["council_member"])]
    outsider = people(session, office, 1, prefix="NV")[0]
    nominees = people(session, office, 2, prefix="DN")
    history(session, nominees[0], "CSTDCS", 2022, 2023, 2024)  # so the rules put him on the paper
    tinh = nominate(session, m, unit=office, person=nominees[0], title="CSTD_TINH", facts=GOOD)
    ldtt = nominate(session, m, unit=office, person=nominees[1], title="LDTT", facts=GOOD)
    session.commit()
    meeting = ballots.open_meeting(
        session, m, actor="vanphong", vote_deadline=utcnow() + timedelta(days=2)
    )
    session.commit()
    return m, meeting, members, outsider, tinh, ldtt


def vote(session, meeting, person, nomination, choice):
    ballots.cast_ballot(
        session, meeting, member_person_id=person.id, nomination_id=nomination.id, choice=choice
    )


def test_the_secretary_is_seated_from_the_organisation_role(session):
    _m, _meeting, members, _o, _t, _l = nine(session)
    roles = dict(session.exec(select(CouncilMember.person_id, CouncilMember.role)).all())
    assert (roles[members[0].id], roles[members[1].id]) == ("chair", "secretary")
    assert sorted(roles.values()).count("member") == 7 and len(roles) == 9


def test_nine_members_one_recused_eight_agree_is_88_9_percent_and_fails_90(session):
    _m, meeting, members, _o, tinh, ldtt = nine(session)
    ballots.recuse(session, meeting, member_person_id=members[8].id, nomination_id=tinh.id,
                   reason="Là người thân của người được đề nghị")  # fmt: skip
    session.commit()
    for p in members[:8]:
        vote(session, meeting, p, tinh, "yes")
    for i, p in enumerate(members):
        vote(session, meeting, p, ldtt, "no" if i < 4 else "yes")
    assert ballots.meeting_complete(session, meeting)
    t, lt = ballots.close_meeting(session, meeting, actor=ballots.SYSTEM_COMPLETE)
    session.commit()
    # 8 of the council's 9 members = 88,89%: short of 90% although all 8 ballots say yes
    assert (t.members, t.present, t.recused, t.issued, t.returned, t.valid) == (9, 9, 1, 8, 8, 8)
    assert (t.yes, t.no, t.denominator, t.yes_pct) == (8, 0, 9, Decimal("88.89"))
    assert (t.quorum_met, t.passed) == (True, False)
    assert (lt.yes, lt.no, lt.yes_pct, lt.passed) == (5, 4, Decimal("55.56"), True)
    assert ballots.results(session, meeting) == [t, lt]  # the stored JSON reads back the same
    stored = meeting.result["votes"][0]
    assert (stored["members"], stored["present"], stored["no"], stored["yes_pct"]) == (
        9, 9, 0, "88.89",
    )  # fmt: skip
    assert ballots.outcome_reason(t) == (
        "Không đạt tỷ lệ phiếu đồng ý của Hội đồng (8/9 thành viên, 88,9%)"
    )
    line = ballots.result_line(t)
    assert (
        "Chiến sĩ thi đua cấp tỉnh: có mặt 9/9" in line and "8/9 thành viên đồng ý (88,9%)" in line
    )
    assert ballots.roll_line(ballots.attendance(session, meeting)) == (
        "Hội đồng: có mặt 9/9 thành viên; túc số >= 2/3 tổng số thành viên (ít nhất 6): đủ"
    )
    assert ballots.verify(session, meeting).ok


def test_a_rule_set_may_count_on_the_members_entitled(session, tmp_path: Path):
    text = (Path("rules") / "nd152-2025.yaml").read_text(encoding="utf-8")
    assert "  denominator: members" in text
    path = tmp_path / "entitled.yaml"
    path.write_text(text.replace("  denominator: members", "  denominator: entitled"), "utf-8")
    assert load_rule_set(path).denominator == "entitled"
    path.write_text(text.replace("  denominator: members", "  denominator: ballots"), "utf-8")
    with pytest.raises(InvalidInput) as err:
        load_rule_set(path)
    assert err.value.problems[0].field == "council.denominator"
    assert "'ballots' không hợp lệ (có: members, entitled)" in err.value.problems[0].reason
    rs = load_rule_set("nd152-2025")
    assert (rs.denominator, rs.quorum.text) == ("members", ">= 2/3")
    assert "tổng số thành viên" in rs.denominator_basis and rs.quorum_basis and rs.vote_basis


def test_quorum_not_met_when_too_few_members_sit(session):
    _m, meeting, members, _o, tinh, ldtt = nine(session)
    secretary = members[1].code
    for p, why in zip(members[5:], ["Đi công tác", "Nghỉ ốm", "", "Đi học"], strict=True):
        ballots.mark_attendance(session, meeting, member_person_id=p.id, present=False,
                                reason=why, actor=secretary)  # fmt: skip
    session.commit()
    for p in members[:5]:  # 5 of 9 sit: 2/3 of 9 needs 6
        vote(session, meeting, p, ldtt, "yes")
        vote(session, meeting, p, tinh, "yes")
    roll = ballots.attendance(session, meeting)
    assert (len(roll.present), roll.quorum_required, roll.quorum_met) == (5, 6, False)
    # every member not marked absent has voted: the sitting may close
    assert ballots.meeting_complete(session, meeting)
    t, lt = ballots.close_meeting(session, meeting, actor=ballots.SYSTEM_COMPLETE)
    session.commit()
    # 5 of 9 = 55,6% would carry an LĐTT, but without a quorum nothing passes
    assert (lt.yes, lt.yes_pct, lt.quorum_met, lt.passed) == (5, Decimal("55.56"), False, False)
    assert (t.present, t.issued, t.passed) == (5, 5, False)
    assert ballots.outcome_reason(lt) == (
        "Phiên họp Hội đồng không đủ số thành viên dự họp theo quy định (5/9 thành viên có mặt)"
    )
    stored = ballots.attendance(session, meeting)
    assert stored.absent == [(members[5].id, "Đi công tác"), (members[6].id, "Nghỉ ốm"),
                             (members[7].id, ""), (members[8].id, "Đi học")]  # fmt: skip
    events = session.exec(select(AuditEvent).where(AuditEvent.action == "meeting.attendance"))
    assert len(events.all()) == 4


def test_a_member_marked_present_counts_towards_the_quorum(session):
    _m, meeting, members, _o, _tinh, ldtt = nine(session)
    for p in members[:5]:
        vote(session, meeting, p, ldtt, "yes")
    assert not ballots.attendance(session, meeting).quorum_met
    # the sixth member sits but does not return a ballot: present, the quorum is met
    ballots.mark_attendance(session, meeting, member_person_id=members[5].id, present=True,
                            actor=members[0].code)  # fmt: skip
    roll = ballots.attendance(session, meeting)
    assert (len(roll.present), roll.quorum_met) == (6, True)
    session.commit()
    _t, lt = ballots.close_meeting(session, meeting, actor=members[0].code)
    assert (lt.present, lt.issued, lt.returned, lt.yes, lt.passed) == (6, 6, 5, 5, True)


def test_bad_secretary_and_attendance_are_refused_in_vietnamese(session):
    m, meeting, members, outsider, tinh, _l = nine(session)
    council = ballots._council(session, m)
    with pytest.raises(InvalidInput, match="Thư ký Hội đồng: Nguyễn Văn NV 1 không phải là "
                       "thành viên Hội đồng"):  # fmt: skip
        ballots.set_secretary(session, council, person_id=outsider.id, actor="vanphong")
    with pytest.raises(InvalidInput, match="Chủ tịch Hội đồng không kiêm thư ký"):
        ballots.set_secretary(session, council, person_id=members[0].id, actor="vanphong")
    with pytest.raises(InvalidInput, match="Điểm danh: Nguyễn Văn NV 1 không phải là thành viên"):
        ballots.mark_attendance(session, meeting, member_person_id=outsider.id, present=True,
                                actor=members[1].code)  # fmt: skip
    with pytest.raises(Forbidden, match="Chỉ Thư ký hoặc Chủ tịch Hội đồng"):
        ballots.mark_attendance(session, meeting, member_person_id=members[3].id, present=False,
                                actor=members[4].code)  # fmt: skip
    vote(session, meeting, members[3], tinh, "yes")
    with pytest.raises(InvalidInput, match="đã tham gia biểu quyết, không ghi vắng mặt"):
        ballots.mark_attendance(session, meeting, member_person_id=members[3].id, present=False,
                                actor=members[1].code)  # fmt: skip
    session.rollback()
    assert session.exec(select(Attendance)).all() == []
    roles = dict(session.exec(select(CouncilMember.person_id, CouncilMember.role)).all())
    assert roles[members[1].id] == "secretary" and outsider.id not in roles
    # a proper change: the secretary moves to another member, the former one stays a member
    ballots.set_secretary(session, council, person_id=members[2].id, actor="vanphong")
    roles = dict(session.exec(select(CouncilMember.person_id, CouncilMember.role)).all())
    assert (roles[members[1].id], roles[members[2].id]) == ("member", "secretary")


def _docx_text(doc) -> str:
    d = docx.Document(str(D.document_path(doc)))
    out = [p.text for p in d.paragraphs]
    for t in d.tables:
        for row in t.rows:
            out.append(" | ".join(c.text for c in row.cells))
    return "\n".join(out)


def test_the_minutes_state_attendance_quorum_counts_and_both_signers(session):
    m, meeting, members, _o, tinh, ldtt = nine(session)
    ballots.mark_attendance(session, meeting, member_person_id=members[8].id, present=False,
                            reason="Đi công tác", actor=members[1].code)  # fmt: skip
    ballots.recuse(session, meeting, member_person_id=members[7].id, nomination_id=tinh.id,
                   reason="Là người thân của người được đề nghị")  # fmt: skip
    session.commit()
    for p in members[:7]:
        vote(session, meeting, p, tinh, "yes")
    for i, p in enumerate(members[:8]):
        vote(session, meeting, p, ldtt, "no" if i == 0 else "yes")
    results = ballots.close_meeting(session, meeting, actor=members[0].code)
    session.commit()
    doc = D.issue_document(
        session, m, "minutes", context=D.minutes_context(session, m, meeting, results)
    )
    text = _docx_text(doc)
    chair, secretary = members[0].full_name, members[1].full_name
    assert f"Chủ trì: {chair}" in text and f"Thư ký: {secretary}" in text
    assert "Thành viên có mặt: 08/09 thành viên Hội đồng" in text
    assert "Thành viên vắng mặt: 01/09 thành viên" in text
    assert f"{members[8].full_name}" in text and "(lý do: Đi công tác)" in text
    assert "quy định phải có ít nhất 2/3 tổng số thành viên (ít nhất 06 thành viên)" in text
    assert "Phiên họp đủ số thành viên theo quy định" in text
    assert (
        f"{members[7].full_name}: không tham gia biểu quyết hồ sơ đề nghị tặng Chiến sĩ thi đua "
        "cấp tỉnh của Nguyễn Văn DN 1, lý do: là người thân của người được đề nghị."
    ) in text
    assert "Tỷ lệ đồng ý tính trên tổng số thành viên Hội đồng (09 thành viên)" in text
    # CSTĐ tỉnh: 7 issued (8 present − 1 recused), 7 agree = 77,8% of 9; LĐTT 7 of 9 = 77,8%
    assert "07 | 07 | 07 | 07 | 00 | 77,8% | Không đạt (cần từ 90% trở lên)" in text
    assert "08 | 08 | 08 | 07 | 01 | 77,8% | Đạt" in text
    assert "THƯ KÝ" in text and "CHỦ TỊCH HỘI ĐỒNG" in text
    d = docx.Document(str(D.document_path(doc)))
    sign = d.tables[-1].rows[0].cells
    assert secretary in sign[0].text and chair in sign[1].text
    for machine in ("thư ký: .", "None", "{{", "person:", "_"):
        assert machine not in text, machine
