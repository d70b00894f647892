"""deliver / retry_due through a real SMTP server and the outbox, the ledger on SQLite and
PostgreSQL."""

import json
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from models import Notification, Person
from models.db import engine_for
from tests.test_notify_support import make_org, smtp  # noqa: F401
from thidua.notify import OutgoingMessage, deliver, failures, ledger, retry_due
from thidua.settings import get_settings, reset_settings

NOON = datetime(2026, 3, 10, 5, 0, tzinfo=UTC)  # 12:00 in Hà Nội, a Tuesday


def ctx(**kw):
    return {"directive_symbol": "05/KH-SCT", **kw}


def launch_messages(org, directive: Path, event: str = "launch") -> list[OutgoingMessage]:
    return [
        OutgoingMessage(event, "launch_notice", p.id, ctx(directive_path=str(directive)))
        for p in org.people
    ]


@pytest.fixture
def directive(tmp_path: Path) -> Path:
    p = tmp_path / "Kế hoạch phát động 05-KH-SCT.docx"
    p.write_bytes(bytes(range(256)) * 40 + "Tết Nguyên Đán".encode())
    return p


def rows(url: str) -> list[Notification]:
    with Session(engine_for(url)) as s:
        return list(s.exec(sa.select(Notification).order_by(Notification.id)).scalars())


def test_email_vietnamese_and_attachment_intact(db_url, smtp, directive):  # noqa: F811
    org = make_org(db_url, n_units=2, per_unit=2)
    report = deliver(org.movement.id, launch_messages(org, directive), now=NOON)
    assert report.sent == 4 and report.failed_temporary == report.failed_permanent == 0
    assert report.by_channel["email"]["sent"] == 4
    got = smtp.by_recipient()
    assert sorted(got) == sorted(p.email for p in org.people)
    p = org.people[0]
    (msg,) = got[p.email]
    assert msg["subject"] == "[Sở Công Thương] Phát động Phong trào thi đua năm 2026"
    assert p.full_name in str(msg["to"])
    body = msg.get_body(("plain",)).get_content()
    assert f"Kính gửi: {p.full_name} – Phòng Quản lý Công nghiệp số" in body
    assert '"Đoàn kết, kỷ cương, sáng tạo, về đích"' in body
    (att,) = list(msg.iter_attachments())
    assert att.get_filename() == directive.name
    assert att.get_content() == directive.read_bytes()
    assert all(r.status == "sent" and r.attempts == 1 and r.sent_at for r in rows(db_url))


def test_rerun_sends_nothing_twice(db_url, smtp, directive):  # noqa: F811
    org = make_org(db_url)
    msgs = launch_messages(org, directive)
    assert deliver(org.movement.id, msgs, batch_size=3, now=NOON).sent == 4
    again = deliver(org.movement.id, msgs, now=NOON)
    assert again.sent == 0 and again.skipped_already_sent == 4
    assert retry_due(org.movement.id, now=NOON + timedelta(days=1)).sent == 0
    assert len(smtp.received) == 4


def test_outbox_when_no_channel_is_configured(db_url, directive, monkeypatch):
    monkeypatch.delenv("THIDUA_EMAIL_URL", raising=False)
    reset_settings()
    org = make_org(db_url, n_units=1, per_unit=2, zalo=True)
    report = deliver(org.movement.id, launch_messages(org, directive), now=NOON)
    assert report.sent == 4  # 2 people × (email + zalo)
    out = Path(get_settings().outbox_dir)
    emls, jsons = sorted(out.glob("*.eml")), sorted(out.glob("*.json"))
    assert len(emls) == 2 and len(jsons) == 2
    import email
    from email import policy

    m = email.message_from_bytes(emls[0].read_bytes(), policy=policy.default)
    assert m["subject"].startswith("[Sở Công Thương] Phát động")
    assert next(m.iter_attachments()).get_content() == directive.read_bytes()
    z = json.loads(jsons[0].read_text(encoding="utf-8"))
    assert z["phone"].startswith("84912") and len(z["phone"]) == 11
    assert z["template_data"]["van_ban"] == "05/KH-SCT"
    assert all(len(v) <= 100 for v in z["template_data"].values())


