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
from thidua.lifecycle import (
    BY_NAME,
    PROCESS,
    STEP_NAMES,
    State,
    Turn,
    advance,
    replay,
    stage_defs_for,
    states_for,
    turn,
)

TWO_PERIOD_PATH = [
    "launch", "open_registration", "open_period_1", "close_period_1", "interim_review",
    "open_period_2", "close_period_2", "final_tally", "award_proposal", "appraisal",
    "decision", "close",
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
    assert m.state == State.CLOSED
    events = _audit(session, m)
    assert [e.action for e in events] == [f"step.{s}" for s in path]
    assert all(e.actor == "admin" and e.at is not None for e in events)
    assert replay(events) == State.CLOSED
    assert [State(e.to_state) for e in events] == states_for(periods)[1:]


def test_out_of_order_step_is_refused_with_reason_and_nothing_changes(session: Session) -> None:
    m = make_movement(session)
    session.commit()
    with pytest.raises(TransitionRefused) as e:
        advance(session, m, "final_tally", actor="admin")
    assert "Tổng kết" in str(e.value) and "Dự thảo" in str(e.value)
    assert "launch" in str(e.value)  # says what may be done instead
    session.rollback()
    assert session.get(Movement, m.id).state == "draft"
    assert _audit(session, m) == []


def test_one_period_movement_has_no_interim_review(session: Session) -> None:
    m = make_movement(session, periods=1, state="period1_closed")
    with pytest.raises(TransitionRefused, match="chỉ có một đợt"):
        advance(session, m, "interim_review", actor="admin")


def test_two_period_movement_cannot_tally_after_period_1(session: Session) -> None:
    m = make_movement(session, periods=2, state="period1_closed")
    with pytest.raises(TransitionRefused, match="hai đợt"):
        advance(session, m, "final_tally", actor="admin")


def test_guards_name_what_is_missing(session: Session) -> None:
    m = make_movement(session, state="proposals")
    with pytest.raises(TransitionRefused, match="chưa có hồ sơ"):
        advance(session, m, "appraisal", actor="admin")
    m2 = make_movement(session, state="appraisal")
    with pytest.raises(TransitionRefused, match="chưa họp"):
        advance(session, m2, "decision", actor="admin")


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
        path = states_for(periods)
        for step in steps:
            try:
                advance(session, m, step, actor="prop")
                session.commit()
            except TransitionRefused:
                session.rollback()
            stored = State(session.get(Movement, m.id).state)
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
        assert replay(list(events)) == State.LAUNCHED


def test_each_stage_is_named_after_its_first_step() -> None:
    """One name per concept: the stage an admin runs and the step it takes are one word."""
    for d in PROCESS:
        assert d.step_names[0] == d.name.replace("-", "_"), d.name
    assert [d.name for d in PROCESS] == list(BY_NAME)


@pytest.mark.parametrize("periods", [1, 2])
def test_walking_the_path_each_stage_comes_due_once_then_is_done(periods: int) -> None:
    """turn() is the one computation of stage order: in each state of the path, the stages
    whose first step leaves it are due, those before are done, those after are early."""
    path = states_for(periods)
    stages = stage_defs_for(periods)
    seen_due: list[str] = []
    for state in path:
        turns = {d.name: turn(d, state, periods) for d in stages}
        due = [n for n, t in turns.items() if t is Turn.DUE]
        leaving = [d.name for d in stages if any(s.source == state for s in d.steps_for(periods))]
        assert set(leaving) <= set(due), state
        seen_due += [n for n in leaving if n not in seen_due]
        order = [d.name for d in stages]
        for name in due:  # everything before a due stage is done, everything after early
            i = order.index(name)
            assert all(turns[x] is Turn.DONE for x in order[:i] if turns[x] is not Turn.DUE)
    assert seen_due == [d.name for d in stages]
    assert all(turn(d, State.CLOSED, periods) is Turn.DONE for d in stages)


def test_a_stage_a_movement_does_not_have_has_no_turn() -> None:
    interim = BY_NAME["interim-review"]
    assert turn(interim, State.PERIOD1_CLOSED, 1) is None
    assert turn(interim, State.PERIOD1_CLOSED, 2) is Turn.DUE
    tally = BY_NAME["final-tally"]
    assert turn(tally, State.PERIOD1_CLOSED, 2) is Turn.EARLY  # sơ kết and Đợt 2 first
    assert turn(tally, State.PERIOD1_CLOSED, 1) is Turn.DUE
