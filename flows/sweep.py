"""The daily sweep (07:00 Asia/Ho_Chi_Minh): for every movement under way, the stages its
calendar says are due, the reminders due today, and the notifications due for a retry."""

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact

from flows.tasks import send_batch
from models.db import session_scope
from thidua import sweep


@flow(name="daily-sweep")
def daily_sweep(actor: str = "sweep") -> dict:
    logger = get_run_logger()
    lines: list[str] = []
    with session_scope() as s:
        codes = sweep.active_movements(s)
    for code in codes:
        lines += sweep_movement(code, actor)
    create_markdown_artifact(
        key="daily-sweep", markdown="# Rà soát hằng ngày\n\n" + "\n".join(f"- {x}" for x in lines)
    )
    logger.info("swept %d movements", len(codes))
    return {"movements": len(codes), "lines": lines}


def sweep_movement(code: str, actor: str) -> list[str]:
    return sweep.sweep_movement(code, actor=actor, send=send_batch).lines(code)
