"""The stage flows, for real, on the session's shared local Prefect server (conftest): the full
lifecycle, refusals, idempotent re-runs, a crash half-way through a stage, the admin's
confirmation timing out, and the sweep opening and closing periods on their dates."""

from collections import Counter
from datetime import date

import pytest
from sqlmodel import Session, func, select

import flows.common
import flows.period
from flows.start import run_in_process
from models import AuditEvent, DecisionItem, IssuedDocument, Movement, Nomination, Notification
from models.db import engine_for
from thidua import spec, synthetic
from thidua.lifecycle import State, replay
from thidua.settings import PROJECT_ROOT

EXAMPLE = PROJECT_ROOT / "examples" / "hanam-sct-2022.yaml"


@pytest.fixture(scope="module")
def prefect(prefect_server: str):
    """This process's flows recorded on the session's server."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: prefect_server}):
        yield prefect_server


@pytest.fixture
def movement(prefect, sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Hà Nam 2022 on a small generated organisation (10 units, 2 blocks, 60 people)."""
    monkeypatch.setenv("THIDUA_PDF", "false")
    from thidua.settings import reset_settings

    reset_settings()
    with Session(engine_for(sqlite_url)) as s:
        synthetic.generate_org(s, units=10, blocks=2, people=60, seed=7)
        code = spec.store_spec(s, spec.load_spec(EXAMPLE), actor="test").code
        s.commit()
    return code


def _session() -> Session:
    from models.db import get_engine

    return Session(get_engine())


def _stage(code: str) -> State:
    with _session() as s:
        return State(s.exec(select(Movement.state).where(Movement.code == code)).one())


def _count(model, *where) -> int:
    with _session() as s:
        return s.exec(select(func.count()).select_from(model).where(*where)).one()


def test_whole_lifecycle_through_every_stage(demo_runs, monkeypatch) -> None:
    """The demo's walk on a small organisation (conftest.demo_runs' Hà Nam 2022): every stage's
    flow, every human step through the domain; the last ballot and the last approval start the
    next stages themselves."""
    from thidua.settings import reset_settings

    result = demo_runs["hanam-sct-2022"]
    monkeypatch.delenv("THIDUA_DATABASE_URL", raising=False)
    monkeypatch.setenv("THIDUA_DATA_DIR", str(result.data_dir))
    reset_settings()
    assert result.state == State.CLOSED
    with _session() as s:
        m = s.exec(select(Movement)).one()
        kinds = Counter(s.exec(select(IssuedDocument.kind)).all())
        events = list(s.exec(select(AuditEvent).where(AuditEvent.movement_id == m.id)))
        assert replay(events) == State.CLOSED
    for kind in ["launch", "registration_summary", "unit_report", "period_report", "final_report",
                 "nominee_list", "achievement_individual", "achievement_collective", "minutes",
                 "decision", "proposal_memo", "certificates"]:  # fmt: skip
        assert kinds[kind] >= 1, kind
    assert result.counts["hồ sơ được khen thưởng"] > 0
    assert result.counts["hồ sơ trình cấp trên"] >= 1  # CSTD_TINH goes to the province
    # The rules gate the ballot: every item of the decision and the memo passes the checks
    # (`rules check-nominations`) or carries an exception the office recorded; the demo
    # records one and it is awarded.
    with _session() as s:
        from thidua import exceptions

        m = s.exec(select(Movement)).one()
        gaps = exceptions.uncovered(s, m)
        items = s.exec(select(DecisionItem.nomination_id)).all()
        assert items and all(not gaps[nid] for nid in items)
        excepted = exceptions.excepted(s)
        assert excepted and set(excepted) <= set(items)
        assert s.exec(select(func.count()).select_from(Nomination)
                      .where(Nomination.status == "withdrawn")).one() >= 1  # fmt: skip
    outbox = Counter(p.suffix for p in (result.data_dir / "outbox").rglob("*.*"))
    assert outbox[".eml"] > 0 and outbox[".json"] > 0  # email and Zalo, one file each message
    assert outbox[".eml"] + outbox[".json"] == result.counts["thông báo đã gửi"]


def test_out_of_order_stage_is_refused_with_its_reason(movement: str) -> None:
    run = run_in_process(movement, "final-tally")
    assert run.status == "refused"
    assert "Tổng kết" in run.message and "Dự thảo" in run.message
    assert "Bị từ chối" in _artifact(f"{movement}-final-tally")
    assert _stage(movement) == State.DRAFT
    assert _count(IssuedDocument) == 0


