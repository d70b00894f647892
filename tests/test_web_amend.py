"""An admin sets a deadline and a criteria table from the movement's dashboard after launch."""

from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from models import AuditEvent, CriteriaTable, Criterion, Deadline
from models.db import engine_for
from tests.web_helpers import login, make_world, quiet, token
from thidua.lifecycle import State
from thidua.web.app import create_app


@pytest.fixture
def world(sqlite_url, monkeypatch):
    quiet(monkeypatch)
    return make_world(sqlite_url, units=4, people=20)


def test_admin_amends_deadline_and_criteria(world, sqlite_url):
    with TestClient(create_app()) as client:
        login(client, world.admin)
        page = f"/admin/m/{world.code}"
        html = client.get(page).text
        assert 'id="deadline-form"' in html and 'id="criteria-form"' in html
        r = client.post(f"{page}/deadline", data={
            "kind": "self_score", "due_on": "2022-12-02", "reason": "Lùi hạn",
            "csrf_token": token(client, page)})  # fmt: skip
        assert r.status_code == 200 and "Đã điều chỉnh hạn" in r.text
        rows = "TC1 | Hoàn thành nhiệm vụ | 70\nTC2 | Cải cách hành chính | 30"
        bad = client.post(f"{page}/criteria", data={
            "name": "Bảng mới", "rows": "TC1 Hoàn thành 70", "reason": "Sửa",
            "csrf_token": token(client, page)})  # fmt: skip
        assert "Dòng 1" in bad.text and "mã | nội dung tiêu chí | điểm tối đa" in bad.text
        ok = client.post(f"{page}/criteria", data={
            "name": "Bảng tiêu chí sửa đổi", "rows": rows, "reason": "Sửa theo góp ý",
            "csrf_token": token(client, page)})  # fmt: skip
        assert ok.status_code == 200 and "Đã lưu bảng tiêu chí" in ok.text
        html = client.get(page).text
        assert "Bảng tiêu chí sửa đổi — mọi khối, phiên bản" in html and "(đang áp dụng)" in html
    with Session(engine_for(sqlite_url)) as s:
        due = s.exec(select(Deadline.due_on).where(Deadline.kind == "self_score")).one()
        assert due == date(2022, 12, 2)
        current = select(Criterion).join(CriteriaTable).where(CriteriaTable.replaced_at.is_(None))
        assert [c.code for c in s.exec(current.order_by(Criterion.seq))] == ["TC1", "TC2"]
        actions = [e.action for e in s.exec(select(AuditEvent).order_by(AuditEvent.id))]
        assert actions[-2:] == ["deadline.amended", "criteria.amended"]


def test_a_unit_scored_on_a_replaced_table_is_asked_to_score_again(sqlite_url, monkeypatch):
    quiet(monkeypatch)
    world = make_world(sqlite_url, state=State.PERIOD2_OPEN, units=3, people=12)
    with Session(engine_for(sqlite_url)) as s:
        codes = s.exec(select(Criterion.code).order_by(Criterion.seq)).all()
    with TestClient(create_app()) as client:
        login(client, world.focal)
        page = f"/unit/{world.code}"
        points = {f"p:{c}": "1" for c in codes}
        r = client.post(f"{page}/scores", data={**points, "csrf_token": token(client, page)})
        assert r.status_code == 200 and "Đã tự chấm điểm" in client.get(page).text
        client.post("/logout", data={"csrf_token": token(client, page)})
        login(client, world.admin)
        admin = f"/admin/m/{world.code}"
        ok = client.post(f"{admin}/criteria", data={
            "name": "Bảng tiêu chí sửa đổi", "rows": "TC1 | Hoàn thành nhiệm vụ | 100",
            "reason": "Sửa theo góp ý", "csrf_token": token(client, admin)})  # fmt: skip
        assert "Đã lưu bảng tiêu chí" in ok.text
        html = client.get(admin).text
        assert 'phiên bản 1 <span class="muted">(đã thay' in html
        client.post("/logout", data={"csrf_token": token(client, admin)})
        login(client, world.focal)
        html = client.get(page).text
        assert "Tự chấm điểm lại theo bảng tiêu chí mới (phiên bản 2)" in html
        assert "Chưa tự chấm điểm" in html
        form = client.get(f"{page}/scores").text
        assert "Bảng tiêu chí sửa đổi (phiên bản 2;" in form and 'name="p:TC1"' in form
