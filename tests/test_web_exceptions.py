"""The portal's side of the gate, on SQLite and PostgreSQL: the admin records an exception on
the dossier page (refused without a reason, nothing stored); a unit gives its priority when
nominating (refused when it is not a whole number from 1) and withdraws its own dossier."""

import pytest
from sqlmodel import Session, func, select

from models import AuditEvent, Nomination, NominationException
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


def count(url: str, model) -> int:
    with Session(engine_for(url)) as s:
        return s.exec(select(func.count()).select_from(model)).one()


def test_the_admin_records_an_exception_on_the_dossier_page(db_url, as_user):
    w = make_world(db_url, state=State.PROPOSALS, nominations=2)
    with Session(engine_for(db_url), expire_on_commit=False) as s:
        short = s.get(Nomination, w.nominations[1])
        short.facts = {**short.facts, "task_rating": "HTNV"}
        s.add(short)
        s.commit()
    admin = as_user(w.admin)
    page = f"/admin/m/{w.code}/dossiers"
    html = admin.get(page).text
    assert f'action="/admin/dossier/{short.id}/exception"' in html
    assert f'action="/admin/dossier/{w.nominations[0]}/exception"' not in html  # it passes
    post = f"/admin/dossier/{short.id}/exception"

    r = admin.post(post, data={"rule": "LDTT.xep_loai", "reason": " ", "csrf_token": token(admin)})
    assert r.status_code == 400 and "Lý do" in r.text and "phải nêu lý do" in r.text
    r = admin.post(post, data={"rule": "LDTT.ky_luat", "reason": "x", "csrf_token": token(admin)})
    assert r.status_code == 400 and "không vi phạm tiêu chuẩn" in r.text
    assert count(db_url, NominationException) == 0

    focal = as_user(w.focal)
    r = focal.post(post, data={"rule": "LDTT.xep_loai", "reason": "x",
                               "csrf_token": token(focal)})  # fmt: skip
    assert r.status_code == 403 and count(db_url, NominationException) == 0

    reason = "Hội đồng xem xét lại kết quả xếp loại theo biên bản kiểm tra."
    r = admin.post(post, data={"rule": "LDTT.xep_loai", "reason": reason,
                               "csrf_token": token(admin)})  # fmt: skip
    assert r.status_code == 200 and f"Đã ghi nhận ngoại lệ cho hồ sơ số {short.id}" in r.text
    assert "Ngoại lệ đã ghi nhận: " + reason in r.text and "quantri" in r.text
    assert f'action="/admin/dossier/{short.id}/exception"' not in r.text  # nothing left to except
    with Session(engine_for(db_url)) as s:
        x = s.exec(select(NominationException)).one()
        assert (x.nomination_id, x.rule_id, x.recorded_by) == (short.id, "LDTT.xep_loai", w.admin)
        assert s.exec(
            select(AuditEvent).where(AuditEvent.action == "nomination.exception")
        ).one().actor == w.admin  # fmt: skip


def test_a_unit_gives_its_priority_when_nominating(db_url, as_user):
    w = make_world(db_url, state=State.PROPOSALS)
    unit = as_user(w.focal)
    form = f"/unit/{w.code}/nominate"
    assert 'name="priority"' in unit.get(form).text
    data = {"title": "LDTT", "subject_kind": "individual", "person_id": str(w.person_ids[w.focal]),
            "f:task_rating": "HTXSNV", "f:months_worked": "12", "f:discipline": "none"}  # fmt: skip
    for bad in ["0", "một", "-1"]:
        r = unit.post(form, data={**data, "priority": bad, "csrf_token": token(unit, form)})
        assert r.status_code == 400 and "Thứ tự ưu tiên" in r.text, bad
    assert count(db_url, Nomination) == 0
    r = unit.post(form, data={**data, "priority": "2", "csrf_token": token(unit, form)})
    assert r.status_code == 200 and "Thứ tự ưu tiên của đơn vị" in r.text
    with Session(engine_for(db_url)) as s:
        assert s.exec(select(Nomination.priority)).one() == 2


def test_a_unit_withdraws_its_returned_dossier(db_url, as_user):
    w = make_world(db_url, state=State.PROPOSALS, nominations=1)
    nid = w.nominations[0]
    unit, other = as_user(w.focal), as_user(w.other_focal)
    page = f"/dossier/{nid}"
    assert f'action="/dossier/{nid}/withdraw"' in unit.get(page).text
    r = unit.post(f"{page}/withdraw", data={"reason": "", "csrf_token": token(unit)})
    assert r.status_code == 400 and "phải nêu lý do rút hồ sơ" in r.text
    r = other.post(f"{page}/withdraw", data={"reason": "x", "csrf_token": token(other)})
    assert r.status_code == 403
    with Session(engine_for(db_url)) as s:
        assert s.get(Nomination, nid).status == "submitted"
    r = unit.post(f"{page}/withdraw", data={"reason": "Vượt chỉ tiêu", "csrf_token": token(unit)})
    assert r.status_code == 200 and f"Đã rút hồ sơ số {nid}" in r.text and "Đã rút" in r.text
    with Session(engine_for(db_url)) as s:
        n = s.get(Nomination, nid)
        assert (n.status, n.status_reason) == ("withdrawn", "Vượt chỉ tiêu")