def test_cli_refuses_out_of_order_stage(movement: str) -> None:
    from typer.testing import CliRunner

    from thidua.cli import app

    result = CliRunner().invoke(app, ["stage", "run", movement, "interim-review"])
    assert result.exit_code == 2
    assert "bị từ chối" in result.output and "Sơ kết" in result.output


def test_rerunning_a_completed_stage_changes_nothing(movement: str) -> None:
    assert run_in_process(movement, "launch").status == "done"
    docs, sent = _count(IssuedDocument), _count(Notification)
    events = _count(AuditEvent)
    assert "Đã thực hiện" in _artifact(f"{movement}-launch")
    again = run_in_process(movement, "launch")
    assert again.status == "already_done"
    assert "đã hoàn thành" in again.message
    assert "Đã hoàn thành trước đó" in _artifact(f"{movement}-launch")
    assert (_count(IssuedDocument), _count(Notification), _count(AuditEvent)) == (
        docs, sent, events,
    )  # fmt: skip


def _artifact(key: str) -> str:
    """The latest markdown a stage left under `key`."""
    import asyncio

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    async def read() -> str:
        async with get_client() as client:
            found = await client.read_latest_artifacts(
                artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key]))
            )
            return found[0].data if found else ""

    return asyncio.run(read())


def test_crash_half_way_then_rerun_completes_with_nothing_done_twice(
    movement: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from thidua import submissions

    monkeypatch.setattr(flows.common, "NOTICE_BATCH", 7)
    monkeypatch.setitem(flows.common.CRASH_AFTER_BATCHES, "launch", 2)
    crashed = run_in_process(movement, "launch")
    assert crashed.status == "failed"
    assert _stage(movement) == State.DRAFT
    with _session() as s:
        told = set(s.exec(select(Notification.recipient).where(Notification.status == "sent")))
    assert len(told) == 14  # two batches of seven people were told before the crash

    monkeypatch.delitem(flows.common.CRASH_AFTER_BATCHES, "launch")
    assert run_in_process(movement, "launch").status == "done"
    with _session() as s:
        rows = s.exec(select(Notification.recipient, Notification.channel)).all()
        assert len(rows) == len(set(rows))  # everyone told once on each channel
        assert {r for r, _ in rows} >= told
        assert _count(IssuedDocument, IssuedDocument.kind == "launch") == 1

    # The same for documents: per-unit reports of Period 1 crash after one batch of three
    run_in_process(movement, "open-period-1")
    with _session() as s:
        m = s.exec(select(Movement)).one()
        units = [u.id for u in spec_participants(s, m)]
        for uid in units:
            submissions.submit_period_report(s, movement=m, unit_id=uid, period_number=1,
                                             values={}, actor="t")  # fmt: skip
        s.commit()
    monkeypatch.setattr(flows.period, "UNIT_REPORT_BATCH", 3)
    monkeypatch.setitem(flows.common.CRASH_AFTER_BATCHES, "close-period-1", 1)
    assert run_in_process(movement, "close-period-1").status == "failed"
    assert _count(IssuedDocument, IssuedDocument.kind == "unit_report") == 3
    monkeypatch.delitem(flows.common.CRASH_AFTER_BATCHES, "close-period-1")
    assert run_in_process(movement, "close-period-1").status == "done"
    with _session() as s:
        numbers = s.exec(
            select(IssuedDocument.subject_key).where(IssuedDocument.kind == "unit_report")
        ).all()
    assert len(numbers) == len(set(numbers)) == len(units)


def spec_participants(s: Session, m: Movement) -> list:
    from models import Participant, Unit

    return list(s.exec(select(Unit).join(Participant, Participant.unit_id == Unit.id)
                       .where(Participant.movement_id == m.id)))  # fmt: skip


def test_launch_waits_for_the_admin_and_times_out_without_sending(movement: str) -> None:
    from flows.launch import launch

    state = launch(movement=movement, ask_confirmation=True, confirmation_timeout_s=2,
                   return_state=True)  # fmt: skip
    data = state.result()
    assert data["status"] == "not_confirmed"
    assert _stage(movement) == State.DRAFT
    assert _count(Notification) == 0
    assert _count(IssuedDocument, IssuedDocument.kind == "launch") == 1  # kept for the re-run


def test_sweep_opens_and_closes_periods_on_their_dates(movement: str) -> None:
    from flows.sweep import sweep_movement
    from thidua.sweep import due_stages

    run_in_process(movement, "launch")
    with _session() as s:
        m = s.exec(select(Movement)).one()
        assert m.auto_periods
        assert due_stages(s, m, date(2021, 12, 31)) == []
        assert due_stages(s, m, date(2022, 1, 1)) == ["open-period-1"]
        assert due_stages(s, m, date(2022, 7, 1)) == ["open-period-1", "close-period-1"]
        m.auto_periods = False
        assert due_stages(s, m, date(2022, 7, 1)) == []
    lines = sweep_movement(movement, "sweep")  # today is long after 2022: both are due
    assert _stage(movement) == State.PERIOD1_CLOSED, lines


def test_with_a_deployment_stage_run_only_schedules_it(movement: str) -> None:
    """With a server that has the stage's deployment, `thidua stage run` schedules a run of it
    for a worker instead of running here. (`prefect deploy --all` registering every stage, and
    a worker running one, are test_serve's.)"""
    import asyncio

    from prefect.client.orchestration import get_client

    from flows.start import start_stage
    from thidua.lifecycle import stage_def

    sdef = stage_def("launch")
    flow_name, name = sdef.deployment.split("/")

    async def register() -> None:
        async with get_client() as client:
            flow_id = await client.create_flow_from_name(flow_name)
            await client.create_deployment(flow_id=flow_id, name=name, entrypoint=sdef.entrypoint,
                                           enforce_parameter_schema=False)  # fmt: skip

    asyncio.run(register())
    try:
        run = start_stage(movement, "launch", wait=False)
        assert run.via == "deployment" and run.status == "scheduled" and run.flow_run_id
        assert _stage(movement) == State.DRAFT  # nothing ran here: a worker would run it
    finally:  # later tests run stages in-process again
        asyncio.run(_delete_deployments())


async def _delete_deployments() -> None:
    from prefect.client.orchestration import get_client

    async with get_client() as client:
        for d in await client.read_deployments():
            await client.delete_deployment(d.id)


def test_a_stage_with_messages_waiting_says_pending_and_the_sweep_sends_them_once_closed(
    movement: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The mail server turns every message away for now: the stage does its work but says
    `pending`, how many wait and why; `thidua status` lists them; the movement is then closed
    and the daily sweep (which runs no stage of a closed movement) still delivers them."""
    from datetime import datetime

    from typer.testing import CliRunner

    from flows.sweep import daily_sweep
    from models import Person
    from tests.test_notify_support import SmtpSink
    from thidua.cli import app
    from thidua.notify import waiting
    from thidua.settings import reset_settings

    sink = SmtpSink()
    sink.start()
    try:
        monkeypatch.setenv("THIDUA_EMAIL_URL", sink.url())
        monkeypatch.setenv("THIDUA_QUIET_HOURS", "")
        reset_settings()
        with _session() as s:
            sink.tempfail = {e for e in s.exec(select(Person.email)) if e}
        run = run_in_process(movement, "launch")
        assert run.status == "pending", run.message
        assert "chờ gửi lại" in run.message and "451" in run.message
        assert _stage(movement) == State.REGISTRATION  # the stage's own work is done
        shown = CliRunner().invoke(app, ["status", movement])
        assert "Thông báo chờ gửi" in shown.output and "chờ gửi lại" in shown.output
        assert CliRunner().invoke(app, ["stage", "run", movement, "launch"]).exit_code == 0

        with _session() as s:  # closed since; the retries are due
            m = s.exec(select(Movement).where(Movement.code == movement)).one()
            m.state = State.CLOSED.value
            for n in s.exec(select(Notification).where(Notification.status == "retry")):
                n.next_attempt_at = datetime(2000, 1, 1)
                s.add(n)
            s.add(m)
            s.commit()
            mid = m.id
        sink.tempfail.clear()
        daily_sweep()
        with _session() as s:
            assert waiting(s, mid) == []
            assert set(s.exec(select(Notification.status))) == {"sent"}
        got = Counter(r for _, rs, _ in sink.received for r in rs)
        assert len(got) == _count(Notification, Notification.channel == "email")
        assert set(got.values()) == {1}
    finally:
        sink.stop()
