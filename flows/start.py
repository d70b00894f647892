"""Starting a stage: through its Prefect deployment when a server runs one, in this process
otherwise. The one path by which the CLI, the portal, the daily sweep and a completed human
step (the handler the domain is given: thidua.lifecycle.StartStage) start a stage.

Prefect is imported inside the functions: importing this module is instant."""

import asyncio
import threading
from typing import TYPE_CHECKING, cast

from thidua.lifecycle import StageRun, stage_def

if TYPE_CHECKING:
    from prefect.client.schemas.objects import FlowRun


def _deployment_available(name: str) -> bool:
    """A Prefect server is configured and knows the deployment."""
    from prefect.settings import PREFECT_API_URL

    if not PREFECT_API_URL.value():
        return False
    from prefect.client.orchestration import get_client

    async def lookup() -> bool:
        async with get_client() as client:
            try:
                await client.read_deployment_by_name(name)
                return True
            except Exception:
                return False

    try:
        return asyncio.run(lookup())
    except RuntimeError:  # called inside a running event loop
        return False


def check_request(movement: str, stage: str):
    """The stage's definition; an unknown stage or movement is refused (ThiduaError) before any
    server starts or anything changes."""
    from models.db import session_scope
    from thidua.movements import find_movement

    sdef = stage_def(stage)
    with session_scope() as session:
        find_movement(session, movement)
    return sdef


def start_stage(movement: str, stage: str, *, wait: bool = True, actor: str = "admin") -> StageRun:
    """Run stage `stage` of `movement`. With a server and its deployment, the run goes to a
    worker (wait=False returns once it is scheduled); otherwise it runs here, now, recorded on
    the data directory's local Prefect server (flows.server)."""
    from flows.server import connected

    sdef = check_request(movement, stage)
    with connected():
        return _start_stage(movement, sdef.name, wait=wait, actor=actor)


def _start_stage(movement: str, stage: str, *, wait: bool, actor: str) -> StageRun:
    sdef = stage_def(stage)
    params = {"movement": movement, "actor": actor, **sdef.params}
    if _deployment_available(sdef.deployment):
        from prefect.deployments import run_deployment

        # Prefect types its sync/async dispatch as either; outside an event loop it is sync
        run = cast(
            "FlowRun",
            run_deployment(sdef.deployment, parameters=params, timeout=None if wait else 0),
        )
        state = run.state
        if not wait:
            return StageRun(
                stage, "scheduled", "Đã gửi yêu cầu chạy tới Prefect.", "deployment", str(run.id)
            )
        data = _state_data(state)
        failed = state is None or state.is_failed()
        return StageRun(
            stage,
            data.get("status", "failed" if failed else "done"),
            (state.message if state else None) or "",
            "deployment",
            str(run.id),
            data.get("counts") or {},
        )
    return _run_in_process(stage, movement, actor)


def run_in_process(movement: str, stage: str, *, actor: str = "admin") -> StageRun:
    from flows.server import connected

    sdef = stage_def(stage)
    with connected():
        return _run_in_process(sdef.name, movement, actor)


def _run_in_process(stage: str, movement: str, actor: str) -> StageRun:
    sdef = stage_def(stage)
    flow = _load_flow(sdef.entrypoint)
    state = flow(movement=movement, actor=actor, **sdef.params, return_state=True)
    data = _state_data(state)
    status = data.get("status") or ("failed" if state.is_failed() else "done")
    message = data.get("message") or _reason(state) or state.message or ""
    return StageRun(stage, status, message, "in-process", counts=data.get("counts") or {})


def start_stage_in_background(movement: str, stage: str, *, actor: str) -> None:
    """The portal's StartStage: the stage runs in a thread, the request returns at once."""
    threading.Thread(
        target=start_stage,
        args=(movement, stage),
        kwargs={"wait": True, "actor": actor},
        daemon=True,
        name=f"stage-{stage}",
    ).start()


def _load_flow(entrypoint: str):
    import importlib

    path, func = entrypoint.split(":")
    module = importlib.import_module(path.removesuffix(".py").replace("/", "."))
    return getattr(module, func)


def _reason(state) -> str | None:
    """A failed run's cause as one Vietnamese sentence (a lock, a full disk, a refusal)."""
    from thidua.errors import ThiduaError, database_reason, os_reason

    try:
        exc = state.result(raise_on_failure=False)
    except Exception:
        return None
    if isinstance(exc, ThiduaError):
        return str(exc)
    if isinstance(exc, OSError):
        return f"Lỗi khi ghi tệp: {os_reason(exc)}. Chưa ghi gì; chạy lại sau khi khắc phục."
    return database_reason(exc) if isinstance(exc, BaseException) else None


def _state_data(state) -> dict:
    try:
        result = state.result(raise_on_failure=False)
    except Exception:
        return {}
    return result if isinstance(result, dict) else {}
