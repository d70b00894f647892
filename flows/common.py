"""What every stage flow shares: the guard at the start, the step at the end, batches, the
artifact that says what the run did. Business rules live in thidua/, not here."""

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from prefect import get_run_logger
from prefect.artifacts import create_markdown_artifact
from prefect.states import Completed, Failed, State

from models import Movement
from models.base import saved_id
from models.db import session_scope
from thidua.errors import ThiduaError, TransitionRefused
from thidua.lifecycle import (
    StageDef,
    Turn,
    advance,
    check,
    movement_state_label,
    period_count,
    stage_def,
    turn,
)
from thidua.movements import find_movement
from thidua.obligations import outstanding
from thidua.vn import short_date

T = TypeVar("T")

# Fault injection for the crash-recovery test: raise after this many batches of a stage.
CRASH_AFTER_BATCHES: dict[str, int] = {}

# Called after each batch with (what, done, total): the command line draws its progress bars
# from it when the stage runs in its own process. `what` says what is counted, in Vietnamese.
Progress = Callable[[str, int, int], None]
PROGRESS: list[Progress] = []


@dataclass
class Outcome:
    """What a stage run did, for its artifact, its return value and the CLI."""

    movement: str
    stage: str
    status: str = "done"  # done | pending | already_done | refused | not_confirmed
    message: str = ""
    counts: dict[str, int] = field(default_factory=dict)
    lines: list[str] = field(default_factory=list)  # markdown lines: documents, failures…
    events: set[str] = field(default_factory=set)  # of the messages this run sent

    def as_dict(self) -> dict:
        return {
            "movement": self.movement,
            "stage": self.stage,
            "status": self.status,
            "message": self.message,
            "counts": self.counts,
        }


def chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def batches(stage: str, items: Sequence[T], size: int, what: str = "mục") -> Iterable[Sequence[T]]:
    """Chunks of work; the crash-injection hook counts them, the progress hooks hear of each."""
    limit = CRASH_AFTER_BATCHES.get(stage)
    done = 0
    for n, chunk in enumerate(chunks(items, size)):
        if limit is not None and n >= limit:
            raise RuntimeError(f"injected crash in {stage} after {n} batches")
        yield chunk
        done += len(chunk)
        for hook in PROGRESS:
            hook(what, done, len(items))


def begin(code: str, stage: str, params: dict | None = None) -> tuple[Outcome, Movement | None]:
    """Check the stage may run now. Returns (outcome, movement): movement is None when the run
    must stop (already done, or refused), with the outcome saying why."""
    sdef = _resolve(stage, params)
    outcome = Outcome(movement=code, stage=sdef.name)
    with session_scope() as session:
        movement = find_movement(session, code)
        if _already_done(session, movement, sdef):
            outcome.status = "already_done"
            state = movement_state_label(session, movement)
            outcome.message = (
                f"Giai đoạn '{sdef.label}' đã hoàn thành trước đó "
                f"(phong trào đang ở '{state}'): không làm gì thêm."
            )
            return outcome, None
        try:
            check(session, movement, sdef.step_names[0])
        except ThiduaError as e:
            outcome.status = "refused"
            outcome.message = str(e)
            return outcome, None
        return outcome, movement


def finish(
    code: str, stage: str, outcome: Outcome, *, actor: str, params: dict | None = None
) -> None:
    """Take the stage's lifecycle steps, all in one transaction with their audit events. A
    run that another run of the same stage beat to it says so (nothing is taken twice)."""
    sdef = _resolve(stage, params)
    try:
        _finish(code, sdef, outcome, actor)
    except TransitionRefused as e:
        with session_scope() as session:
            movement = find_movement(session, code)
            done = _already_done(session, movement, sdef)
        outcome.status = "already_done" if done else "refused"
        outcome.message = (
            f"Một lượt chạy khác của giai đoạn '{sdef.label}' đã hoàn thành trước lượt này: "
            "không làm gì thêm."
            if done
            else str(e)
        )


def _finish(code: str, sdef: StageDef, outcome: Outcome, actor: str) -> None:
    with session_scope() as session:
        movement = find_movement(session, code)
        for step in sdef.step_names:
            advance(session, movement, step, actor=actor, reason=f"flow {sdef.flow}")
        outcome.lines.append(f"Giai đoạn mới: **{movement_state_label(session, movement)}**")
        owed = outstanding(session, movement)
        units = sorted({(o.unit_code, o.unit_name) for o in owed})
        outcome.counts["đơn vị còn nợ"] = len(units)
        outcome.lines += [
            f"Còn nợ — {name} [{code}]: "
            + "; ".join(
                f"{o.label} (hạn {short_date(o.due_on)})" for o in owed if o.unit_code == code
            )
            for code, name in units[:30]
        ]


