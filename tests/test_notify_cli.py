"""`thidua notify remind | retry | failures` on a real database and the outbox."""

from datetime import date

from sqlmodel import Session
from typer.testing import CliRunner

from models import Deadline, Participant, Person
from models.db import engine_for
from tests.test_notify_support import make_org
from thidua.cli.notify import app

runner = CliRunner()


def test_remind_then_failures(sqlite_url):
    org = make_org(sqlite_url, n_units=2, per_unit=2, state="registration")
    due = date(2026, 3, 13)  # Friday; 3 working days before: Tuesday 10 March
    with Session(engine_for(sqlite_url)) as s:
        for u in org.units:
            s.add(Participant(movement_id=org.movement.id, unit_id=u.id))
        s.add(
            Deadline(movement_id=org.movement.id, kind="registration", label="Đăng ký", due_on=due)
        )
        bad = s.get(Person, org.people[0].id)
        bad.email = "khong-hop-le"
        s.add(bad)
        s.commit()
    code = org.movement.code
    at = ["--at", "2026-03-10T09:00"]
    dry = runner.invoke(app, ["remind", code, "--dry-run", *at])
    assert dry.exit_code == 0, dry.output
    assert "Tin đến hạn: 2" in dry.output
    assert "reminder:registration:before:3:2026-03-13" in dry.output
    sent = runner.invoke(app, ["remind", code, *at])
    assert sent.exit_code == 0, sent.output
    assert "Đã gửi: 1" in sent.output and "lỗi không gửi được: 1" in sent.output
    assert "Kênh email (qua outbox)" in sent.output
    night = runner.invoke(app, ["remind", code, "--dry-run", "--at", "2026-03-10T22:00"])
    assert "Tin đến hạn: 0" in night.output  # quiet hours
    out = runner.invoke(app, ["failures", code])
    assert out.exit_code == 0
    assert "địa chỉ email không hợp lệ: 'khong-hop-le'" in out.output
    assert "Không gửi được: 1" in out.output and "Kênh email: failed: 1, sent: 1" in out.output
    retry = runner.invoke(app, ["retry", code])
    assert retry.exit_code == 0 and "Đã gửi: 0" in retry.output
    missing = runner.invoke(app, ["failures", "khong-co"])
    assert missing.exit_code != 0
