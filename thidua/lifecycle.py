"""The movement's lifecycle: every stage and every allowed step, in one place.

Read top to bottom, this is the process map. A step is taken only through `advance`, which
checks the step's guards and writes the audit event in the same transaction as the change of
stage. A one-period movement has no interim review and no Period 2: its final tally follows
the close of Period 1.
"""

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from models import AuditEvent, Meeting, Movement, Nomination, Period
from models.awards import Council
from models.base import utcnow
from thidua.auditchain import link
from thidua.errors import TransitionRefused


class Stage(StrEnum):
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
    DECIDED = "decided"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return STAGE_LABELS[self]


STAGE_LABELS = {
    Stage.DRAFT: "Dự thảo",
    Stage.LAUNCHED: "Đã phát động",
    Stage.REGISTRATION: "Đăng ký thi đua",
    Stage.PERIOD1_OPEN: "Đang diễn ra Đợt 1",
    Stage.PERIOD1_CLOSED: "Đã kết thúc Đợt 1",
    Stage.INTERIM_REVIEWED: "Đã sơ kết",
    Stage.PERIOD2_OPEN: "Đang diễn ra Đợt 2",
    Stage.PERIOD2_CLOSED: "Đã kết thúc Đợt 2",
    Stage.FINAL_TALLIED: "Đã tổng kết",
    Stage.PROPOSALS: "Đề nghị khen thưởng",
    Stage.APPRAISAL: "Hội đồng thẩm định, bỏ phiếu",
    Stage.DECIDED: "Đã quyết định khen thưởng",
    Stage.CLOSED: "Đã kết thúc phong trào",
}

# A guard returns None when the step may be taken, else the reason it may not (Vietnamese).
Guard = Callable[[Session, Movement], str | None]


def period_count(session: Session, movement: Movement) -> int:
    return session.exec(
        select(func.count()).select_from(Period).where(Period.movement_id == movement.id)
    ).one()


def _one_period(session: Session, movement: Movement) -> str | None:
    if period_count(session, movement) != 1:
        return "phong trào có hai đợt: phải sơ kết và qua Đợt 2 trước khi tổng kết"
    return None


def _two_periods(session: Session, movement: Movement) -> str | None:
    if period_count(session, movement) < 2:
        return "phong trào chỉ có một đợt, không có sơ kết và Đợt 2"
    return None


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
    source: Stage
    target: Stage
    label: str
    guards: tuple[Guard, ...] = ()


STEPS: tuple[Step, ...] = (
    Step("launch", Stage.DRAFT, Stage.LAUNCHED, "Phát động phong trào", (_has_periods,)),
    Step("open_registration", Stage.LAUNCHED, Stage.REGISTRATION, "Mở đăng ký thi đua"),
    Step("open_period_1", Stage.REGISTRATION, Stage.PERIOD1_OPEN, "Bắt đầu Đợt 1"),
    Step("close_period_1", Stage.PERIOD1_OPEN, Stage.PERIOD1_CLOSED, "Kết thúc Đợt 1"),
    Step("interim_review", Stage.PERIOD1_CLOSED, Stage.INTERIM_REVIEWED, "Sơ kết", (_two_periods,)),
    Step(
        "open_period_2",
        Stage.INTERIM_REVIEWED,
        Stage.PERIOD2_OPEN,
        "Bắt đầu Đợt 2",
        (_two_periods,),
    ),
    Step("close_period_2", Stage.PERIOD2_OPEN, Stage.PERIOD2_CLOSED, "Kết thúc Đợt 2"),
    Step("final_tally", Stage.PERIOD2_CLOSED, Stage.FINAL_TALLIED, "Tổng kết"),
    Step("final_tally", Stage.PERIOD1_CLOSED, Stage.FINAL_TALLIED, "Tổng kết", (_one_period,)),
    Step("open_proposals", Stage.FINAL_TALLIED, Stage.PROPOSALS, "Nhận hồ sơ đề nghị khen thưởng"),
    Step(
        "start_appraisal",
        Stage.PROPOSALS,
        Stage.APPRAISAL,
        "Hội đồng thẩm định",
        (_has_nominations,),
    ),
    Step("decide", Stage.APPRAISAL, Stage.DECIDED, "Quyết định khen thưởng", (_council_closed,)),
    Step("close", Stage.DECIDED, Stage.CLOSED, "Kết thúc phong trào", (_decisions_approved,)),
)

STEP_NAMES: tuple[str, ...] = tuple(dict.fromkeys(s.name for s in STEPS))
STEP_LABELS: dict[str, str] = {s.name: s.label for s in STEPS}


def steps_from(stage: Stage | str) -> list[Step]:
    return [s for s in STEPS if s.source == Stage(stage)]


def find_step(stage: Stage | str, name: str) -> Step | None:
    return next((s for s in steps_from(stage) if s.name == name), None)