def conclude(outcome: Outcome) -> State:
    """Log, leave the artifact, and end the run: a refusal is a failed run with its reason;
    a stage whose messages are not all delivered says `pending`, how many wait and why."""
    logger = get_run_logger()
    if outcome.status == "done" and outcome.events:
        _pending(outcome)
    publish(outcome)
    if outcome.status == "refused":
        logger.error(outcome.message)
        return Failed(message=outcome.message, data=outcome.as_dict())
    logger.info("%s: %s %s", outcome.stage, outcome.status, outcome.counts)
    # The message is all a caller on another machine sees (the data stays with the worker).
    counts = "; ".join(f"{k}: {v}" for k, v in outcome.counts.items())
    return Completed(message=outcome.message or counts or outcome.status, data=outcome.as_dict())


def publish(outcome: Outcome) -> None:
    title = {
        "done": "Đã thực hiện",
        "pending": "Đã thực hiện, còn thông báo chờ gửi",
        "already_done": "Đã hoàn thành trước đó",
        "refused": "Bị từ chối",
        "not_confirmed": "Chưa được xác nhận",
    }[outcome.status]
    md = [f"# {outcome.stage} — {outcome.movement}: {title}", ""]
    if outcome.message:
        md += [outcome.message, ""]
    if outcome.counts:
        md += ["| Hạng mục | Số lượng |", "|---|---:|"]
        md += [f"| {k} | {v} |" for k, v in outcome.counts.items()]
        md.append("")
    md += [f"- {line}" for line in outcome.lines]
    create_markdown_artifact(
        key=f"{_slug(outcome.movement)}-{outcome.stage}",
        markdown="\n".join(md),
        description=f"{outcome.stage} {outcome.movement}",
    )


def _resolve(stage: str, params: dict | None) -> StageDef:
    if params and "number" in params:
        return stage_def(f"{stage}-{params['number']}")
    return stage_def(stage)


def _already_done(session, movement: Movement, sdef: StageDef) -> bool:
    """True when the movement is already past the stage's last step."""
    return turn(sdef, movement.state, period_count(session, movement)) is Turn.DONE


def _slug(code: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in code.lower())


NOTICE_BATCH = 500  # messages per task run: one SMTP connection and one ledger round each


def send(outcome: Outcome, stage: str, messages: list) -> None:
    """Send messages in batches, adding what happened to the outcome."""
    from flows.tasks import send_batch
    from thidua.notify import DeliveryReport

    if not messages:
        return
    outcome.events |= {m.event for m in messages}
    with session_scope() as session:
        movement_id = saved_id(find_movement(session, outcome.movement))
    total = DeliveryReport()
    for chunk in batches(stage, messages, NOTICE_BATCH, "thông báo"):
        report = send_batch(movement_id, list(chunk))
        total.merge(report)
    outcome.counts["thông báo đã gửi"] = outcome.counts.get("thông báo đã gửi", 0) + total.sent
    if total.skipped_already_sent:
        outcome.counts["thông báo đã gửi trước đó"] = total.skipped_already_sent
    if total.failed_temporary or total.deferred or total.pending:
        outcome.counts["thông báo chờ gửi lại"] = (
            total.failed_temporary + total.deferred + total.pending
        )
    if total.failed_permanent:
        outcome.counts["thông báo lỗi"] = total.failed_permanent
        outcome.lines += [f"Không gửi được: {f}" for f in total.permanent_failures[:50]]


def pdf(outcome: Outcome, refs: list) -> None:
    """PDF copies of the stage's signed documents, after they are issued: a step of its own,
    retried once, that never fails the stage; what still waits is counted and said, for
    `thidua documents pdf` or a later run."""
    from flows.tasks import convert_to_pdf
    from thidua.stagework import pdf_pending

    ids = [r.id for r in refs]
    state = convert_to_pdf(outcome.movement, ids, return_state=True)
    if state.is_completed():
        made = state.result()
        if made:
            outcome.counts["bản PDF"] = outcome.counts.get("bản PDF", 0) + made
        return
    waiting = pdf_pending(outcome.movement, ids)
    if waiting:
        outcome.counts["văn bản chờ tạo PDF"] = len(waiting)
        outcome.lines.append(
            f"Chưa tạo được bản PDF của {len(waiting)} văn bản ({state.message}); văn bản .docx "
            f"đã ban hành. Tạo sau bằng lệnh: thidua documents pdf {outcome.movement}"
        )


def documents_line(outcome: Outcome, refs: list) -> None:
    outcome.lines += [f"Văn bản: {r.line()}" for r in refs]
    outcome.counts["văn bản"] = outcome.counts.get("văn bản", 0) + len(refs)


def _pending(outcome: Outcome) -> None:
    """Turn a `done` whose messages still wait into `pending`, saying how many and why."""
    from thidua.notify import waiting

    with session_scope() as session:
        movement = find_movement(session, outcome.movement)
        lines = waiting(session, saved_id(movement), outcome.events)
    if lines:
        outcome.status = "pending"
        outcome.message = (
            "Đã thực hiện giai đoạn, nhưng chưa gửi xong thông báo: "
            + "; ".join(lines)
            + ". Rà soát hằng ngày sẽ tiếp tục gửi."
        )
