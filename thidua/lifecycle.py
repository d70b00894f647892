"""The process map: a movement's states, the steps between them and the stages that take the
steps, in one table (PROCESS). Read top to bottom, it is the process. The vocabulary (one word
per concept, docs/PROCESS.md):

- a **state** is where a movement is (`State`, stored in `Movement.state`): draft … closed;
- a **step** is one move between two states (`Step`), taken only through `advance`, which
  checks its guards and writes its audit event ("step.NAME") in the caller's transaction;
- a **stage** is what an admin, the daily sweep or a completed human step runs (`StageDef`): a
  Prefect flow that does the stage's work and, at its end, takes its steps. `thidua stage run
  MOVEMENT STAGE` names it, each deployment is named after it. A stage with one step shares its
  name ("final-tally" takes "final_tally").

A one-period movement (a directive that names no periods) has no sơ kết and no Đợt 2: the steps
marked `periods=2` are not on its path, its tally follows the close of its one period.
"""

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Protocol

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from models import AuditEvent, Meeting, Movement, Nomination, Period
from models.awards import Council
from models.base import utcnow
from thidua.auditchain import link
from thidua.errors import ThiduaError, TransitionRefused


class State(StrEnum):
    DRAFT = "draft"
    LAUNCHED = "launched"
    REGISTRATION = "registration"
    PERIOD1_OPEN = "period1_open"
    PERIOD1_CLOSED = "period1_closed"
    INTERIM_REVIEWED = "interim_reviewed"
    PERIOD2_OPEN = "period2_open"
    PERIOD2_CLOSED = "period2_closed"
    FINAL_TALLIED = "final_tallied"
    PROPOSALS = "proposals"
    APPRAISAL = "appraisal"
    APPROVAL = "approval"  # the decisions are drafted; the head approves them
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return STATE_LABELS[self]


STATE_LABELS = {
    State.DRAFT: "Dự thảo",
    State.LAUNCHED: "Đã phát động",
    State.REGISTRATION: "Đăng ký thi đua",
    State.PERIOD1_OPEN: "Đang diễn ra Đợt 1",
    State.PERIOD1_CLOSED: "Đã kết thúc Đợt 1",
    State.INTERIM_REVIEWED: "Đã sơ kết",
    State.PERIOD2_OPEN: "Đang diễn ra Đợt 2",
    State.PERIOD2_CLOSED: "Đã kết thúc Đợt 2",
    State.FINAL_TALLIED: "Đã tổng kết",
    State.PROPOSALS: "Đề nghị khen thưởng",
    State.APPRAISAL: "Hội đồng thẩm định, bỏ phiếu",
    State.APPROVAL: "Chờ phê duyệt quyết định khen thưởng",
    State.CLOSED: "Đã kết thúc phong trào",
}

# A guard returns None when the step may be taken, else the reason it may not (Vietnamese).
Guard = Callable[[Session, Movement], str | None]


def period_count(session: Session, movement: Movement) -> int:
    return session.exec(
        select(func.count()).select_from(Period).where(Period.movement_id == movement.id)
    ).one()


def _has_periods(session: Session, movement: Movement) -> str | None:
    if period_count(session, movement) == 0:
        return "phong trào chưa có đợt thi đua nào"
    return None


def _has_nominations(session: Session, movement: Movement) -> str | None:
    n = session.exec(
        select(func.count())
        .select_from(Nomination)
        .where(Nomination.movement_id == movement.id, Nomination.status == "submitted")
    ).one()
    return None if n else "chưa có hồ sơ đề nghị khen thưởng nào được gửi"


def _council_closed(session: Session, movement: Movement) -> str | None:
    meetings = session.exec(
        select(Meeting.status)
        .join(Council, col(Council.id) == col(Meeting.council_id))
        .where(Council.movement_id == movement.id)
    ).all()
    if not meetings:
        return "Hội đồng Thi đua - Khen thưởng chưa họp xét"
    if "open" in meetings:
        return "phiên họp của Hội đồng chưa kết thúc bỏ phiếu"
    return None


def _decisions_approved(session: Session, movement: Movement) -> str | None:
    from models import Decision

    pending = session.exec(
        select(func.count())
        .select_from(Decision)
        .where(Decision.movement_id == movement.id, col(Decision.approved_at).is_(None))
    ).one()
    return f"còn {pending} quyết định, tờ trình chưa được phê duyệt" if pending else None


@dataclass(frozen=True)
class Step:
    name: str
    source: State
    target: State
    label: str
    guards: tuple[Guard, ...] = ()
    periods: int | None = None  # 1 or 2: only on the path of a movement with that many periods

    def on_path(self, periods: int) -> bool:
        if self.periods is None:
            return True
        return periods == 1 if self.periods == 1 else periods >= 2