def test_smtp_down_then_up(db_url, directive, monkeypatch):
    from tests.test_notify_support import SmtpSink

    sink = SmtpSink()  # not started: the port refuses connections
    monkeypatch.setenv("THIDUA_EMAIL_URL", sink.url())
    reset_settings()
    org = make_org(db_url, n_units=3, per_unit=2)
    msgs = launch_messages(org, directive)
    down = deliver(org.movement.id, msgs, batch_size=4, now=NOON)
    assert down.sent == 0 and down.failed_temporary == 6
    assert {r.status for r in rows(db_url)} == {"retry"}
    assert retry_due(org.movement.id, now=NOON + timedelta(seconds=10)).sent == 0  # not yet due
    sink.start()
    try:
        up = retry_due(org.movement.id, now=NOON + timedelta(minutes=2), batch_size=4)
        assert up.sent == 6
        assert retry_due(org.movement.id, now=NOON + timedelta(hours=1)).sent == 0
        assert deliver(org.movement.id, msgs, now=NOON).skipped_already_sent == 6
        assert sorted(r for _, rs, _ in sink.received for r in rs) == sorted(
            p.email for p in org.people
        )
        assert all(r.status == "sent" and r.attempts == 2 for r in rows(db_url))
    finally:
        sink.stop()


def test_bad_contacts_reported_others_still_go(db_url, smtp, directive):  # noqa: F811
    org = make_org(db_url, n_units=2, per_unit=2)
    with Session(engine_for(db_url)) as s:
        bad = s.get(Person, org.people[0].id)
        bad.email = "nguyen van a@sct"  # malformed in the organisation data
        refused = s.get(Person, org.people[1].id)
        s.add_all([bad, refused])
        s.commit()
        refused_addr = refused.email
    smtp.refuse.add(refused_addr)
    report = deliver(org.movement.id, launch_messages(org, directive), now=NOON)
    assert report.sent == 2 and report.failed_permanent == 2
    reasons = {f.address: f.reason for f in report.permanent_failures}
    assert "địa chỉ email không hợp lệ" in reasons["nguyen van a@sct"]
    assert "550" in reasons[refused_addr]
    with Session(engine_for(db_url)) as s:
        listed = failures(s, org.movement.id)
    assert {f.person_id for f in listed} == {org.people[0].id, org.people[1].id}
    assert all(f.person_name.startswith("Nguyễn Thị Ánh") and f.unit_name for f in listed)
    # a re-run does not report them again; a corrected address is tried again
    assert deliver(org.movement.id, launch_messages(org, directive), now=NOON).sent == 0
    with Session(engine_for(db_url)) as s:
        fixed = s.get(Person, org.people[0].id)
        fixed.email = "nguyen.van.a@sct.hanam.gov.vn"
        s.add(fixed)
        s.commit()
    assert deliver(org.movement.id, launch_messages(org, directive), now=NOON).sent == 1
    assert "nguyen.van.a@sct.hanam.gov.vn" in smtp.by_recipient()


def test_quiet_hours_wait_for_the_window(db_url, smtp, directive):  # noqa: F811
    org = make_org(db_url, n_units=1, per_unit=2)
    night = datetime(2026, 3, 10, 15, 30, tzinfo=UTC)  # 22:30 in Hà Nội
    report = deliver(org.movement.id, launch_messages(org, directive), now=night)
    assert report.sent == 0 and report.deferred == 2 and not smtp.received
    assert retry_due(org.movement.id, now=night + timedelta(hours=3)).sent == 0  # 01:30
    assert not smtp.received
    morning = datetime(2026, 3, 11, 0, 5, tzinfo=UTC)  # 07:05
    assert retry_due(org.movement.id, now=morning).sent == 2
    assert len(smtp.received) == 2


def test_a_crashed_workers_reservation_is_sent_after_the_lease(db_url, smtp):  # noqa: F811
    org = make_org(db_url, n_units=1, per_unit=2)
    payload = {
        "kind": "launch_notice",
        "movement_id": org.movement.id,
        "subject": "Thử lại",
        "body": "Nội dung có dấu: Tết\n",
        "attachments": [],
        "about": {},
    }
    with Session(engine_for(db_url)) as s:
        for p, age in zip(org.people, (11, 2), strict=True):
            s.add(
                Notification(
                    movement_id=org.movement.id,
                    event="launch",
                    channel="email",
                    recipient=f"person:{p.id}",
                    address=p.email,
                    payload=payload,
                    reserved_at=NOON - timedelta(minutes=age),
                )
            )
        s.commit()
    report = retry_due(org.movement.id, now=NOON)
    assert report.sent == 1  # the 11-minute-old one; the 2-minute-old one is still owned
    assert [r for _, r, _ in smtp.received] == [[org.people[0].email]]
    assert smtp.messages()[0]["subject"] == "Thử lại"


