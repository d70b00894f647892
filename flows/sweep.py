"""The daily sweep (07:00 Asia/Ho_Chi_Minh): for every movement under way, the stages its
calendar says are due, the reminders due today, and the notifications due for a retry.

A due stage starts the way every stage starts (flows.start.start_stage): through its
deployment when the server has one, so it runs on a worker as its own run, in this process
otherwise."""

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact

from flows.start import start_stage
from flows.tasks import send_batch
from models.base import saved_id
from models.db import session_scope
from thidua import notify, sweep
from thidua.movements import find_movement
from thidua.vn import now


@flow(name="daily-sweep")
def daily_sweep(actor: str = "sweep") -> dict:
    logger = get_run_logger()
    lines: list[str] = []
    with session_scope() as s:
        codes = sweep.active_movements(s)
    for code in codes:
        lines += sweep_movement(code, actor)
    # messages still owed by movements not under way (a close that crashed mid-send)
    with session_scope() as s:
        owing = [c for c in sweep.movements_with_due_messages(s, now()) if c not in codes]
    for code in owing:
        lines += retry_movement(code)
    create_markdown_artifact(
        key="daily-sweep", markdown="# Rà soát hằng ngày\n\n" + "\n".join(f"- {x}" for x in lines)
    )
    logger.info("swept %d movements", len(codes))
    return {"movements": len(codes), "lines": lines}


def sweep_movement(code: str, actor: str) -> list[str]:
    swept = sweep.sweep_movement(code, actor=actor, send=send_batch, start_stage=start_stage)
    return swept.lines(code)


def retry_movement(code: str, movement_id: int | None = None) -> list[str]:
    if movement_id is None:
        with session_scope() as s:
            movement_id = saved_id(find_movement(s, code))
    retried = notify.retry_due(movement_id)
    if retried.sent or retried.failed_permanent:
        return [f"{code}: gửi lại — {retried.summary()}"]
    return []
