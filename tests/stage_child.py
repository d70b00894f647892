"""Stages run in child processes that a test may SIGKILL at any point, or whose output it reads
(tests/test_stage_kill.py, tests/test_full_disk.py).

A child runs the whole stage as `thidua stage run` does — the command line itself, or the
stage's flow in this process (flows.start.run_in_process) — recorded on the session's
Prefect test server. Children are forked from multiprocessing's fork server, which imports the
flows, the command line and what a flow run imports lazily once for the session: a child starts
in milliseconds instead of the seconds the command spends importing. The fork server never runs
a flow, so no Prefect thread, loop or client is copied into a child."""

import multiprocessing
import multiprocessing.forkserver
import os
import time
from collections.abc import Callable
from pathlib import Path

_ctx: multiprocessing.context.ForkServerContext | None = None


def context(api_url: str) -> multiprocessing.context.ForkServerContext:
    """The fork server, started once with the session's Prefect server in its environment, so
    that Prefect, imported there, points at it in every child, and with Prefect's console
    logging as the command sets it before it imports Prefect."""
    global _ctx
    if _ctx is None:
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["tests.stage_child_preload"])
        env = {"PREFECT_API_URL": api_url, "PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL": "CRITICAL"}
        saved = {k: os.environ.get(k) for k in env}
        os.environ.update(env)
        try:
            multiprocessing.forkserver.ensure_running()
        finally:
            for k, v in saved.items():
                if v is None:
                    del os.environ[k]
                else:
                    os.environ[k] = v
        _ctx = ctx
    return _ctx


def _enter(env: dict[str, str], out: str) -> None:
    """Become the process a command would be: its environment, its output to `out`."""
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
    for name in [n for n in os.environ if n.startswith(("THIDUA_", "PREFECT_API_URL"))]:
        del os.environ[name]
    os.environ.update(env)
    from thidua.settings import reset_settings

    reset_settings()


def _cli(env: dict[str, str], out: str, args: list[str]) -> None:
    _enter(env, out)
    from thidua.cli import main

    main(args)


def _flow(env: dict[str, str], out: str, movement: str, stage: str, marks: str | None) -> None:
    _enter(env, out)
    if marks:
        _mark_certificates(marks)
    from flows.start import run_in_process

    run = run_in_process(movement, stage)
    print(f"RUN {run.status} {run.message}", flush=True)


def _mark_certificates(path: str) -> None:
    """Note (in `path`) when certificate issuing starts and ends, so the test can kill inside
    it. The stage itself is unchanged."""
    import thidua.documents as documents

    issue = documents.issue_certificates

    def noted(*args, **kwargs):
        _note(path, "start")
        doc = issue(*args, **kwargs)
        _note(path, "end")
        return doc

    documents.issue_certificates = noted


def _note(path: str, what: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        os.write(fd, f"{what} {time.monotonic():.6f}\n".encode())
    finally:
        os.close(fd)


def notes(path: Path) -> dict[str, float]:
    try:
        lines = path.read_text().split("\n")
    except FileNotFoundError:
        return {}
    return {w: float(t) for w, _, t in (ln.partition(" ") for ln in lines if ln.strip())}


def start_cli(env: dict[str, str], out: Path, *args: str) -> multiprocessing.Process:
    """`thidua ARGS` in a child; its exit code is the command's."""
    proc = context(env["PREFECT_API_URL"]).Process(target=_cli, args=(env, str(out), list(args)))
    proc.start()
    return proc


def start_flow(
    env: dict[str, str], out: Path, movement: str, stage: str, marks: Path | None = None
) -> multiprocessing.Process:
    """The stage's flow run in a child, as `thidua stage run` runs it in its own process."""
    proc = context(env["PREFECT_API_URL"]).Process(
        target=_flow, args=(env, str(out), movement, stage, str(marks) if marks else None)
    )
    proc.start()
    return proc


def wait_until(check: Callable[[], bool], proc: multiprocessing.Process, timeout: float) -> bool:
    """Poll `check` until it holds; False if the child ended or time ran out first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        if not proc.is_alive():
            return check()
        time.sleep(0.0005)
    return False
