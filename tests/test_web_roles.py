"""The narrower roles: a block leader scores only the units of his block; the agency's head
approves decisions (the last approval starts the closing stage). And the body-size limit."""

import pytest
from sqlmodel import Session, func, select

from flows import start
from models import AuditEvent, Decision, Movement, Score
from models.db import engine_for
from tests.web_helpers import Users, make_world, quiet, token
from thidua.lifecycle import State


@pytest.fixture(autouse=True)
def _quiet(monkeypatch):
    quiet(monkeypatch)


@pytest.fixture
def as_user():
    users = Users()
    yield users
    users.close()


def test_block_leader_scores_units_of_his_block_only(db_url, as_user):
    from models import Participant

    w = make_world(db_url, state=State.PERIOD2_OPEN)
    with Session(engine_for(db_url)) as s:
        parts = {p.unit_id: p.block_id for p in s.exec(select(Participant))}
    mine = parts[w.focal_unit_id]
    outside = next(u for u, b in parts.items() if b != mine)
    leader = as_user(w.focal)
    page = f"/block/{w.code}"
    assert "Chấm điểm" in leader.get(page).text
    form = f"{page}/unit/{w.other_unit_id}"
    r = leader.post(form, data={"p:TC1": "36", "csrf_token": token(leader, form)})
    assert r.status_code == 400 and "tiêu chí TC1" in r.text
    r = leader.post(form, data={"p:TC1": "30", "p:TC2": "10", "csrf_token": token(leader, form)})
    assert r.status_code == 200 and "Đã ghi điểm khối trưởng chấm" in r.text
    with Session(engine_for(db_url)) as s:
        rows = s.exec(select(Score.unit_id, Score.scorer_kind, Score.scored_by)).all()
    assert set(rows) == {(w.other_unit_id, "leader", w.focal)}
    assert "30,00" in leader.get(form).text and "Xếp hạng trong khối" in leader.get(page).text
    r = leader.post(f"{page}/unit/{outside}", data={"p:TC1": "1", "csrf_token": token(leader)})
    assert r.status_code == 403 and "không thuộc khối thi đua của bạn" in r.text
    assert leader.get(f"{page}/unit/{outside}").status_code == 403
    assert as_user(w.other_focal).get(page).status_code == 403  # not the leading unit


def test_the_head_approves_and_the_last_approval_starts_the_close(db_url, as_user):
    w = make_world(db_url, state=State.APPROVAL)
    with Session(engine_for(db_url)) as s:
        mid = s.exec(select(Movement.id)).one()
        for authority in ["Chủ tịch UBND tỉnh", "Bộ Công Thương"]:
            s.add(Decision(movement_id=mid, kind="proposal", authority=authority))
        s.commit()
        ids = s.exec(select(Decision.id).order_by(Decision.id)).all()
    head = as_user(w.council[0])  # the Giám đốc
    page = head.get("/head").text
    assert "Tờ trình" in page and page.count("Phê duyệt</button>") == 2
    r = head.post(f"/head/{w.code}/decision/{ids[0]}/approve", data={"csrf_token": token(head)})
    assert r.status_code == 200 and "Đã phê duyệt văn bản" in r.text
    assert start.start_stage_in_background.calls == []
    r = head.post(f"/head/{w.code}/decision/{ids[1]}/approve", data={"csrf_token": token(head)})
    assert "bắt đầu giai đoạn kết thúc phong trào" in r.text
    assert start.start_stage_in_background.calls == [(w.code, "close", w.council[0])]
    r = head.post(f"/head/{w.code}/decision/999/approve", data={"csrf_token": token(head)})
    assert r.status_code == 404
    with Session(engine_for(db_url)) as s:
        approved = s.exec(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "proposal.approved")
        ).one()
    assert approved == 2
    assert as_user(w.admin).get("/head").status_code == 403


def test_a_body_over_the_limit_is_refused_before_it_is_read(sqlite_url, as_user):
    from thidua.web.app import MAX_BODY

    w = make_world(sqlite_url, state=State.PROPOSALS)
    unit = as_user(w.focal)
    form = f"/unit/{w.code}/nominate"
    big = ("scan.pdf", b"%PDF" + b"0" * (MAX_BODY + 1), "application/pdf")
    r = unit.post(form, data={"csrf_token": token(unit, form)}, files={"evidence": big})
    assert r.status_code == 413 and "quá lớn" in r.text
    over_ten = ("scan.pdf", b"%PDF" + b"0" * (10 * 1024 * 1024), "application/pdf")
    data = {"title": "LDTT", "person_id": str(w.person_ids[w.focal]), "csrf_token": token(unit)}
    r = unit.post(form, data=data, files={"evidence": over_ten})
    assert r.status_code == 400 and "dung lượng vượt quá 10 MB" in r.text


def test_a_collective_nomination_and_a_subject_outside_the_unit(sqlite_url, as_user):
    from models import Nomination, Person, Unit

    w = make_world(sqlite_url, state=State.PROPOSALS)
    with Session(engine_for(sqlite_url)) as s:
        sub = s.exec(select(Unit).where(Unit.parent_id == w.focal_unit_id)).first()
        root = s.exec(select(Unit).where(Unit.parent_id.is_(None))).one()  # above the unit
        outsider = s.exec(select(Person).where(Person.unit_id == root.id)).first()
    unit = as_user(w.focal)
    form = f"/unit/{w.code}/nominate"
    stranger = {"title": "LDTT", "subject_kind": "individual", "person_id": str(outsider.id)}
    r = unit.post(form, data={**stranger, "csrf_token": token(unit, form)})
    assert r.status_code == 400 and "Cá nhân" in r.text and "không thuộc đơn vị đề nghị" in r.text
    r = unit.post(form, data={"title": "GIAY_KHEN", "subject_kind": "collective",
                              "csrf_token": token(unit, form)})  # fmt: skip
    assert r.status_code == 400 and "Tập thể" in r.text and "chưa chọn" in r.text
    wrong = {
        "title": "TTLDTT",
        "subject_kind": "individual",
        "person_id": str(w.person_ids[w.focal]),
    }
    r = unit.post(form, data={**wrong, "csrf_token": token(unit, form)})
    assert r.status_code == 400 and "Tập thể lao động tiên tiến chỉ xét cho tập thể" in r.text
    data = {"title": "TTLDTT", "subject_kind": "collective", "collective_unit_id": str(sub.id),
            "f:task_rating": "HTTNV", "f:members": "12",
            "f:all_members_completed": "on"}  # fmt: skip
    r = unit.post(form, data={**data, "csrf_token": token(unit, form)})
    assert r.status_code == 200 and sub.name in r.text
    with Session(engine_for(sqlite_url)) as s:
        n = s.exec(select(Nomination)).one()
    assert (n.subject_kind, n.collective_unit_id, n.unit_id) == (
        "collective",
        sub.id,
        w.focal_unit_id,
    )
    assert n.facts["members"] == 12 and n.facts["all_members_completed"] is True
