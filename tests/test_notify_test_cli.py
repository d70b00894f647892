"""`thidua notify test --email | --zalo`: one real message through the configured channel — a
local SMTP server (aiosmtpd) and the local ZNS test server — and its answer in Vietnamese."""

from typer.testing import CliRunner

from tests.test_notify_support import smtp  # noqa: F401  (fixture)
from tests.zns_server import FakeZns
from thidua.cli.notify import app
from thidua.settings import reset_settings

runner = CliRunner()


def test_email_goes_through_smtp(sqlite_url, smtp) -> None:  # noqa: F811
    r = runner.invoke(app, ["test", "--email", "van-thu@sct.hanam.gov.vn"])
    assert r.exit_code == 0, r.output
    assert "Đã gửi tin thử tới van-thu@sct.hanam.gov.vn qua máy chủ SMTP" in r.output
    (msg,) = smtp.messages()
    assert msg["To"].endswith("van-thu@sct.hanam.gov.vn")
    assert "kênh email đã cấu hình đúng" in msg.get_content()


def test_email_server_down_is_a_sentence(sqlite_url, monkeypatch) -> None:
    monkeypatch.setenv("THIDUA_EMAIL_URL", "mailto://127.0.0.1:9?from=a@b.vn&mode=insecure")
    reset_settings()
    r = runner.invoke(app, ["test", "--email", "van-thu@sct.hanam.gov.vn"])
    assert r.exit_code == 1 and "Không gửi được tin thử" in r.output
    assert "lỗi tạm thời" in r.output and "Traceback" not in r.output


def test_zalo_goes_through_zns(sqlite_url, monkeypatch) -> None:
    with FakeZns() as z:
        monkeypatch.setenv("THIDUA_ZALO_URL", z.url())
        reset_settings()
        r = runner.invoke(
            app,
            [
                "test",
                "--zalo",
                "0912 345 678",
                "--template",
                "401234",
                "--param",
                "ten=Nguyễn Văn A",
            ],
        )
        assert r.exit_code == 0, r.output
        assert "Đã gửi tin thử tới 84912345678 qua Zalo (ZNS)" in r.output
        (sent,) = z.messages
        assert sent["phone"] == "84912345678" and sent["template_id"] == "401234"
        assert sent["template_data"] == {"ten": "Nguyễn Văn A"}
        missing = runner.invoke(app, ["test", "--zalo", "0912345678"])
        assert missing.exit_code == 1 or missing.exception is not None
        assert len(z.messages) == 1


def test_bad_address_sends_nothing(sqlite_url) -> None:
    r = runner.invoke(app, ["test", "--email", "khong-hop-le"])
    assert "địa chỉ email không hợp lệ" in str(r.exception)
