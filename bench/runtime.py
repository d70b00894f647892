"""Benchmark: how soon the command line answers, and how soon a stage run starts working.

- start-up: `thidua --help` and `thidua status MOVEMENT` against `python -c pass` (the floor),
  each the median of 3 runs, as a user runs them (the installed `thidua` script);
- a stage run cold (no local Prefect server yet: the command starts it) and warm (the server of
  the data directory is running): wall time from starting the command to its first task
  starting, read back from the server's task runs, and to the command's end.

A temp data directory with Hà Nam 2022 on 10 units; the server is stopped at the end.

    uv run python bench/runtime.py      # ends with: RESULT runtime help_s=… warm_first_task_s=…
"""

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def _timed(args: list[str], env: dict, runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(args, env=env, check=True, capture_output=True, cwd=ROOT)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def _first_task_start(api: str) -> float:
    """Epoch seconds when the most recent flow run's first task started."""

    def post(path: str, body: dict) -> list:
        req = urllib.request.Request(f"{api}{path}", json.dumps(body).encode(),
                                     {"Content-Type": "application/json"})  # fmt: skip
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.load(r)

    (run,) = post("/flow_runs/filter", {"sort": "START_TIME_DESC", "limit": 1})
    tasks = post("/task_runs/filter", {"flow_runs": {"id": {"any_": [run["id"]]}},
                                       "sort": "EXPECTED_START_TIME_ASC", "limit": 1})  # fmt: skip
    return datetime.fromisoformat(tasks[0]["start_time"]).timestamp()


def _stage(movement: str, stage: str, env: dict) -> tuple[float, float]:
    t0 = time.time()
    subprocess.run([str(BIN / "thidua"), "stage", "run", movement, stage], env=env, check=True,
                   capture_output=True, cwd=ROOT)  # fmt: skip
    total = time.time() - t0
    from flows.server import read_state

    info = read_state(Path(env["THIDUA_DATA_DIR"]) / "prefect")
    assert info is not None
    return _first_task_start(info.api_url) - t0, total


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "THIDUA_"))}
        env.update(THIDUA_DATA_DIR=tmp, THIDUA_PDF="false", PREFECT_LOGGING_LEVEL="WARNING")
        thidua = str(BIN / "thidua")
        subprocess.run([thidua, "db", "upgrade"], env=env, check=True, capture_output=True)
        setup = ("from models.db import session_scope\nfrom thidua import synthetic, spec\n"
                 "with session_scope() as s:\n"
                 "    synthetic.generate_org(s, units=10, blocks=2, people=60, seed=7)\n"
                 "    print(spec.store_spec(s, spec.load_spec('examples/hanam-sct-2022.yaml'),"
                 " actor='bench').code)")  # fmt: skip
        movement = subprocess.run([sys.executable, "-c", setup], env=env, check=True, cwd=ROOT,
                                  capture_output=True, text=True).stdout.strip()  # fmt: skip
        floor = _timed([sys.executable, "-c", "pass"], env)
        help_s = _timed([thidua, "--help"], env)
        status_s = _timed([thidua, "status", movement], env)
        print(f"python -c pass {floor:.2f} s; thidua --help {help_s:.2f} s; "
              f"thidua status {status_s:.2f} s")  # fmt: skip
        try:
            cold_first, cold_total = _stage(movement, "launch", env)
            print(f"cold stage run (starts the server): first task after {cold_first:.1f} s, "
                  f"done after {cold_total:.1f} s")  # fmt: skip
            warm_first, warm_total = _stage(movement, "open-period-1", env)
            print(f"warm stage run: first task after {warm_first:.1f} s, "
                  f"done after {warm_total:.1f} s")  # fmt: skip
        finally:
            subprocess.run([thidua, "server", "stop"], env=env, capture_output=True)
        print(f"RESULT runtime floor_s={floor:.2f} help_s={help_s:.2f} status_s={status_s:.2f} "
              f"help_ratio={help_s / floor:.1f} cold_first_task_s={cold_first:.1f} "
              f"warm_first_task_s={warm_first:.1f} warm_total_s={warm_total:.1f} "
              f"cold_total_s={cold_total:.1f}")  # fmt: skip


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