# Why a step is not on a movement's path, by the step's `periods`.
OFF_PATH = {
    1: "phong trào có hai đợt: phải sơ kết và qua Đợt 2 trước khi tổng kết",
    2: "phong trào chỉ có một đợt, không có sơ kết và Đợt 2",
}


@dataclass(frozen=True)
class StageDef:
    name: str  # what an admin types (thidua stage run MOVEMENT NAME); its deployment's name
    flow: str  # the Prefect flow's name (= its deployment's flow part)
    entrypoint: str  # module:function
    # Taken in this order at the stage's end. Rows sharing a name are one step's alternatives
    # from different states (the tally follows Đợt 2, or Đợt 1 for a one-period movement).
    steps: tuple[Step, ...]
    params: dict = field(default_factory=dict)

    @property
    def label(self) -> str:
        return self.steps[0].label

    @property
    def step_names(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(s.name for s in self.steps))

    @property
    def deployment(self) -> str:
        """`flow/deployment`: each deployment is named after the stage an admin types."""
        return f"{self.flow}/{self.name}"

    def steps_for(self, periods: int) -> tuple[Step, ...]:
        return tuple(s for s in self.steps if s.on_path(periods))


S = State
# fmt: off
PROCESS: tuple[StageDef, ...] = (
    # stage, flow, entrypoint, (step, from state, to state, label, guards, periods), parameters
    StageDef("launch", "launch", "flows/launch.py:launch", (
        Step("launch", S.DRAFT, S.LAUNCHED, "Phát động phong trào", (_has_periods,)),
        Step("open_registration", S.LAUNCHED, S.REGISTRATION, "Mở đăng ký thi đua"),
    )),
    StageDef("open-period-1", "open-period", "flows/period.py:open_period", (
        Step("open_period_1", S.REGISTRATION, S.PERIOD1_OPEN, "Bắt đầu Đợt 1"),
    ), {"number": 1}),
    StageDef("close-period-1", "close-period", "flows/period.py:close_period", (
        Step("close_period_1", S.PERIOD1_OPEN, S.PERIOD1_CLOSED, "Kết thúc Đợt 1"),
    ), {"number": 1}),
    StageDef("interim-review", "interim-review", "flows/review.py:interim_review", (
        Step("interim_review", S.PERIOD1_CLOSED, S.INTERIM_REVIEWED, "Sơ kết", periods=2),
    )),
    StageDef("open-period-2", "open-period", "flows/period.py:open_period", (
        Step("open_period_2", S.INTERIM_REVIEWED, S.PERIOD2_OPEN, "Bắt đầu Đợt 2", periods=2),
    ), {"number": 2}),
    StageDef("close-period-2", "close-period", "flows/period.py:close_period", (
        Step("close_period_2", S.PERIOD2_OPEN, S.PERIOD2_CLOSED, "Kết thúc Đợt 2", periods=2),
    ), {"number": 2}),
    StageDef("final-tally", "final-tally", "flows/tally.py:final_tally", (
        Step("final_tally", S.PERIOD2_CLOSED, S.FINAL_TALLIED, "Tổng kết", periods=2),
        Step("final_tally", S.PERIOD1_CLOSED, S.FINAL_TALLIED, "Tổng kết", periods=1),
    )),
    StageDef("award-proposal", "award-proposal", "flows/awards.py:award_proposal", (
        Step("award_proposal", S.FINAL_TALLIED, S.PROPOSALS, "Nhận hồ sơ đề nghị khen thưởng"),
    )),
    StageDef("appraisal", "appraisal", "flows/awards.py:appraisal", (
        Step("appraisal", S.PROPOSALS, S.APPRAISAL, "Thẩm định và bỏ phiếu", (_has_nominations,)),
    )),
    StageDef("decision", "decision", "flows/awards.py:decision", (
        Step("decision", S.APPRAISAL, S.APPROVAL, "Quyết định khen thưởng", (_council_closed,)),
    )),
    StageDef("close", "close-movement", "flows/awards.py:close_movement", (
        Step("close", S.APPROVAL, S.CLOSED, "Kết thúc phong trào", (_decisions_approved,)),
    )),
)
# fmt: on

STEPS: tuple[Step, ...] = tuple(step for stage in PROCESS for step in stage.steps)
STEP_NAMES: tuple[str, ...] = tuple(dict.fromkeys(s.name for s in STEPS))
STEP_LABELS: dict[str, str] = {s.name: s.label for s in STEPS}
BY_NAME: dict[str, StageDef] = {s.name: s for s in PROCESS}


