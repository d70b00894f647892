"""What each user does through the portal, on SQLite and PostgreSQL: a unit registers,
reports, self-scores, nominates with evidence; the admin returns; a council member recuses and
votes; the admin starts a stage and downloads documents. Each lands in the domain's tables
and in the audit log, and refusals store nothing."""

import io
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from sqlmodel import Session, func, select

from flows import start
from models import (
    Attendance,
    AuditEvent,
    Evidence,
    Meeting,
    Nomination,
    PeriodReport,
    Person,
    Recusal,
    Registration,
    Score,
    TargetResult,
    VoteReceipt,
)
from models.db import engine_for
from tests.web_helpers import (
    PNG,
    Users,
    make_world,
    pdf_bytes,
    quiet,
    tallied,
    target_values,
    token,
)
from thidua.lifecycle import State
from thidua.settings import get_settings


@pytest.fixture(autouse=True)
def _quiet(monkeypatch):
    quiet(monkeypatch)


@pytest.fixture
def as_user():
    users = Users()
    yield users
    users.close()


def count(url: str, model, *where) -> int:
    with Session(engine_for(url)) as s:
        return s.exec(select(func.count()).select_from(model).where(*where)).one()


def actions(url: str) -> list[str]:
    with Session(engine_for(url)) as s:
        return list(s.exec(select(AuditEvent.action).order_by(AuditEvent.id)))


def test_unit_registers_reports_scores_and_sees_a_return(db_url, as_user):
    w = make_world(db_url, state=State.PERIOD1_OPEN)
    unit = as_user(w.focal)
    page = f"/unit/{w.code}"
    r = unit.post(f"{page}/register", data={"titles": ["TTLDTT", "GIAY_KHEN"], "pledge": "Phấn đấu",
                                           "csrf_token": token(unit, page)})  # fmt: skip
    assert r.status_code == 200 and "Đã ghi đăng ký thi đua (2 danh hiệu)" in r.text
    assert count(db_url, Registration) == 2
    r = unit.post(f"{page}/register", data={"titles": ["LDTT"], "csrf_token": token(unit, page)})
    assert r.status_code == 400 and "Lao động tiên tiến chỉ dành cho cá nhân" in r.text
    me = {"titles": ["LDTT"], "person_id": str(w.person_ids[w.focal]), "csrf_token": token(unit)}
    assert unit.post(f"{page}/register", data=me).status_code == 200
    assert count(db_url, Registration) == 3

    form = f"{page}/report/1"
    bad = {**target_values(db_url, w.code), "v:ban_le": "nhiều", "csrf_token": token(unit, form)}
    r = unit.post(form, data=bad)
    assert r.status_code == 400 and "Chỉ tiêu «Tổng mức bán lẻ" in r.text
    assert "không phải là số" in r.text
    assert count(db_url, PeriodReport) == 0  # nothing half-written
    dotted = {**target_values(db_url, w.code), "v:xuat_khau": "2.5", "csrf_token": token(unit)}
    r = unit.post(form, data=dotted)
    assert r.status_code == 400 and "dấu chấm ngăn hàng nghìn" in r.text
    assert count(db_url, PeriodReport) == 0
    good = {**target_values(db_url, w.code), "summary": "Đạt tiến độ", "csrf_token": token(unit)}
    r = unit.post(form, data=good)
    assert r.status_code == 200 and "Đã nộp báo cáo Đợt 1" in r.text
    assert (count(db_url, PeriodReport), count(db_url, TargetResult)) == (1, 4)
    with Session(engine_for(db_url)) as s:
        stored = set(s.exec(select(TargetResult.value)))
    assert Decimal("87093.0") in stored  # "87.093,0" as typed: half of 174.186,0 tỷ đồng

    admin = as_user(w.admin)
    with Session(engine_for(db_url)) as s:
        report_id = s.exec(select(PeriodReport.id)).one()
    rp = f"/admin/m/{w.code}/reports"
    listing = admin.get(rp).text
    assert "87.093,0 tỷ đồng" in listing and "Đạt tiến độ" in listing
    reason = {"reason": "Thiếu số liệu xuất khẩu", "csrf_token": token(admin, rp)}
    r = admin.post(f"/admin/report/{report_id}/return", data=reason)
    assert r.status_code == 200 and "Đã trả lại báo cáo Đợt 1" in r.text
    home = unit.get("/unit").text
    assert "Bị trả lại" in home and "Thiếu số liệu xuất khẩu" in home
    r = unit.post(form, data={**good, "csrf_token": token(unit, form)})
    assert r.status_code == 200 and "Bị trả lại" not in unit.get("/unit").text

    sp = f"{page}/scores"
    r = unit.post(sp, data={"p:TC1": "40", "p:TC2": "abc", "csrf_token": token(unit, sp)})
    assert r.status_code == 400 and "tiêu chí TC1" in r.text and "tiêu chí TC2" in r.text
    assert count(db_url, Score) == 0
    r = unit.post(sp, data={"p:TC1": "30", "p:TC2": "12,5", "csrf_token": token(unit, sp)})
    assert r.status_code == 200 and "Đã ghi điểm tự chấm" in r.text
    assert count(db_url, Score, Score.scorer_kind == "self") == 2
    done = actions(db_url)
    for a in ["registration.submitted", "report.submitted", "report.returned", "score.self"]:
        assert a in done, a
    assert done.count("report.submitted") == 2


