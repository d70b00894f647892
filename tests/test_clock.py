"""The movement clock (thidua.clock) and the replay on it (`thidua rehearse`, `thidua demo`).

One rehearsal of the Hà Nam 2022 spec, small, in a subprocess whose THIDUA_EMAIL_URL points at
a real SMTP server (aiosmtpd), serves the replay tests: its documents, its ledger, its sink."""

import os
import re
import sqlite3
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from docx import Document
from sqlmodel import Session, select
from typer.testing import CliRunner

from models import Notification
from models.db import engine_for
from tests.conftest import seed_prefect
from tests.test_notify import directive, launch_messages  # noqa: F401
from tests.test_notify_support import SmtpSink, make_org, smtp  # noqa: F401
from thidua import clock
from thidua.cli import app
from thidua.holidays_vn import add_working_days
from thidua.notify import deliver, retry_due
from thidua.settings import PROJECT_ROOT, reset_settings
from thidua.vn import TZ

SPEC = PROJECT_ROOT / "examples" / "hanam-sct-2022.yaml"
runner = CliRunner()


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("THIDUA_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("THIDUA_CLOCK", raising=False)
    reset_settings()
    yield tmp_path
    reset_settings()


# --- the clock -------------------------------------------------------------------------------


def test_unset_clock_is_the_real_time(data_dir: Path):
    assert clock.simulated() is None
    assert abs(clock.now() - datetime.now(UTC)) < timedelta(seconds=5)


def test_a_set_clock_is_what_every_part_reads(data_dir: Path, monkeypatch):
    from models.base import utcnow
    from thidua import vn

    clock.set_clock(datetime(2022, 6, 30, 8, 30, tzinfo=TZ))
    assert vn.today() == date(2022, 6, 30)
    assert utcnow() == datetime(2022, 6, 30, 1, 30, tzinfo=UTC)
    clock.set_clock(clock.parse("2022-07-01"))  # a bare date: 07:00 that day
    assert vn.now() == datetime(2022, 7, 1, 7, 0, tzinfo=TZ)
    monkeypatch.setenv("THIDUA_CLOCK", "2022-12-08T10:00")  # the setting wins over the file
    assert vn.now() == datetime(2022, 12, 8, 10, 0, tzinfo=TZ)
    monkeypatch.delenv("THIDUA_CLOCK")
    clock.set_clock(None)
    assert clock.simulated() is None


def test_the_clock_is_honoured_across_a_process_boundary(data_dir: Path):
    clock.set_clock(datetime(2022, 3, 1, 9, 0, tzinfo=TZ))
    code = "from thidua import vn; from models.base import utcnow; print(vn.now(), utcnow())"
    env = {**os.environ, "THIDUA_DATA_DIR": str(data_dir)}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.stdout.split() == ["2022-03-01", "09:00:00+07:00", "2022-03-01", "02:00:00+00:00"]
    env = {**env, "THIDUA_CLOCK": "2022-11-21"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.stdout.startswith("2022-11-21 07:00:00+07:00")


def test_clock_set_and_show_from_the_command_line(data_dir: Path):
    r = runner.invoke(app, ["clock", "set", "2022-04-05T14:00"])
    assert r.exit_code == 0, r.output
    assert "05/04/2022 14:00" in runner.invoke(app, ["clock", "show"]).output
    r = runner.invoke(app, ["clock", "set", "ngày mai"])
    assert r.exit_code != 0 and "không phải ngày giờ hợp lệ" in str(r.exception or r.output)
    assert clock.simulated() == datetime(2022, 4, 5, 14, 0, tzinfo=TZ)  # unchanged
    runner.invoke(app, ["clock", "clear"])
    assert not (data_dir / "clock").exists()


def _cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(Path(sys.executable).parent / "thidua"), *args],
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        timeout=900,
    )


def test_a_date_outside_the_movements_year_is_refused(tmp_path: Path):
    where = tmp_path / "rehearsal"
    r = _cli("rehearse", str(SPEC), "--until", "2023-01-10", "--keep", str(where))
    assert r.returncode == 2, r.stderr
    assert "nằm ngoài năm 2022 của phong trào hanam-sct-2022" in r.stderr
    assert "Traceback" not in r.stderr + r.stdout
    assert not where.exists()  # nothing made
    r = _cli("demo", "--data-dir", str(where), "--until", "2021-12-31")
    assert r.returncode == 2 and "nằm ngoài năm 2022" in r.stderr and not where.exists()


def test_clock_set_refuses_a_date_outside_a_movement_under_way(db_url: str, data_dir: Path):
    with Session(engine_for(db_url)) as s:
        m = make_org(db_url, state="registration").movement  # a 2026 movement
        assert s.get(type(m), m.id).year == 2026
    r = runner.invoke(app, ["clock", "set", "2022-05-01"])
    assert r.exit_code != 0 and "nằm ngoài năm 2026" in str(r.exception)
    assert not (data_dir / "clock").exists()
    assert runner.invoke(app, ["clock", "set", "2026-05-04"]).exit_code == 0


def test_quiet_hours_are_kept_in_movement_time(db_url, smtp, directive, monkeypatch):  # noqa: F811
    org = make_org(db_url, n_units=1, per_unit=2)
    clock.set_clock(datetime(2022, 3, 10, 22, 30, tzinfo=TZ))  # a night of the movement
    report = deliver(org.movement.id, launch_messages(org, directive))
    assert report.sent == 0 and report.deferred == 2 and not smtp.received
    clock.set_clock(datetime(2022, 3, 11, 6, 50, tzinfo=TZ))
    assert retry_due(org.movement.id).sent == 0 and not smtp.received
    clock.set_clock(datetime(2022, 3, 11, 7, 5, tzinfo=TZ))  # the window opens
    assert retry_due(org.movement.id).sent == 2 and len(smtp.received) == 2
    with Session(engine_for(db_url)) as s:
        sent = [n.sent_at for n in s.exec(select(Notification))]
    assert {x.replace(tzinfo=x.tzinfo or UTC).astimezone(TZ).date() for x in sent} == {
        date(2022, 3, 11)
    }
    clock.set_clock(None)


