"""scripts/serve for real: the data directory's Prefect server, every deployment and two
workers; a stage started from the command line runs on a worker, and so do the stages the daily
sweep finds due (each its own run of its deployment, not a part of the sweep's process);
SIGTERM stops the workers and the server, and nothing of them remains."""

import json
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from tests.test_runtime import cli_env, make_data_dir, server_processes, thidua
from thidua.lifecycle import PROCESS
from thidua.settings import PROJECT_ROOT

pytestmark = pytest.mark.slow


def _post(url: str, body: dict) -> list | dict:
    req = urllib.request.Request(
        url, json.dumps(body).encode(), {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.load(r)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _workers_of(data_dir: Path) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        try:
            cmdline = (entry / "cmdline").read_bytes()
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        if b"worker\x00start" in cmdline and f"THIDUA_DATA_DIR={data_dir}".encode() in environ:
            found.append(int(entry.name))
    return found


def _state_of(api: str, run_id: str) -> str:
    with urllib.request.urlopen(f"{api}/flow_runs/{run_id}", timeout=10) as r:
        return json.load(r)["state"]["type"]


def _sweep_runs_due_stages_through_their_deployments(api: str, data: Path) -> None:
    """Today is years after Hà Nam 2022's periods (auto_periods): the sweep finds Đợt 1's
    opening and closing due and starts each through its deployment, waiting for it."""
    with urllib.request.urlopen(f"{api}/deployments/name/daily-sweep/daily-sweep") as r:
        sweep = json.load(r)
    run = _post(f"{api}/deployments/{sweep['id']}/create_flow_run", {})
    deadline = time.monotonic() + 400
    while _state_of(api, run["id"]) not in {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}:
        assert time.monotonic() < deadline, "the daily sweep did not finish"
        time.sleep(2)
    assert _state_of(api, run["id"]) == "COMPLETED"
    which = {"deployments": {"name": {"any_": ["open-period-1", "close-period-1"]}}}
    stages = _post(f"{api}/flow_runs/filter", {**which, "sort": "START_TIME_ASC"})
    assert [r["state"]["type"] for r in stages] == ["COMPLETED", "COMPLETED"], stages
    assert all(r["parent_task_run_id"] for r in stages)  # started by the sweep's run
    shown = thidua(data, "status", "hanam-sct-2022")
    assert "Giai đoạn: Đã kết thúc Đợt 1" in shown.stdout, shown.stdout + shown.stderr


def test_serve_runs_a_stage_on_a_worker_and_stops_on_sigterm(
    tmp_path: Path, prefect_db: Path
) -> None:
    data = make_data_dir(tmp_path / "data", prefect_db)
    port = _free_port()
    api = f"http://127.0.0.1:{port}/api"
    log = (tmp_path / "serve.log").open("w")
    # Workers look for scheduled runs every second (not 10), and are given 5 s, not 30, to stop
    # on their own before the second SIGTERM: nothing is running when the test stops them.
    env = cli_env(data, PREFECT_WORKER_QUERY_SECONDS="1", THIDUA_WORKER_GRACE="5")
    serve = subprocess.Popen([str(PROJECT_ROOT / "scripts" / "serve"), str(port), "2"],
                             env=env, stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
    try:
        deadline = time.monotonic() + 400
        while time.monotonic() < deadline:
            assert serve.poll() is None, (tmp_path / "serve.log").read_text()
            try:
                deployments = _post(f"{api}/deployments/filter", {})
                workers = _post(f"{api}/work_pools/thidua/workers/filter", {})
            except OSError:
                deployments = workers = []
            if len(deployments) == 12 and len(workers) == 2:
                break
            time.sleep(1)
        else:
            pytest.fail((tmp_path / "serve.log").read_text())
        # `prefect deploy --all` from the repo root registered every stage and the daily sweep,
        # on the movement's time zone
        names = {d["name"] for d in deployments}
        assert {s.deployment.split("/")[1] for s in PROCESS} | {"daily-sweep"} <= names
        (sweep,) = [d for d in deployments if d["name"] == "daily-sweep"]
        (schedule,) = sweep["schedules"]
        assert schedule["schedule"]["timezone"] == "Asia/Ho_Chi_Minh"
        run = thidua(data, "stage", "run", "hanam-sct-2022", "launch")
        assert run.returncode == 0, run.stdout + run.stderr
        assert "Phát động phong trào (qua Prefect worker): đã thực hiện" in run.stdout
        assert "thông báo đã gửi: " in run.stdout  # the counts, from the run's final state
        assert len(_workers_of(data)) == 2
        _sweep_runs_due_stages_through_their_deployments(api, data)
    finally:
        serve.send_signal(signal.SIGTERM)
        code = serve.wait(timeout=120)
    assert code in (0, 143), (tmp_path / "serve.log").read_text()
    assert _workers_of(data) == []
    assert server_processes(data / "prefect") == []