def test_a_nomination_with_evidence_and_refused_files(db_url, as_user):
    w = make_world(db_url, state=State.PROPOSALS)
    unit = as_user(w.focal)
    form = f"/unit/{w.code}/nominate"
    person = w.person_ids[w.focal]
    data = {"title": "LDTT", "subject_kind": "individual", "person_id": str(person),
            "achievement": "Hoàn thành xuất sắc", "f:task_rating": "HTXSNV",
            "f:months_worked": "12", "f:discipline": "none", "f:initiatives:co_so": "2",
            "f:initiatives:tinh": "0"}  # fmt: skip
    fake = ("../../etc/passwd.pdf", b"MZ\x90\x00 not a pdf", "application/pdf")
    r = unit.post(form, data={**data, "csrf_token": token(unit, form)}, files={"evidence": fake})
    assert r.status_code == 400 and "chỉ nhận PDF, JPG, PNG, DOCX hoặc XLSX" in r.text
    upload_dir = get_settings().upload_dir
    assert count(db_url, Nomination) == 0 and not any(Path(upload_dir).glob("*"))

    r = unit.post(form, data={**data, "f:months_worked": "13", "csrf_token": token(unit)})
    assert r.status_code == 400 and "Số tháng làm việc trong năm" in r.text
    assert count(db_url, Nomination) == 0

    scan = ("../../bang khen 2021.png", PNG, "image/png")
    r = unit.post(form, data={**data, "csrf_token": token(unit, form)}, files={"evidence": scan})
    assert r.status_code == 200 and "Đã gửi hồ sơ đề nghị số" in r.text
    with Session(engine_for(db_url)) as s:
        n = s.exec(select(Nomination)).one()
        ev = s.exec(select(Evidence)).one()
    assert n.facts == {"task_rating": "HTXSNV", "months_worked": 12.0, "discipline": "none",
                       "initiatives": {"co_so": 2}}  # fmt: skip
    assert ev.filename == "bang khen 2021.png" and ev.stored_name != ev.filename
    assert [p.name for p in Path(upload_dir).iterdir()] == [ev.stored_name]

    got = unit.get(f"/evidence/{ev.id}")
    assert got.status_code == 200 and got.content == PNG
    assert got.headers["content-type"] == "image/png"
    assert "attachment" in got.headers["content-disposition"]
    assert as_user(w.other_focal).get(f"/evidence/{ev.id}").status_code == 403
    assert as_user(w.staff).get(f"/evidence/{ev.id}").status_code == 403
    assert as_user(w.admin).get(f"/evidence/{ev.id}").status_code == 200
    assert as_user(w.other_focal).get(f"/dossier/{n.id}").status_code == 403

    before = count(db_url, Nomination), count(db_url, Evidence)
    dup = unit.post(form, data={**data, "csrf_token": token(unit, form)})  # sent twice
    assert dup.status_code == 200 and "trước đó; không ghi thêm" in dup.text
    other = {**data, "achievement": "Khác", "csrf_token": token(unit, form)}
    dup = unit.post(form, data=other)  # another dossier for the same subject and title
    assert dup.status_code == 400 and "Đã có hồ sơ đề nghị Lao động tiên tiến" in dup.text
    assert (count(db_url, Nomination), count(db_url, Evidence)) == before

    admin = as_user(w.admin)
    dp = f"/admin/m/{w.code}/dossiers"
    page = admin.get(dp).text
    assert "Kiểm tra tiêu chuẩn" in page and "bang khen 2021.png" in page
    reason = {"reason": "Bổ sung bản sao quyết định", "csrf_token": token(admin, dp)}
    r = admin.post(f"/admin/dossier/{n.id}/return", data=reason)
    assert r.status_code == 200
    assert "Bổ sung bản sao quyết định" in unit.get("/unit").text
    more = ("minh-chung-2.pdf", pdf_bytes(), "application/pdf")
    r = unit.post(f"/dossier/{n.id}/evidence", data={"csrf_token": token(unit)},
                  files={"evidence": more})  # fmt: skip
    assert r.status_code == 200 and "minh-chung-2.pdf" in r.text
    r = unit.post(f"/dossier/{n.id}/resubmit",
                  data={"achievement": "Đã bổ sung", "csrf_token": token(unit)})  # fmt: skip
    assert r.status_code == 200 and "Đã gửi lại hồ sơ" in r.text
    done = actions(db_url)
    for a in ["nomination.submitted", "evidence.uploaded", "nomination.returned"]:
        assert a in done, a
    assert done[-1] == "nomination.submitted" and count(db_url, Evidence) == 2