def check(session: Session, movement: Movement, name: str) -> Step:
    """The step `name` from the movement's stage, or TransitionRefused saying why not."""
    if name not in STEP_NAMES:
        raise TransitionRefused(f"Không có bước '{name}'. Các bước: {', '.join(STEP_NAMES)}")
    stage = Stage(movement.stage)
    candidates = [s for s in steps_from(stage) if s.name == name]
    if not candidates:
        allowed = ", ".join(f"{s.name} ({s.label})" for s in steps_from(stage)) or "không có"
        raise TransitionRefused(
            f"Không thể '{STEP_LABELS[name]}' khi phong trào {movement.code} đang ở giai đoạn "
            f"'{stage.label}'. Bước tiếp theo được phép: {allowed}."
        )
    reasons = []
    for step in candidates:
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
    """Take step `name`: guard, change the stage and audit it, all in the caller's transaction.

    The stage is changed with a compare-and-set so that two workers taking the same step at
    once cannot both succeed."""
    step = check(session, movement, name)
    at = utcnow()
    result = session.exec(
        update(Movement)
        .where(col(Movement.id) == movement.id, col(Movement.stage) == step.source.value)
        .values(stage=step.target.value, stage_changed_at=at)
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
        action=f"stage.{step.name}",
        from_state=step.source.value,
        to_state=step.target.value,
        reason=reason,
    )
    session.add(event)
    session.flush()
    session.refresh(movement)
    return event


def stages_for(periods: int) -> list[Stage]:
    """The path a movement with this many periods walks, in order."""
    skip = (
        set()
        if periods >= 2
        else {Stage.INTERIM_REVIEWED, Stage.PERIOD2_OPEN, Stage.PERIOD2_CLOSED}
    )
    return [s for s in Stage if s not in skip]


# --- one-period movements ------------------------------------------------------------------
# A directive that names no periods runs one period, the year: it has no "Đợt 1", no sơ kết and
# no Đợt 2, and every label says so.

ONE_PERIOD_STAGE_LABELS = {
    Stage.PERIOD1_OPEN: "Đang thi đua",
    Stage.PERIOD1_CLOSED: "Đã hết thời gian thi đua",
}
ONE_PERIOD_STEP_LABELS = {
    "open_period_1": "Bắt đầu thi đua",
    "close_period_1": "Kết thúc thời gian thi đua",
}
TWO_PERIOD_STEPS = frozenset({"interim_review", "open_period_2", "close_period_2"})


def stage_label(stage: Stage | str, periods: int) -> str:
    stage = Stage(stage)
    return ONE_PERIOD_STAGE_LABELS.get(stage, stage.label) if periods == 1 else stage.label


def step_label(name: str, periods: int) -> str:
    label = STEP_LABELS[name]
    return ONE_PERIOD_STEP_LABELS.get(name, label) if periods == 1 else label


def movement_stage_label(session: Session, movement: Movement) -> str:
    return stage_label(movement.stage, period_count(session, movement))


def offered_steps(session: Session, movement: Movement) -> list[tuple[str, str]]:
    """(name, label) of the steps this movement may take next: a one-period movement is not
    offered sơ kết or Đợt 2, a two-period one not the tally straight after Đợt 1."""
    n = period_count(session, movement)
    out: dict[str, str] = {}
    for step in steps_from(movement.stage):
        if n == 1 and step.name in TWO_PERIOD_STEPS:
            continue
        if n >= 2 and _one_period in step.guards:
            continue
        out.setdefault(step.name, step_label(step.name, n))
    return list(out.items())


def period_phrase(session: Session, movement: Movement, number: int) -> str:
    """How a period is named in a sentence: "Đợt 1", or "năm 2022" for a one-period movement."""
    if period_count(session, movement) == 1:
        return f"năm {movement.year}"
    name = session.exec(
        select(Period.name).where(Period.movement_id == movement.id, Period.number == number)
    ).first()
    return name or f"Đợt {number}"


def require_stage(
    session: Session, movement: Movement, allowed: set[Stage] | frozenset[Stage], what: str
) -> None:
    """TransitionRefused naming the stage the movement is in and those in which `what` (a step
    as a user says it: "nộp báo cáo Đợt 1") is taken, unless it is in one of them."""
    if Stage(movement.stage) not in allowed:
        n = period_count(session, movement)  # a one-period movement names no "Đợt 1"
        names = ", ".join(stage_label(s, n) for s in sorted(allowed, key=list(Stage).index))
        raise TransitionRefused(
            f"Không thể {what} lúc này: phong trào đang ở giai đoạn "
            f"'{stage_label(movement.stage, n)}' "
            f"(chỉ nhận trong giai đoạn: {names})."
        )


def replay(events: list[AuditEvent]) -> Stage:
    """The stage a movement is in according to its audit trail alone."""
    stage = Stage.DRAFT
    for e in sorted(events, key=lambda e: e.id or 0):
        if not e.action.startswith("stage."):
            continue
        if e.from_state != stage.value or find_step(stage, e.action.removeprefix("stage.")) is None:
            raise ValueError(f"audit trail broken at event {e.id}: {e.from_state} != {stage}")
        if e.to_state is None:
            raise ValueError(f"audit trail broken at event {e.id}: no stage reached")
        stage = Stage(e.to_state)
    return stage


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
