"""The small parts: ZNS parameter cutting, contact points, quiet hours, every template."""

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from thidua.errors import InvalidInput
from thidua.notify import quiet
from thidua.notify.contacts import normalise_email, normalise_phone
from thidua.notify.messages import ELLIPSIS, compiled, render_email, render_zns, shorten
from thidua.notify.mime import build_email, encode_header
from thidua.settings import PROJECT_ROOT, reset_settings
from thidua.vn import TZ

WORDS = st.text(
    alphabet="aăâbcdđeêghiklmnoôơpqrstuưvxyàảãáạầẩẫấậềểễếệọộợụựỳỷỹýỵ", min_size=1, max_size=12
)


@given(st.lists(WORDS, min_size=1, max_size=40), st.integers(1, 120))
def test_shorten_fits_keeps_a_prefix_and_marks_the_cut(words: list[str], limit: int):
    text = " ".join(words)
    out = shorten(text, limit)
    assert len(out) <= limit
    if len(text) <= limit:
        assert out == text
    else:
        assert out.endswith(ELLIPSIS)
        head = out[:-1]
        assert text.startswith(head)
        # a cut inside a word goes back to the word's start unless that loses a third
        if head and len(head) < limit - 1:
            assert text[len(head)] == " " or len(head) >= (limit - 1) * 2 // 3


def test_shorten_examples():
    assert shorten("Phòng Quản lý Công nghiệp", 30) == "Phòng Quản lý Công nghiệp"
    assert shorten("Thiếu báo cáo thành tích có xác nhận", 20) == "Thiếu báo cáo thành…"
    assert shorten("Khôngcókhoảngtrắngnàocả", 10) == "Khôngcókh…"


@pytest.mark.parametrize(
    "raw, ok",
    [
        ("0912345678", "84912345678"),
        ("+84 912 345 678", "84912345678"),
        ("84-912-345-678", "84912345678"),
        ("(091) 234.5678", "84912345678"),
        ("0312345678", "84312345678"),
    ],
)
def test_phones_are_normalised(raw, ok):
    assert normalise_phone(raw) == ok


@pytest.mark.parametrize("raw", ["12345", "0212345678", "091234567", "84912345678x", "", None])
def test_bad_phones_are_refused_in_vietnamese(raw):
    with pytest.raises(ValueError, match="số điện thoại Zalo"):
        normalise_phone(raw)


@pytest.mark.parametrize(
    "raw", ["a b@x.vn", "a@x", "a@@x.vn", "a..b@x.vn", "a@x.vn\r\nBcc: y@z.vn"]
)
def test_bad_emails_are_refused(raw):
    with pytest.raises(ValueError, match="email"):
        normalise_email(raw)


def test_quiet_hours_wrap_midnight():
    q = quiet.parse("21:00-07:00")
    at = lambda h, m=0: datetime(2026, 3, 10, h, m, tzinfo=TZ)  # noqa: E731
    assert quiet.is_quiet(at(21), q) and quiet.is_quiet(at(3), q) and quiet.is_quiet(at(6, 59), q)
    assert not quiet.is_quiet(at(7), q) and not quiet.is_quiet(at(20, 59), q)
    assert quiet.opens_at(at(22), q) == datetime(2026, 3, 11, 0, 0, tzinfo=UTC)  # 07:00 +07
    assert quiet.opens_at(at(5), q) == datetime(2026, 3, 10, 0, 0, tzinfo=UTC)
    assert quiet.parse("") is None and quiet.parse("none") is None
    with pytest.raises(ValueError, match="giờ yên lặng"):
        quiet.parse("9pm-7am")


COMMON = {
    "recipient_name": "Lê Thị Hoà",
    "recipient_unit": "Phòng Kế hoạch – Tài chính",
    "movement_title": "Phong trào thi đua năm 2026",
    "movement_theme": "Đoàn kết",
    "movement_year": 2026,
    "movement_code": "pt",
    "agency": "Sở Công Thương",
}
REMINDER = {
    "unit_name": "Phòng Kế hoạch – Tài chính",
    "obligation": "Đăng ký thi đua",
    "due_date": date(2026, 3, 31),
    "days_left": 3,
    "days_overdue": 0,
    "period_number": 1,
}
KINDS = {
    "launch_notice": {"directive_symbol": "05/KH-SCT", "directive_path": "/tmp/x.docx"},
    "registration_reminder": REMINDER,
    "period_report_reminder": REMINDER,
    "self_score_reminder": REMINDER,
    "nomination_reminder": REMINDER,
    "escalation": {**REMINDER, "days_overdue": 6},
    "council_vote": {"vote_deadline": "17:00 ngày 20/11/2026", "nominee_count": 12},
    "decision_announced": {
        "decision_symbol": "125/QĐ-SCT",
        "signed_on": date(2026, 12, 1),
        "summary": "Tặng danh hiệu Tập thể lao động xuất sắc cho 5 tập thể",
    },
    "dossier_returned": {
        "nominee_name": "Trần Văn Bình",
        "award_title": "Chiến sĩ thi đua cơ sở",
        "reason": "Thiếu minh chứng",
        "resubmit_by": date(2026, 12, 5),
    },
    "amendment_notice": {
        "what": "hạn",
        "change": "Hạn tự chấm điểm: ngày 05 tháng 12 năm 2026",
        "reason": "Lùi hạn theo đề nghị của các đơn vị",
    },
}