def test_council_recuses_votes_once_and_the_last_ballot_starts_the_decision(db_url, as_user):
    w = make_world(db_url, nominations=2, meeting=True, council_size=3)
    chair, m1, m2 = (as_user(u) for u in w.council)
    page = f"/council/{w.code}"
    html = m1.get(page).text
    assert "Hồ sơ số" in html and "Kiểm tra tiêu chuẩn" in html and "Phiếu bầu là phiếu kín" in html
    n1, n2 = w.nominations

    def vote(c, n, choice):
        return c.post(f"{page}/vote", data={"nomination_id": n, "choice": choice,
                                            "csrf_token": token(c, page)})  # fmt: skip

    r = m1.post(f"{page}/recuse", data={"nomination_id": n1, "reason": "Người thân",
                                        "csrf_token": token(m1, page)})  # fmt: skip
    assert r.status_code == 200 and count(db_url, Recusal) == 1
    r = vote(m1, n1, "yes")
    assert r.status_code == 400 and "không tham gia biểu quyết" in r.text
    assert vote(m1, n2, "").status_code == 400
    assert vote(m1, n2, "yes").status_code == 200
    again = vote(m1, n2, "no")  # his first ballot stands; this one is not recorded
    assert again.status_code == 200 and "mỗi thành viên chỉ được bỏ" in again.text
    assert "Phiếu lần này không được ghi" in again.text and "Đã ghi phiếu" not in again.text
    assert "Bạn đã bỏ phiếu cho hồ sơ này" in m1.get(page).text
    close = m2.post(f"{page}/close", data={"csrf_token": token(m2, page)})
    assert close.status_code == 400 and "Chỉ Chủ tịch Hội đồng" in close.text
    for c in (chair, m2):
        assert vote(c, n1, "yes").status_code == 200
    assert start.start_stage_in_background.calls == []
    assert vote(chair, n2, "yes").status_code == 200
    last = vote(m2, n2, "no")
    assert last.status_code == 200 and "phiên họp kết thúc" in last.text
    assert start.start_stage_in_background.calls == [(w.code, "decision", "system")]
    assert (tallied(db_url), count(db_url, VoteReceipt)) == (5, 5)
    with Session(engine_for(db_url)) as s:
        assert s.exec(select(Meeting.status)).one() == "closed"
    results = m1.get(page).text
    assert "Kết quả bỏ phiếu" in results and "Đạt" in results
    done = actions(db_url)
    assert done.count("ballot.cast") == 5 and "meeting.recuse" in done


def test_the_chair_keeps_the_roll_and_a_member_may_not(db_url, as_user):
    w = make_world(db_url, nominations=1, meeting=True, council_size=3)
    chair, m1, _m2 = (as_user(u) for u in w.council)
    page = f"/council/{w.code}"
    assert "Điểm danh (Thư ký Hội đồng)" in chair.get(page).text
    assert "Điểm danh (Thư ký Hội đồng)" not in m1.get(page).text
    with Session(engine_for(db_url)) as s:
        absent = s.exec(select(Person).where(Person.code == w.council[2])).one()

    def mark(c, present, reason=""):
        return c.post(f"{page}/attendance", data={"person_id": absent.id, "present": present,
                      "reason": reason, "csrf_token": token(c, page)})  # fmt: skip

    refused = mark(m1, "no", "Đi công tác")
    assert refused.status_code == 403 and "Chỉ Thư ký hoặc Chủ tịch Hội đồng" in refused.text
    assert mark(chair, "").status_code == 400 and count(db_url, Attendance) == 0
    done = mark(chair, "no", "Đi công tác")
    assert done.status_code == 200 and count(db_url, Attendance) == 1
    html = chair.get(page).text
    assert "Có mặt 0/3 thành viên" in html and f"{absent.full_name} (Đi công tác)" in html


