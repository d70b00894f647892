"""The state machine: guarded steps, audit in the same transaction, replay, concurrency."""

import threading

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session, select

from models import AuditEvent, Council, Meeting, Movement, Nomination
from models.db import engine_for
from tests.factories import make_movement, make_units
from thidua.errors import TransitionRefused
from thidua.lifecycle import STEP_NAMES, Stage, advance, replay, stages_for

TWO_PERIOD_PATH = [
    "launch", "open_registration", "open_period_1", "close_period_1", "interim_review",
    "open_period_2", "close_period_2", "final_tally", "open_proposals", "start_appraisal",
    "decide", "close",
]  # fmt: skip
ONE_PERIOD_PATH = [s for s in TWO_PERIOD_PATH if s not in {"interim_review", "open_period_2",
                                                           "close_period_2"}]  # fmt: skip


def _satisfy_award_guards(session: Session, movement: Movement, units: list) -> None:
    """A submitted nomination and a closed council meeting, so the award steps may be taken."""
    session.add(
        Nomination(
            movement_id=movement.id, unit_id=units[0].id, subject_kind="collective",
            collective_unit_id=units[0].id, subject_key=f"unit:{units[0].id}", title="TTLDTT",
            submitted_by="test",
        )
    )  # fmt: skip
    council = Council(movement_id=movement.id, name="Hội đồng TĐKT")
    session.add(council)
    session.flush()
    session.add(Meeting(council_id=council.id, status="closed"))
    session.flush()


def _audit(session: Session, movement: Movement) -> list[AuditEvent]:
    return list(session.exec(select(AuditEvent).where(AuditEvent.movement_id == movement.id)))


@pytest.mark.parametrize(("periods", "path"), [(2, TWO_PERIOD_PATH), (1, ONE_PERIOD_PATH)])
def test_whole_path_is_walked_and_audited(session: Session, periods: int, path: list[str]) -> None:
    _, units = make_units(session)
    m = make_movement(session, periods=periods, units=units)
    _satisfy_award_guards(session, m, units)
    for step in path:
        advance(session, m, step, actor="admin", reason=f"test {step}")
    session.commit()
    assert m.stage == Stage.CLOSED
    events = _audit(session, m)
    assert [e.action for e in events] == [f"stage.{s}" for s in path]
    assert all(e.actor == "admin" and e.at is not None for e in events)
    assert replay(events) == Stage.CLOSED
    assert [Stage(e.to_state) for e in events] == stages_for(periods)[1:]


def test_out_of_order_step_is_refused_with_reason_and_nothing_changes(session: Session) -> None:
    m = make_movement(session)
    session.commit()
    with pytest.raises(TransitionRefused) as e:
        advance(session, m, "final_tally", actor="admin")
    assert "Tổng kết" in str(e.value) and "Dự thảo" in str(e.value)
    assert "launch" in str(e.value)  # says what may be done instead
    session.rollback()
    assert session.get(Movement, m.id).stage == "draft"
    assert _audit(session, m) == []


def test_one_period_movement_has_no_interim_review(session: Session) -> None:
    m = make_movement(session, periods=1, stage="period1_closed")
    with pytest.raises(TransitionRefused, match="chỉ có một đợt"):
        advance(session, m, "interim_review", actor="admin")


def test_two_period_movement_cannot_tally_after_period_1(session: Session) -> None:
    m = make_movement(session, periods=2, stage="period1_closed")
    with pytest.raises(TransitionRefused, match="hai đợt"):
        advance(session, m, "final_tally", actor="admin")


def test_guards_name_what_is_missing(session: Session) -> None:
    m = make_movement(session, stage="proposals")
    with pytest.raises(TransitionRefused, match="chưa có hồ sơ"):
        advance(session, m, "start_appraisal", actor="admin")
    m2 = make_movement(session, stage="appraisal")
    with pytest.raises(TransitionRefused, match="chưa họp"):
        advance(session, m2, "decide", actor="admin")


def test_unknown_step_lists_the_steps(session: Session) -> None:
    m = make_movement(session)
    with pytest.raises(TransitionRefused, match="open_registration"):
        advance(session, m, "tally", actor="admin")


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(periods=st.sampled_from([1, 2]), steps=st.lists(st.sampled_from(STEP_NAMES), max_size=30))
def test_random_step_sequences_keep_stage_reachable_and_replayable(
    sqlite_url: str, periods: int, steps: list[str]
) -> None:
    with Session(engine_for(sqlite_url), expire_on_commit=False) as session:
        _, units = make_units(session)
        m = make_movement(session, periods=periods, units=units)
        if steps and steps[0] != "launch":
            _satisfy_award_guards(session, m, units)
        session.commit()
        path = stages_for(periods)
        for step in steps:
            try:
                advance(session, m, step, actor="prop")
                session.commit()
            except TransitionRefused:
                session.rollback()
            stored = Stage(session.get(Movement, m.id).stage)
            assert stored in path
            assert replay(_audit(session, m)) == stored


def test_concurrent_same_step_succeeds_once(pg_url: str) -> None:
    """Two workers launching the same movement at once: one wins, the other is refused."""
    engine = engine_for(pg_url)
    with Session(engine) as s:
        _, units = make_units(s)
        m = make_movement(s, units=units)
        s.commit()
        mid = m.id
    barrier = threading.Barrier(8)
    outcomes: list[str] = []

    def worker() -> None:
        with Session(engine) as s:
            movement = s.get(Movement, mid)
            barrier.wait()
            try:
                advance(s, movement, "launch", actor="w")
                s.commit()
                outcomes.append("ok")
            except TransitionRefused:
                s.rollback()
                outcomes.append("refused")

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("ok") == 1
    with Session(engine) as s:
        events = s.exec(select(AuditEvent).where(AuditEvent.movement_id == mid)).all()
        assert len(events) == 1
        assert replay(list(events)) == Stage.LAUNCHED