def test_every_shipped_template_is_listed_and_renders():
    shipped = {p.stem for p in (PROJECT_ROOT / "templates" / "messages").glob("*.yaml")}
    assert shipped >= set(KINDS)
    for kind in shipped:  # others' kinds too: each file at least parses and compiles
        compiled(kind)
    for kind, extra in KINDS.items():
        for phase in ("before", "on_day", "overdue", "invitation", "reminder"):
            ctx = {**COMMON, **extra, "phase": phase}
            e = render_email(kind, ctx)
            assert e.subject and "\n" not in e.subject and "Lê Thị Hoà" in e.body
            z = render_zns(kind, ctx)
            assert z is not None and z.template_id and all(z.params.values())


def test_a_missing_variable_names_the_file_and_the_variable():
    with pytest.raises(InvalidInput) as e:
        render_email("escalation", {**COMMON, "unit_name": "X"})
    assert "escalation.yaml" in str(e.value) and "obligation" in str(e.value)


def test_an_office_can_override_a_template(tmp_path: Path, monkeypatch):
    (tmp_path / "messages").mkdir()
    (tmp_path / "messages" / "council_vote.yaml").write_text(
        "email:\n  subject: 'Mời họp {{ recipient_name }}'\n  body: 'Nội dung riêng'\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("THIDUA_TEMPLATE_DIR", str(tmp_path))
    reset_settings()
    try:
        assert render_email("council_vote", COMMON).subject == "Mời họp Lê Thị Hoà"
        assert render_zns("council_vote", COMMON) is None  # no ZNS form: email only
    finally:
        reset_settings()


def test_headers_are_encoded_words_that_decode_back():
    import email
    from email import policy

    subject = "[Sở Công Thương] Nhắc hạn báo cáo kết quả Đợt 1 – " + "Phòng Quản lý " * 8
    enc = encode_header(subject)
    assert enc.isascii() and all(len(line) <= 76 for line in enc.split("\r\n"))
    data = build_email(
        from_addr="a@b.vn",
        from_name='Văn phòng "Sở"',
        to_addr="c@d.vn",
        to_name="Đặng Thị Ngọc Ánh",
        subject=subject,
        body="Tết\r\nxuân\n",
        message_id="<1@b.vn>",
    )
    assert b"\r\n" in data and b"\n" not in data.replace(b"\r\n", b"")
    m = email.message_from_bytes(data, policy=policy.default)
    assert m["subject"] == subject and m["to"].addresses[0].display_name == "Đặng Thị Ngọc Ánh"
    assert m.get_content().replace("\r\n", "\n") == "Tết\nxuân\n"


def test_channel_urls_carry_their_tuning():
    from thidua.notify import smtp_bulk, zns

    cfg = smtp_bulk.config_from_url(
        "mailtos://vanphong:mk@smtp.hanam.gov.vn?from=vp@sct.hanam.gov.vn&threads=3"
    )
    assert (cfg.host, cfg.port, cfg.mode, cfg.threads) == ("smtp.hanam.gov.vn", 587, "starttls", 3)
    assert cfg.from_addr == "vp@sct.hanam.gov.vn" and cfg.user == "vanphong"
    z = zns.config_from_url("zns://app:sec@oa/?refresh_token=r%2B1&rate=2.5&threads=4")
    assert (z.app_id, z.secret_key, z.refresh_token, z.rate, z.threads) == (
        "app",
        "sec",
        "r+1",
        2.5,
        4,
    )
    assert z.api_url == zns.API_URL and z.oauth_url == zns.OAUTH_URL  # the real hosts by default
    with pytest.raises(ValueError):
        zns.config_from_url("zns://oa-only/")


def test_zns_rate_limit_spreads_requests_over_threads():
    import threading
    import time

    from thidua.notify.zns import RateLimiter

    limiter, stamps = RateLimiter(20.0), []

    def go():
        for _ in range(3):
            limiter.acquire()
            stamps.append(time.monotonic())

    threads = [threading.Thread(target=go) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stamps.sort()
    assert stamps[-1] - stamps[0] >= 8 / 20 - 0.02  # 9 requests at 20/s: 8 intervals


def test_a_bad_quiet_hours_setting_is_refused_in_vietnamese(monkeypatch):
    monkeypatch.setenv("THIDUA_QUIET_HOURS", "22h-6h")
    reset_settings()
    try:
        with pytest.raises(InvalidInput, match="THIDUA_QUIET_HOURS"):
            quiet.is_quiet(datetime(2026, 3, 10, 12, tzinfo=TZ))
    finally:
        reset_settings()


def test_the_outbox_is_an_apprise_url(tmp_path: Path):
    import json

    import apprise

    import thidua.notify.channels  # noqa: F401  registers outbox:// and zns://

    a = apprise.Apprise()
    assert a.add(f"outbox://{tmp_path}/hop-thu")
    assert a.notify(title="Thông báo", body="Nội dung: Tết Nguyên Đán")
    (f,) = list((tmp_path / "hop-thu").glob("*.json"))
    assert json.loads(f.read_text(encoding="utf-8"))["body"] == "Nội dung: Tết Nguyên Đán"