def test_admin_dashboard_stage_trigger_and_documents(db_url, as_user):
    from models import IssuedDocument, Movement

    w = make_world(db_url, state=State.PERIOD1_OPEN)
    admin = as_user(w.admin)
    dash = f"/admin/m/{w.code}"
    html = admin.get(dash).text
    for text in ["Đang diễn ra Đợt 1", "Tiến độ theo chỉ tiêu", "Tiến độ theo đơn vị",
                 "Thông báo gửi không thành công", "Báo cáo kết quả Đợt 1"]:  # fmt: skip
        assert text in html, text
    assert "9 đơn vị tham gia" in html and "Báo cáo kết quả Đợt 1: 9" in html
    for chart in ["targets", "units"]:
        png = admin.get(f"{dash}/chart/{chart}.png")
        assert png.status_code == 200 and png.content.startswith(b"\x89PNG")
    r = admin.post(
        f"{dash}/stage", data={"stage": "close-period-1", "csrf_token": token(admin, dash)}
    )
    assert r.status_code == 200 and "Kết thúc Đợt 1" in r.text
    assert start.start_stage_in_background.calls == [(w.code, "close-period-1", w.admin)]
    bad = admin.post(f"{dash}/stage", data={"stage": "nhay-coc", "csrf_token": token(admin, dash)})
    assert bad.status_code == 400 and "Không có giai đoạn &#39;nhay-coc&#39;" in bad.text
    early = admin.post(f"{dash}/stage", data={"stage": "final-tally", "csrf_token": token(admin)})
    assert early.status_code == 400 and "Không thể &#39;Tổng kết&#39;" in early.text
    again = admin.post(f"{dash}/stage", data={"stage": "launch", "csrf_token": token(admin)})
    assert again.status_code == 200  # a stage already passed may be run again (it resumes)
    assert [c[1] for c in start.start_stage_in_background.calls] == ["close-period-1", "launch"]
    assert actions(db_url).count("stage.requested") == 2
    assert f"{w.admin} yêu cầu chạy «launch»" in admin.get(dash).text

    docs = get_settings().document_dir
    (docs / "2022").mkdir(parents=True, exist_ok=True)
    (docs / "2022" / "ke-hoach.docx").write_bytes(b"PK\x03\x04 docx")
    (docs / "2022" / "ke-hoach.pdf").write_bytes(b"%PDF-1.4")
    with Session(engine_for(db_url)) as s:
        mid = s.exec(select(Movement.id)).one()
        common = dict(movement_id=mid, agency="SCT", series="KH", year=2022, content_hash="x")
        good = IssuedDocument(
            kind="launch",
            title="Kế hoạch phát động",
            number=5,
            path="2022/ke-hoach.docx",
            pdf_path="2022/ke-hoach.pdf",
            **common,
        )
        evil = IssuedDocument(kind="x", title="x", number=6, path="../../etc/hosts", **common)
        s.add_all([good, evil])  # fmt: skip
        s.commit()
        gid, eid = good.id, evil.id
    listing = admin.get(f"{dash}/documents").text
    assert "Kế hoạch phát động" in listing
    got = admin.get(f"/admin/document/{gid}")
    assert got.status_code == 200 and got.content == b"PK\x03\x04 docx"
    assert admin.get(f"/admin/document/{gid}/pdf").content == b"%PDF-1.4"
    bundle = admin.get(f"{dash}/documents.zip")
    assert bundle.status_code == 200 and bundle.headers["content-type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(bundle.content)).namelist()
    assert names == [f"{gid:05d}-launch.docx", f"{gid:05d}-launch.pdf"]  # not /etc/hosts
    assert admin.get(f"/admin/document/{eid}").status_code == 404
    assert admin.get(f"/admin/document/{eid}/pdf").status_code == 404
    assert "stage.requested" in admin.get(f"{dash}/audit").text