# --- a rehearsed movement --------------------------------------------------------------------


@pytest.fixture(scope="module")
def rehearsal(tmp_path_factory: pytest.TempPathFactory, prefect_db: Path):
    """`thidua rehearse` of the Hà Nam 2022 spec, small, with a real SMTP server configured.
    It rehearses into the folder of an earlier rehearsal, of which only the Prefect database
    is left (the demo keeps it, thidua.demo.prepare): its server starts without migrating."""
    from thidua.demo import MARKER

    sink = SmtpSink()
    sink.start()
    where = seed_prefect(tmp_path_factory.mktemp("rehearse") / "kept", prefect_db)
    (where / MARKER).write_text("thidua demo\n")
    r = _cli(
        "rehearse", str(SPEC), "--keep", str(where), "--units", "6", "--blocks", "2",
        "--people", "60",
        env={"THIDUA_EMAIL_URL": sink.url(), "THIDUA_PDF": "false"},
    )  # fmt: skip
    sink.stop()
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    db = sqlite3.connect(where / "thidua.db")
    yield r.stdout, where, db, sink
    db.close()


def _date_in(path: Path) -> date:
    """The date line of a document: "Hà Nam, ngày 06 tháng 7 năm 2022" (not a căn cứ's)."""
    text = "\n".join(p.text for p in Document(path).paragraphs)
    for t in Document(path).tables:
        text += "\n".join(c.text for row in t.rows for c in row.cells)
    d, m, y = re.search(r"Hà Nam, ngày (\d\d) tháng (\d\d?) năm (\d{4})", text).groups()
    return date(int(y), int(m), int(d))


def test_rehearsal_sends_nothing_to_a_real_channel(rehearsal):
    out, where, db, sink = rehearsal
    assert sink.received == []
    sent = db.execute("select count(*) from notification where status = 'sent'").fetchone()[0]
    outbox = [p for p in (where / "outbox").rglob("*") if p.is_file()]
    assert sent > 100 and len(outbox) >= sent  # every message went to the outbox, none out
    assert "thông báo đang chờ: 0" in out and "Đã kết thúc phong trào" in out
    from flows.server import status

    assert status(where) is None  # its Prefect server was stopped with it


def test_documents_carry_the_movements_own_dates_in_order(rehearsal):
    _, where, db, _ = rehearsal
    paths = dict(
        db.execute(
            "select kind, path from issueddocument where kind in "
            "('period_report', 'final_report', 'decision')"
        ).fetchall()
    )
    store = where / "documents"
    interim, final, decision = (
        _date_in(store / paths[k]) for k in ("period_report", "final_report", "decision")
    )
    assert interim == date(2022, 7, 6)  # first working day after Đợt 1 reports are due (5/7)
    assert final == date(2022, 12, 1)  # after the self-scores are due (30/11)
    assert date(2022, 12, 6) < decision <= date(2022, 12, 12)  # after the appraisal (6/12)
    created = dict(db.execute("select kind, min(created_at) from issueddocument group by kind"))
    assert created["launch"] < created["period_report"] < created["final_report"]
    assert created["final_report"] < created["decision"]
    years = {int(c[:4]) for (c,) in db.execute("select created_at from issueddocument")}
    years |= {int(c[:4]) for (c,) in db.execute("select at from auditevent")}
    assert years == {2022}


def _sent_on(db, event_like: str) -> set[date]:
    rows = db.execute("select sent_at from notification where event like ?", (event_like,))
    return {datetime.fromisoformat(x).replace(tzinfo=UTC).astimezone(TZ).date() for (x,) in rows}


def test_reminders_go_out_on_the_policys_days(rehearsal):
    out, _, db, _ = rehearsal
    due = date(2022, 3, 31)  # registration; two units register six working days late
    for k in (7, 3, 1):
        assert _sent_on(db, f"reminder:registration:before:{k}:%") == {add_working_days(due, -k)}
    assert _sent_on(db, "reminder:registration:on_day:%") == {due}
    assert _sent_on(db, "reminder:registration:overdue:1:%") == {add_working_days(due, 1)}
    assert _sent_on(db, "reminder:registration:overdue:3:%") == {add_working_days(due, 3)}
    assert _sent_on(db, "escalation:registration:%") == {add_working_days(due, 5)}
    assert "báo cáo thủ trưởng đơn vị chậm" in out


def test_every_message_went_out_in_working_hours_of_its_day(rehearsal):
    _, _, db, _ = rehearsal
    sent = [
        datetime.fromisoformat(x).replace(tzinfo=UTC).astimezone(TZ)
        for (x,) in db.execute("select sent_at from notification")
    ]
    assert sent and all(7 <= t.hour < 21 and t.year == 2022 for t in sent)
    held = db.execute("select count(*) from notification where status != 'sent'").fetchone()
    assert held == (0,)


def test_the_timeline_shows_only_days_with_something_done(rehearsal):
    out, *_ = rehearsal
    days = [line for line in out.splitlines() if re.match(r"\s+\d\d/\d\d?/2022  ", line)]
    assert days[0].split()[0] == "01/3/2022" and "Phát động phong trào" in days[0]
    assert any("Sơ kết" in x and x.split()[0] == "06/7/2022" for x in days)
    assert len(days) < 80  # not 200 working days
