"""The local Prefect server: one per data directory, shared by every command, the portal and the
demo.

The first command that needs Prefect starts it in the background (its own PREFECT_HOME under the
data directory, a free port on 127.0.0.1) and records it in `prefect/server.json`; every later
command finds it there and connects in milliseconds, instead of starting a temporary server of
its own each time. A lock file makes two commands started together (or two portal threads) start
one server between them. `thidua server stop` ends it; it is the only process a command leaves
behind, and it is always named in that file.

When PREFECT_API_URL is set (a real Prefect server, docs/OPERATIONS.md) none of this is used.

Nothing here imports Prefect: `thidua server status` must answer at once."""

import contextlib
import fcntl
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from thidua.errors import ThiduaError

STATE_FILE = "server.json"
LOCK_FILE = "server.lock"
LOG_FILE = "server.log"
APP = "prefect.server.api.server:create_app"

_thread_lock = threading.Lock()  # flock guards other processes; this guards this one's threads


class ServerError(ThiduaError):
    """The local Prefect server could not be started or reached."""


@dataclass
class ServerInfo:
    pid: int
    port: int
    home: str
    started: float

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    @property
    def ui_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def prefect_home(data_dir: Path | None = None) -> Path:
    if data_dir is None:
        from thidua.settings import get_settings

        data_dir = get_settings().data_dir
    return Path(data_dir) / "prefect"


def external_api_url() -> str | None:
    """The Prefect server someone else chose: the operator's PREFECT_API_URL, or one set in
    Prefect's own settings context (a test harness). None: use the local server."""
    env = os.environ.get("PREFECT_API_URL") or None
    local = os.environ.get("THIDUA_LOCAL_PREFECT") == "1"  # env set by `connected` below
    if env and not local:
        return env
    if "prefect" in sys.modules:
        from prefect.settings import PREFECT_API_URL

        value = PREFECT_API_URL.value()
        if value and value != env:
            return value
    return None


def read_state(home: Path) -> ServerInfo | None:
    try:
        data = json.loads((home / STATE_FILE).read_text())
        return ServerInfo(**data)
    except (OSError, ValueError, TypeError):
        return None


def _alive(pid: int) -> bool:
    """The process exists and is a Prefect server (not a later process that reused the pid)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        try:
            os.kill(pid, 0)
        except OSError:
            return False
        return True  # no /proc (macOS): trust the pid
    return APP.encode() in cmdline


def healthy(url: str, timeout: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=timeout) as r:
            return r.status == 200
    except (OSError, urllib.error.URLError, ValueError):
        return False


def status(data_dir: Path | None = None) -> ServerInfo | None:
    """The running server of this data directory, or None."""
    info = read_state(prefect_home(data_dir))
    if info and _alive(info.pid) and healthy(info.api_url):
        return info
    return None


@contextlib.contextmanager
def _locked(home: Path) -> Iterator[None]:
    try:
        home.mkdir(parents=True, exist_ok=True)
        fd = os.open(home / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as e:
        raise ServerError(
            f"Không tạo được thư mục của máy chủ Prefect {home} ({e.strerror}): kiểm tra quyền "
            "ghi vào thư mục dữ liệu (THIDUA_DATA_DIR)."
        ) from e
    with _thread_lock:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)


def _free_port() -> int:
    wanted = os.environ.get("THIDUA_PREFECT_PORT")
    if wanted:
        return int(wanted)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _server_env(home: Path, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(
        PREFECT_HOME=str(home),
        PREFECT_API_URL=f"http://127.0.0.1:{port}/api",
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PREFECT_SERVER_LOGGING_LEVEL=os.environ.get("PREFECT_SERVER_LOGGING_LEVEL", "WARNING"),
        PREFECT__SERVER_FINAL="1",
    )
    return env


def ensure_server(data_dir: Path | None = None, *, timeout: float = 180.0) -> ServerInfo:
    """The running server of this data directory, started now if there is none."""
    home = prefect_home(data_dir)
    info = status(data_dir)
    if info:
        return info
    with _locked(home):
        info = status(data_dir)  # another command may have started it while we waited
        if info:
            return info
        old = read_state(home)
        if old and _alive(old.pid):  # there but not answering: replace it
            _terminate(old.pid)
        return _start(home, timeout)


def _start(home: Path, timeout: float) -> ServerInfo:
    import importlib.util

    spec = importlib.util.find_spec("prefect")  # its location only: importing it takes seconds
    site = Path(spec.origin).parent.parent if spec and spec.origin else Path()
    port = _free_port()
    log = home / LOG_FILE
    command = [sys.executable, "-m", "uvicorn", "--app-dir", str(site),
               "--factory", APP, "--host", "127.0.0.1", "--port", str(port)]  # fmt: skip
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            command,
            env=_server_env(home, port),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C on the command that started it does not end it
            cwd=home,
        )
    info = ServerInfo(pid=proc.pid, port=port, home=str(home), started=time.time())
    (home / STATE_FILE).write_text(json.dumps(asdict(info)))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            (home / STATE_FILE).unlink(missing_ok=True)
            raise ServerError(
                f"Máy chủ Prefect cục bộ dừng ngay khi khởi động (mã {proc.returncode}); "
                f"xem nhật ký {log}."
            )
        if healthy(info.api_url, timeout=1.0):
            return info
        time.sleep(0.3)
    _terminate(proc.pid)
    (home / STATE_FILE).unlink(missing_ok=True)
    raise ServerError(
        f"Máy chủ Prefect cục bộ không trả lời sau {timeout:.0f} giây; máy có thể đang quá tải. "
        f"Thử lại sau, hoặc xem nhật ký {log}."
    )


def _terminate(pid: int, grace: float = 15.0) -> None:
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)  # reap it when this process started it
        if not _alive(pid):
            return
        time.sleep(0.1)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def stop_server(data_dir: Path | None = None) -> ServerInfo | None:
    """Stop this data directory's server; returns what was stopped (None: nothing ran)."""
    home = prefect_home(data_dir)
    if not (home / STATE_FILE).exists():
        return None
    with _locked(home):
        info = read_state(home)
        if info is None:
            return None
        running = _alive(info.pid)
        if running:
            _flush_to_server()
            _terminate(info.pid)
        (home / STATE_FILE).unlink(missing_ok=True)
        return info if running else None


def _flush_to_server(timeout: float = 10) -> None:
    """Hand this process's pending Prefect events and logs to the server before it goes: a
    worker left holding them would retry a dead address and keep the process from exiting."""
    if "prefect" not in sys.modules:
        return
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker

    for worker in (EventsWorker, APILogWorker):
        with contextlib.suppress(Exception):
            worker.drain_all(timeout=timeout)


@contextlib.contextmanager
def connected(data_dir: Path | None = None) -> Iterator[str]:
    """Point Prefect in this process (and its children) at the server: the operator's
    PREFECT_API_URL when set, this data directory's local server otherwise (started if needed).
    Yields the API URL."""
    url = external_api_url()
    if url is None:
        info = ensure_server(data_dir)
        url = info.api_url
        # Read by Prefect when it is first imported, by threads and by child processes.
        os.environ["PREFECT_API_URL"] = url
        os.environ["PREFECT_HOME"] = info.home
        os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
        os.environ["THIDUA_LOCAL_PREFECT"] = "1"
    if "prefect" in sys.modules:  # already imported: its root settings predate the env
        from prefect.settings import PREFECT_API_URL, temporary_settings

        if PREFECT_API_URL.value() != url:
            with temporary_settings(updates={PREFECT_API_URL: url}):
                yield url
            return
    yield url
