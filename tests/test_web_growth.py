"""The unit's report form asks for growth where the directive set one, shows the target's own
growth and baseline, stores what is typed, and names the target when a growth is no number."""

from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from models import Movement, Target, TargetResult
from models.db import engine_for
from tests.web_helpers import login, make_world, quiet, target_values, token
from thidua.web.app import create_app


@pytest.fixture
def world(sqlite_url, monkeypatch):
    quiet(monkeypatch)
    w = make_world(sqlite_url, units=4, people=20)
    with Session(engine_for(sqlite_url)) as s:
        m = s.exec(select(Movement).where(Movement.code == w.code)).one()
        t = s.exec(select(Target).where(Target.movement_id == m.id, Target.code == "ban_le")).one()
        t.growth_pct, t.growth_basis = Decimal("12.5"), "so với ước thực hiện năm 2021"
        s.add(t)
        s.commit()
    return w


def test_growth_is_asked_shown_and_stored(world, sqlite_url):
    with TestClient(create_app()) as client:
        login(client, world.focal)
        url = f"/unit/{world.code}/report/1"
        page = client.get(url).text
        assert "Tăng trưởng (%)" in page and 'name="g:ban_le"' in page
        assert 'name="g:xuat_khau"' not in page  # no growth set for it: none asked
        assert "tăng 12,5% so với ước thực hiện năm 2021" in page
        data = {**target_values(sqlite_url, world.code), "summary": "x"}
        bad = client.post(url, data={**data, "g:ban_le": "mười", "csrf_token": token(client, url)})
        assert "Tăng trưởng của chỉ tiêu «Tổng mức bán lẻ hàng hóa và dịch vụ»" in bad.text
        assert "không phải là số" in bad.text
        with Session(engine_for(sqlite_url)) as s:
            assert s.exec(select(TargetResult)).all() == []  # nothing stored
        ok = client.post(url, data={**data, "g:ban_le": "-2,5", "csrf_token": token(client, url)})
        assert ok.status_code == 200 and "Đã nộp báo cáo Đợt 1" in ok.text
        with Session(engine_for(sqlite_url)) as s:
            grown = {r.growth_pct for r in s.exec(select(TargetResult))}
        assert grown == {None, Decimal("-2.5")}
        again = client.get(url).text
        assert 'value="-2,50"' in again  # the form shows what was stored