def stage_def(name: str) -> StageDef:
    if name not in BY_NAME:
        raise ThiduaError(f"Không có giai đoạn '{name}'. Các giai đoạn: {', '.join(BY_NAME)}.")
    return BY_NAME[name]


def for_step(step: str) -> StageDef:
    """The stage that takes step `step`."""
    return next(s for s in PROCESS if step in s.step_names)


def steps_from(state: State | str) -> list[Step]:
    return [s for s in STEPS if s.source == State(state)]


def find_step(state: State | str, name: str) -> Step | None:
    return next((s for s in steps_from(state) if s.name == name), None)


def states_for(periods: int) -> list[State]:
    """The path of states a movement with this many periods walks, in order."""
    reached = {s.target for s in STEPS if s.on_path(periods)}
    return [State.DRAFT, *(s for s in State if s in reached)]


# --- where a stage stands for a movement: the one computation of stage order ----------------


class Turn(StrEnum):
    EARLY = "early"  # the movement has not reached the state its first step leaves
    DUE = "due"  # its first step may be next (or it is under way)
    DONE = "done"  # the movement is at or past the state its last step reaches


def turn(stage: StageDef, state: State | str, periods: int) -> Turn | None:
    """Where `stage` stands for a movement in `state` with this many periods; None when the
    stage is not on that movement's path (sơ kết for a one-period movement)."""
    steps = stage.steps_for(periods)
    if not steps:
        return None
    path = states_for(periods)
    at = path.index(State(state)) if State(state) in path else -1
    names = [s.name for s in steps]
    sources = [path.index(s.source) for s in steps if s.name == names[0] and s.source in path]
    targets = [path.index(s.target) for s in steps if s.name == names[-1] and s.target in path]
    if targets and at >= min(targets):
        return Turn.DONE
    if sources and at < min(sources):
        return Turn.EARLY
    return Turn.DUE


# --- taking a step ---------------------------------------------------------------------------


def check(session: Session, movement: Movement, name: str) -> Step:
    """The step `name` from the movement's state, or TransitionRefused saying why not."""
    if name not in STEP_NAMES:
        raise TransitionRefused(f"Không có bước '{name}'. Các bước: {', '.join(STEP_NAMES)}")
    state = State(movement.state)
    candidates = [s for s in steps_from(state) if s.name == name]
    if not candidates:
        allowed = ", ".join(f"{s.name} ({s.label})" for s in steps_from(state)) or "không có"
        raise TransitionRefused(
            f"Không thể '{STEP_LABELS[name]}' khi phong trào {movement.code} đang ở giai đoạn "
            f"'{state.label}'. Bước tiếp theo được phép: {allowed}."
        )
    periods = period_count(session, movement)
    reasons = [OFF_PATH[s.periods] for s in candidates if not s.on_path(periods) and s.periods]
    for step in (s for s in candidates if s.on_path(periods)):
        failed = [r for g in step.guards if (r := g(session, movement))]
        if not failed:
            return step
        reasons.extend(failed)
    raise TransitionRefused(
        f"Không thể '{STEP_LABELS[name]}' phong trào {movement.code}: {'; '.join(reasons)}."
    )


def advance(
    session: Session, movement: Movement, name: str, *, actor: str, reason: str | None = None
) -> AuditEvent:
    """Take step `name`: guard, change the state and audit it, all in the caller's transaction.

    The state is changed with a compare-and-set so that two workers taking the same step at
    once cannot both succeed."""
    step = check(session, movement, name)
    at = utcnow()
    result = session.exec(
        update(Movement)
        .where(col(Movement.id) == movement.id, col(Movement.state) == step.source.value)
        .values(state=step.target.value, state_changed_at=at)
    )
    if result.rowcount != 1:
        raise TransitionRefused(
            f"Phong trào {movement.code} vừa được chuyển giai đoạn bởi người khác; hãy thử lại."
        )
    event = AuditEvent(
        at=at,
        actor=actor,
        movement_id=movement.id,
        entity="movement",
        entity_id=str(movement.id),
        action=f"step.{step.name}",
        from_state=step.source.value,
        to_state=step.target.value,
        reason=reason,
    )
    session.add(event)
    session.flush()
    session.refresh(movement)
    return event


def replay(events: list[AuditEvent]) -> State:
    """The state a movement is in according to its audit trail alone."""
    state = State.DRAFT
    for e in sorted(events, key=lambda e: e.id or 0):
        if not e.action.startswith("step."):
            continue
        if e.from_state != state.value or find_step(state, e.action.removeprefix("step.")) is None:
            raise ValueError(f"audit trail broken at event {e.id}: {e.from_state} != {state}")
        if e.to_state is None:
            raise ValueError(f"audit trail broken at event {e.id}: no state reached")
        state = State(e.to_state)
    return state


