"""The portal in a real browser (Debian's headless chromium driven by Playwright) against a
live uvicorn server: a unit's report, a nomination with an evidence upload, a council vote,
an admin's stage trigger — with screenshots (THIDUA_SCREENSHOTS=dir keeps them)."""

import os
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, func, select

from models import Evidence, Movement, Nomination, PeriodReport, VoteReceipt
from models.base import utcnow
from models.db import engine_for
from tests.web_helpers import PASSWORD, PNG, LiveServer, make_world, quiet, tallied
from thidua.ballots import open_meeting
from thidua.lifecycle import State
from thidua.web.app import create_app

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip

pytestmark = pytest.mark.browser
if not CHROMIUM.exists() and not os.environ.get("CI"):
    pytestmark = [pytest.mark.browser, pytest.mark.skip(reason="no /usr/bin/chromium")]


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():  # only reached under CI, where a missing browser is a failure
        pytest.fail(f"{CHROMIUM} is not installed (apt-get install chromium)")

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        yield b
        b.close()


def set_state(url: str, state: State) -> None:
    with Session(engine_for(url)) as s:
        m = s.exec(select(Movement)).one()
        m.state = state.value
        s.add(m)
        if state == State.APPRAISAL:
            open_meeting(s, m, actor="test", vote_deadline=utcnow() + timedelta(days=3))
        s.commit()


def count(url: str, model) -> int:
    with Session(engine_for(url)) as s:
        return s.exec(select(func.count()).select_from(model)).one()


def test_report_nomination_vote_and_stage_trigger_in_chromium(
    browser, sqlite_url, tmp_path, monkeypatch
):
    recorder = quiet(monkeypatch)
    w = make_world(sqlite_url, state=State.PERIOD1_OPEN, council_size=1)
    shots = tmp_path / "shots"
    shots.mkdir()

    with LiveServer(create_app()) as server:
        ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN")
        page = ctx.new_page()

        def log_in(username: str) -> None:
            page.context.clear_cookies()
            page.goto(server.url + "/login")
            page.get_by_label("Tên đăng nhập").fill(username)
            page.get_by_label("Mật khẩu").fill(PASSWORD)
            page.get_by_role("button", name="Đăng nhập").click()
            page.wait_for_url(server.url + "/")

        def shot(name: str) -> None:
            page.wait_for_load_state("networkidle")  # the charts are PNGs drawn by the server
            page.screenshot(path=str(shots / f"{name}.png"), full_page=True)

        # A unit's focal point reports Period 1 against the targets.
        log_in(w.focal)
        page.goto(f"{server.url}/unit/{w.code}")
        assert page.get_by_text("Báo cáo kết quả Đợt 1").first.is_visible()
        shot("1-don-vi")
        page.get_by_role("link", name="Báo cáo Đợt 1").click()
        for label, value in [("Giá trị sản xuất công nghiệp", "90.000"),
                             ("Tổng mức bán lẻ hàng hóa và dịch vụ", "18.000,5"),
                             ("Kim ngạch xuất khẩu hàng hóa", "2.100"),
                             ("Kim ngạch nhập khẩu hàng hóa", "1.900")]:  # fmt: skip
            page.get_by_label(label).fill(value)
        page.get_by_label("Tóm tắt kết quả").fill("Sáu tháng đầu năm đạt trên 50% kế hoạch.")
        shot("2-bao-cao-dot-1")
        page.get_by_role("button", name="Nộp báo cáo").click()
        assert page.get_by_text("Đã nộp báo cáo Đợt 1.").is_visible()
        assert count(sqlite_url, PeriodReport) == 1

        # Proposals: the same focal point nominates a colleague, with a scanned certificate.
        set_state(sqlite_url, State.PROPOSALS)
        page.goto(f"{server.url}/unit/{w.code}/nominate")
        page.get_by_label("Danh hiệu, hình thức khen thưởng").select_option("LDTT")
        page.get_by_label("Chọn cá nhân").select_option(str(w.person_ids[w.unit_head]))
        page.get_by_label("Tóm tắt thành tích").fill("Hoàn thành xuất sắc nhiệm vụ năm 2022.")
        page.get_by_label("Xếp loại mức độ hoàn thành nhiệm vụ").select_option("HTXSNV")
        page.get_by_label("Số tháng làm việc trong năm").fill("12")
        scan = tmp_path / "giay-khen-2021.png"
        scan.write_bytes(PNG)
        page.get_by_label("Tệp minh chứng").set_input_files(str(scan))
        shot("3-ho-so-de-nghi")
        page.get_by_role("button", name="Gửi hồ sơ").click()
        assert page.get_by_text("Đã gửi hồ sơ đề nghị số").is_visible()
        assert page.get_by_role("link", name="giay-khen-2021.png").is_visible()
        shot("4-ho-so-da-gui")
        assert (count(sqlite_url, Nomination), count(sqlite_url, Evidence)) == (1, 1)

        # The council (one member: the chair) sees the rule check and votes.
        set_state(sqlite_url, State.APPRAISAL)
        log_in(w.council[0])
        page.goto(f"{server.url}/council/{w.code}")
        assert page.get_by_text("Kiểm tra tiêu chuẩn").is_visible()
        page.get_by_label("Đồng ý", exact=True).check()
        shot("5-hoi-dong-bo-phieu")
        page.get_by_role("button", name="Bỏ phiếu", exact=True).click()
        assert page.get_by_text("Đã ghi phiếu bầu").is_visible()
        assert page.get_by_text("Kết quả bỏ phiếu").is_visible()
        assert (tallied(sqlite_url), count(sqlite_url, VoteReceipt)) == (1, 1)
        assert recorder.calls == [(w.code, "decision", "system")]  # the last ballot

        # The admin's dashboard, and a stage started from it.
        log_in(w.admin)
        page.goto(f"{server.url}/admin/m/{w.code}")
        assert page.get_by_alt_text("Biểu đồ tỷ lệ thực hiện từng chỉ tiêu").is_visible()
        page.get_by_label("Giai đoạn").select_option("decision")
        page.get_by_role("button", name="Chạy", exact=True).click()
        assert page.get_by_text("Đã yêu cầu chạy giai đoạn «Quyết định khen thưởng»").is_visible()
        shot("6-quan-tri-tong-quan")
        for chart in page.locator("img.chart").all():  # drawn, not just their alt text
            assert chart.bounding_box()["height"] > 150
        assert recorder.calls[-1] == (w.code, "decision", "quantri")
        ctx.close()

    for f in shots.iterdir():
        assert f.read_bytes().startswith(b"\x89PNG") and f.stat().st_size > 10_000, f
    keep = os.environ.get("THIDUA_SCREENSHOTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        for f in shots.iterdir():
            shutil.copy(f, Path(keep) / f.name)