def test_two_workers_racing_send_each_message_once(db_url, smtp, directive):  # noqa: F811
    org = make_org(db_url, n_units=5, per_unit=4)
    msgs = launch_messages(org, directive)
    reports = []

    def run():
        reports.append(deliver(org.movement.id, msgs, batch_size=7, now=NOON))

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(r.sent for r in reports) == 20
    rcpts = [r for _, rs, _ in smtp.received for r in rs]
    assert sorted(rcpts) == sorted(p.email for p in org.people)  # each exactly once


def test_missing_template_variable_is_an_error_before_anything_is_reserved(db_url, smtp):  # noqa: F811
    from thidua.errors import InvalidInput

    org = make_org(db_url, n_units=1, per_unit=1)
    with pytest.raises(InvalidInput) as e:
        deliver(org.movement.id, [OutgoingMessage("x", "launch_notice", org.people[0].id, {})])
    assert "launch_notice.yaml" in str(e.value) and "directive_symbol" in str(e.value)
    assert rows(db_url) == []
    _ = ledger  # the module is part of the public surface used by the status page


def test_temporary_failures_back_off_then_give_up_and_are_reported(
    db_url,
    smtp,  # noqa: F811
    directive,
    monkeypatch,
):
    monkeypatch.setenv("THIDUA_QUIET_HOURS", "")  # ~20 h of retries would cross the night
    reset_settings()
    org = make_org(db_url, n_units=1, per_unit=2)
    stuck = org.people[0].email
    smtp.tempfail.add(stuck)
    msgs = launch_messages(org, directive)
    first = deliver(org.movement.id, msgs, now=NOON)
    assert first.sent == 1 and first.failed_temporary == 1
    t, waits = NOON, []
    for _ in range(ledger.MAX_ATTEMPTS - 1):
        (row,) = [r for r in rows(db_url) if r.address == stuck]
        if row.status != "retry":
            break
        due = row.next_attempt_at.replace(tzinfo=UTC)
        waits.append(due - t)
        assert retry_due(org.movement.id, now=due - timedelta(seconds=1)).sent == 0
        t = due
        retry_due(org.movement.id, now=t)
    assert waits[:4] == [timedelta(minutes=m) for m in (1, 2, 4, 8)]  # exponential backoff
    (row,) = [r for r in rows(db_url) if r.address == stuck]
    assert row.status == "failed" and row.attempts == ledger.MAX_ATTEMPTS
    assert f"đã thử {ledger.MAX_ATTEMPTS} lần" in row.answer and "451" in row.answer
    with Session(engine_for(db_url)) as s:
        assert [f.address for f in failures(s, org.movement.id)] == [stuck]
    assert [r for _, rs, _ in smtp.received for r in rs] == [org.people[1].email]


def test_a_lease_running_short_gives_rows_back_unsent(db_url, smtp, directive, monkeypatch):  # noqa: F811
    org = make_org(db_url, n_units=1, per_unit=3)
    monkeypatch.setattr(ledger, "LEASE", timedelta(seconds=0))
    report = deliver(org.movement.id, launch_messages(org, directive), now=NOON)
    assert report.sent == 0 and report.pending == 3 and not smtp.received
    assert {r.status for r in rows(db_url)} == {"retry"}
    monkeypatch.setattr(ledger, "LEASE", timedelta(minutes=10))
    assert retry_due(org.movement.id, now=NOON).sent == 3


def test_workers_given_the_same_messages_in_opposite_orders_send_each_once(
    db_url,
    smtp,  # noqa: F811
    directive,
):
    org = make_org(db_url, n_units=6, per_unit=5)
    msgs = launch_messages(org, directive)
    reports = []
    threads = [
        threading.Thread(
            target=lambda m=m: reports.append(deliver(org.movement.id, m, batch_size=30, now=NOON))
        )
        for m in (msgs, msgs[::-1])
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(reports) == 2 and sum(r.sent for r in reports) == 30
    assert sorted(r for _, rs, _ in smtp.received for r in rs) == sorted(
        p.email for p in org.people
    )