# --- starting a stage: the runtime's business (flows/start.py), handed to the domain ----------


@dataclass
class StageRun:
    """What starting a stage answered."""

    stage: str
    status: str  # done | pending | already_done | refused | not_confirmed | scheduled | failed
    message: str
    via: str  # deployment | in-process
    flow_run_id: str | None = None
    counts: dict[str, int] = field(default_factory=dict)


class StartStage(Protocol):
    """Starts stage `stage` of `movement`: passed in by whoever calls a domain function that
    may start one (the CLI and the sweep: flows.start.start_stage; the portal: in the
    background; the demo: in its own process). Returns the run, or None when it runs on."""

    def __call__(self, movement: str, stage: str, *, actor: str) -> StageRun | None: ...


# --- one-period movements --------------------------------------------------------------------
# A directive that names no periods runs one period, the year: it has no "Đợt 1", no sơ kết and
# no Đợt 2, and every label says so.

ONE_PERIOD_STATE_LABELS = {
    State.PERIOD1_OPEN: "Đang thi đua",
    State.PERIOD1_CLOSED: "Đã hết thời gian thi đua",
}
ONE_PERIOD_STEP_LABELS = {
    "open_period_1": "Bắt đầu thi đua",
    "close_period_1": "Kết thúc thời gian thi đua",
}


def state_label(state: State | str, periods: int) -> str:
    state = State(state)
    return ONE_PERIOD_STATE_LABELS.get(state, state.label) if periods == 1 else state.label


def step_label(name: str, periods: int) -> str:
    label = STEP_LABELS[name]
    return ONE_PERIOD_STEP_LABELS.get(name, label) if periods == 1 else label


def movement_state_label(session: Session, movement: Movement) -> str:
    return state_label(movement.state, period_count(session, movement))


def stage_defs_for(periods: int) -> list[StageDef]:
    """The stages a movement with this many periods has, labelled for it: one period has no
    sơ kết and no Đợt 2, and its period is the year's ("Bắt đầu thi đua")."""
    out = []
    for d in PROCESS:
        steps = d.steps_for(periods)
        if steps:
            first = replace(steps[0], label=step_label(steps[0].name, periods))
            out.append(replace(d, steps=(first, *steps[1:])))
    return out


def offered_stages(session: Session, movement: Movement) -> list[StageDef]:
    """The stages this movement may run next, labelled for it (a one-period movement is not
    offered sơ kết or Đợt 2, a two-period one not the tally straight after Đợt 1)."""
    n = period_count(session, movement)
    return [d for d in stage_defs_for(n) if turn(d, movement.state, n) is Turn.DUE]


def period_phrase(session: Session, movement: Movement, number: int) -> str:
    """How a period is named in a sentence: "Đợt 1", or "năm 2022" for a one-period movement."""
    if period_count(session, movement) == 1:
        return f"năm {movement.year}"
    name = session.exec(
        select(Period.name).where(Period.movement_id == movement.id, Period.number == number)
    ).first()
    return name or f"Đợt {number}"


def require_state(
    session: Session, movement: Movement, allowed: set[State] | frozenset[State], what: str
) -> None:
    """TransitionRefused naming the state the movement is in and those in which `what` (a step
    as a user says it: "nộp báo cáo Đợt 1") is taken, unless it is in one of them."""
    if State(movement.state) not in allowed:
        n = period_count(session, movement)  # a one-period movement names no "Đợt 1"
        names = ", ".join(state_label(s, n) for s in sorted(allowed, key=list(State).index))
        raise TransitionRefused(
            f"Không thể {what} lúc này: phong trào đang ở giai đoạn "
            f"'{state_label(movement.state, n)}' (chỉ nhận trong giai đoạn: {names})."
        )


def audit(
    session: Session,
    *,
    actor: str,
    entity: str,
    action: str,
    movement_id: int | None = None,
    entity_id: object = None,
    from_state: str | None = None,
    to_state: str | None = None,
    reason: str | None = None,
    data: dict | None = None,
) -> AuditEvent:
    """Record a human decision or a system action, in the caller's transaction."""
    event = AuditEvent(
        actor=actor,
        movement_id=movement_id,
        entity=entity,
        entity_id=None if entity_id is None else str(entity_id),
        action=action,
        from_state=from_state,
        to_state=to_state,
        reason=reason,
        data=data or {},
    )
    link(session, event)  # the hash chain: see thidua.auditchain
    # A step changed something iff it audited it: thidua.steps reads this count to say "done
    # before, nothing changed" when a step is repeated.
    session.info["audited"] = session.info.get("audited", 0) + 1
    return event
