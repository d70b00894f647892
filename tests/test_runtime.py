"""The local Prefect server of a data directory, for real: commands started together start one
server between them, a stage run from the command line is recorded on it, `thidua server stop`
ends it and leaves no process behind. One server for the whole module (a cold start takes
15-60 s on a busy machine)."""

import json
import os
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from flows import server
from tests.conftest import seed_prefect
from thidua.settings import PROJECT_ROOT

THIDUA = str(Path(sys.executable).parent / "thidua")
EXAMPLE = PROJECT_ROOT / "examples" / "hanam-sct-2022.yaml"


def cli_env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "THIDUA_"))}
    env.update(THIDUA_DATA_DIR=str(data_dir), THIDUA_PDF="false", PREFECT_LOGGING_LEVEL="WARNING")
    env.update(extra)
    return env


def thidua(data_dir: Path, *args: str, **extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([THIDUA, *args], env=cli_env(data_dir, **extra), capture_output=True,
                          text=True, cwd=PROJECT_ROOT, timeout=300)  # fmt: skip


def server_processes(home: Path) -> list[int]:
    """Every process of this machine running a Prefect server whose PREFECT_HOME is `home`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        if server.APP.encode() in cmdline and f"PREFECT_HOME={home}".encode() in environ:
            found.append(int(entry.name))
    return found


def make_data_dir(d: Path, prefect_db: Path | None = None) -> Path:
    """A data directory holding Hà Nam 2022 on 10 units, made in this process (its SQLite file
    migrated, the organisation and the spec stored: a second process would spend seconds on
    imports). With `prefect_db` (conftest), its Prefect server starts on a migrated database."""
    from sqlmodel import Session

    from models.db import engine_for
    from models.migrate import upgrade
    from thidua import spec, synthetic

    url = f"sqlite:///{d / 'thidua.db'}"
    upgrade(url)
    with Session(engine_for(url)) as s:
        synthetic.generate_org(s, units=10, blocks=2, people=60, seed=7)
        spec.store_spec(s, spec.load_spec(EXAMPLE), actor="test")
        s.commit()
    engine_for(url).dispose()
    if prefect_db is not None:
        seed_prefect(d, prefect_db)
    return d


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory, prefect_db: Path) -> Iterator[Path]:
    """Its server is stopped at the end, and then no process of it may remain."""
    d = make_data_dir(tmp_path_factory.mktemp("runtime") / "data", prefect_db)
    yield d
    thidua(d, "server", "stop")
    assert server_processes(d / "prefect") == []


def test_commands_started_together_start_one_server(data_dir: Path) -> None:
    """Two portal threads and a command line, all at once, on a cold data directory."""
    assert server.status(data_dir) is None
    found: list[server.ServerInfo] = []
    threads = [threading.Thread(target=lambda: found.append(server.ensure_server(data_dir)))
               for _ in range(2)]  # fmt: skip
    cli = subprocess.Popen([THIDUA, "server", "start"], env=cli_env(data_dir), text=True,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out, err = cli.communicate(timeout=300)
    assert cli.returncode == 0, err
    assert len({i.pid for i in found}) == 1
    info = found[0]
    assert f"http://127.0.0.1:{info.port}" in out
    assert server_processes(data_dir / "prefect") == [info.pid]
    status = thidua(data_dir, "server", "status")
    assert f"Giao diện Prefect: {info.ui_url}" in status.stdout


def test_stage_run_is_recorded_on_the_shared_server(data_dir: Path) -> None:
    info = server.ensure_server(data_dir)
    run = thidua(data_dir, "stage", "run", "hanam-sct-2022", "launch")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Phát động phong trào (chạy tại máy này): đã thực hiện" in run.stdout
    assert "thông báo đã gửi: " in run.stdout and "Traceback" not in run.stderr
    assert "thông báo ━" in run.stderr  # the progress bar of the messages
    req = urllib.request.Request(f"{info.api_url}/flow_runs/filter", b"{}",
                                 {"Content-Type": "application/json"})  # fmt: skip
    with urllib.request.urlopen(req) as r:
        runs = json.load(r)
    assert [r["state_type"] for r in runs] == ["COMPLETED"]
    assert server_processes(data_dir / "prefect") == [info.pid]  # no temporary server


@pytest.fixture
def stopped(tmp_path: Path) -> Iterator[Path]:
    """A data directory whose server, should a failing test have started one, is stopped."""
    yield tmp_path
    if (tmp_path / "prefect" / server.STATE_FILE).exists():
        thidua(tmp_path, "server", "stop")


def test_bad_stage_is_refused_before_any_server_starts(tmp_path: Path, stopped: Path) -> None:
    run = thidua(tmp_path, "stage", "run", "hanam-sct-2022", "khong-co")
    assert run.returncode == 2
    assert "Không có giai đoạn 'khong-co'" in run.stderr
    assert not (tmp_path / "prefect" / server.STATE_FILE).exists()


def test_unknown_movement_is_refused_before_any_server_starts(
    tmp_path: Path, stopped: Path
) -> None:
    make_data_dir(tmp_path)
    run = thidua(tmp_path, "stage", "run", "khong-co-2022", "launch")
    assert run.returncode == 2, run.stderr
    assert "khong-co-2022" in run.stderr and "Traceback" not in run.stderr
    assert not (tmp_path / "prefect" / server.STATE_FILE).exists()


def test_stop_ends_the_server(data_dir: Path) -> None:
    info = server.ensure_server(data_dir)
    stopped = thidua(data_dir, "server", "stop")
    assert f"tiến trình {info.pid}" in stopped.stdout
    assert server_processes(data_dir / "prefect") == []
    assert "chưa chạy" in thidua(data_dir, "server", "status").stdout
    assert "không chạy" in thidua(data_dir, "server", "stop").stdout
