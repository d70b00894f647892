"""Benchmark: how soon the command line answers, and how soon a stage run starts working.

- start-up: `thidua --help` and `thidua status MOVEMENT` against `python -c pass` (the floor),
  each the median of 5 runs after one unmeasured run, as a user runs them (the installed
  `thidua` script, bytecode written: PYTHONDONTWRITEBYTECODE is dropped, since a machine that
  never keeps .pyc files is never warm); wall time, and CPU time (user + system), which a
  busy machine barely changes;
- a stage run cold (no local Prefect server yet: the command starts it) and warm (the server of
  the data directory is running): wall time from starting the command to its first task
  starting, read back from the server's task runs, and to the command's end; warm is the
  median of the three stages that follow the launch.

A temp data directory with Hà Nam 2022 on 10 units; the server is stopped at the end. The load
average at the start is printed: on a shared machine the figures scale with it.

    uv run python bench/runtime.py      # ends with: RESULT runtime help_s=… warm_first_task_s=…
"""

import json
import os
import resource
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


def _cpu() -> float:
    """CPU seconds (user + system) of this process's finished children."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _timed(args: list[str], env: dict, runs: int = 5) -> tuple[float, float]:
    """Median wall and CPU seconds. CPU time barely depends on the machine's load, wall time
    does: on a busy machine the CPU time is what the command costs."""
    subprocess.run(args, env=env, check=True, capture_output=True, cwd=ROOT)  # warms up
    walls, cpus = [], []
    for _ in range(runs):
        t, c = time.perf_counter(), _cpu()
        subprocess.run(args, env=env, check=True, capture_output=True, cwd=ROOT)
        walls.append(time.perf_counter() - t)
        cpus.append(_cpu() - c)
    return statistics.median(walls), statistics.median(cpus)


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
        load = os.getloadavg()[0]
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "THIDUA_"))}
        env.pop("PYTHONDONTWRITEBYTECODE", None)
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
        floor, floor_cpu = _timed([sys.executable, "-c", "pass"], env)
        help_s, help_cpu = _timed([thidua, "--help"], env)
        status_s, status_cpu = _timed([thidua, "status", movement], env)
        print(f"load average {load:.1f}; wall (CPU) seconds: python -c pass {floor:.2f} "
              f"({floor_cpu:.2f}); thidua --help {help_s:.2f} ({help_cpu:.2f}); thidua status "
              f"{status_s:.2f} ({status_cpu:.2f})")  # fmt: skip
        try:
            cold_first, cold_total = _stage(movement, "launch", env)
            print(f"cold stage run (starts the server): first task after {cold_first:.1f} s, "
                  f"done after {cold_total:.1f} s")  # fmt: skip
            warm = []
            for stage in ("open-period-1", "close-period-1", "interim-review"):
                warm.append(_stage(movement, stage, env))
                print(f"warm stage run {stage}: first task after {warm[-1][0]:.1f} s, "
                      f"done after {warm[-1][1]:.1f} s")  # fmt: skip
            warm_first = statistics.median(w[0] for w in warm)
            warm_total = statistics.median(w[1] for w in warm)
        finally:
            subprocess.run([thidua, "server", "stop"], env=env, capture_output=True)
        print(f"RESULT runtime load={load:.1f} floor_s={floor:.2f} help_s={help_s:.2f} "
              f"status_s={status_s:.2f} help_ratio={help_s / floor:.1f} "
              f"status_ratio={status_s / floor:.1f} help_cpu_s={help_cpu:.2f} "
              f"status_cpu_s={status_cpu:.2f} cold_first_task_s={cold_first:.1f} "
              f"warm_first_task_s={warm_first:.1f} warm_total_s={warm_total:.1f} "
              f"cold_total_s={cold_total:.1f}")  # fmt: skip


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
