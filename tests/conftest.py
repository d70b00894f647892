"""Shared fixtures: a database on SQLite and on PostgreSQL, a data directory per test.

PostgreSQL is the server at THIDUA_TEST_PG_URL (default: the machine's, trust auth). Each test
session makes its own database on it and drops it at the end, so parallel runs don't collide.
Without a server the PostgreSQL cases are skipped, except under CI where that is a failure.
"""

import os

# Prefect reads these at import: quiet, no telemetry, room for a cold server start.
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
# Several tests stop the Prefect server they used; a log shipper still holding records for it
# would retry forever at exit and keep the test process alive after its summary.
os.environ.setdefault("PREFECT_LOGGING_TO_API_ENABLED", "false")

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import Session, SQLModel

import models  # noqa: F401
from models.db import engine_for
from models.migrate import upgrade
from thidua.settings import reset_settings

PG_ADMIN_URL = os.environ.get(
    "THIDUA_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def _pg_available() -> bool:
    try:
        with sa.create_engine(PG_ADMIN_URL).connect() as c:
            c.execute(sa.text("select 1"))
        return True
    except Exception:
        return False


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    if not _pg_available():
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is not reachable at {PG_ADMIN_URL}")
        pytest.skip(f"PostgreSQL is not reachable at {PG_ADMIN_URL}")
    name = f"thidua_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    yield url
    engine_for(url).dispose()
    with admin.connect() as c:
        c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (faster than migrating each time)."""
    path = tmp_path_factory.mktemp("sqlite") / "template.db"
    url = f"sqlite:///{path}"
    upgrade(url)
    with engine_for(url).connect() as c:  # fold the WAL into the file before it is copied
        c.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine_for(url).dispose()
    return path


WRITTEN_TABLES = (
    "SELECT relname FROM pg_class WHERE relkind = 'r' AND pg_relation_size(oid) > 0 "
    "AND relnamespace = current_schema()::regnamespace"
)
RESTART_SEQUENCES = (
    "SELECT setval(oid::regclass, 1, false) FROM pg_class "
    "WHERE relkind = 'S' AND relnamespace = current_schema()::regnamespace"
)


def _truncate_all(url: str) -> None:
    """Every table empty, in new files (rows come back in the order they are written, as some
    tests expect), and every id sequence back at 1. Only the tables a test wrote to (any page
    at all, deleted rows included) are truncated: a TRUNCATE of all 41 cost ~0.5 s a test."""
    ours = {t.name for t in SQLModel.metadata.sorted_tables}
    with engine_for(url).begin() as c:
        written = c.execute(sa.text(WRITTEN_TABLES)).scalars().all()
        if names := [f'"{t}"' for t in written if t in ours]:
            c.execute(sa.text(f"TRUNCATE {', '.join(names)} CASCADE"))
        c.execute(sa.text(RESTART_SEQUENCES))


def _use_database(url: str, data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("THIDUA_DATABASE_URL", url)
    monkeypatch.setenv("THIDUA_DATA_DIR", str(data_dir))
    reset_settings()


def _sqlite_copy(template: Path, folder: Path) -> str:
    path = folder / "thidua.db"
    shutil.copy(template, path)
    return f"sqlite:///{path}"


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    sqlite_template: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[str]:
    """A migrated, empty database: each test using it runs once on SQLite, once on PostgreSQL."""
    if request.param == "postgres":
        url = request.getfixturevalue("pg_url")
        _truncate_all(url)
    else:
        url = _sqlite_copy(sqlite_template, tmp_path)
    _use_database(url, tmp_path / "data", monkeypatch)
    yield url
    reset_settings()


@pytest.fixture
def sqlite_url(
    tmp_path: Path, sqlite_template: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """Only SQLite: for tests whose subject is not the storage layer."""
    url = _sqlite_copy(sqlite_template, tmp_path)
    _use_database(url, tmp_path / "data", monkeypatch)
    yield url
    reset_settings()


@pytest.fixture
def session(db_url: str) -> Iterator[Session]:
    with Session(engine_for(db_url), expire_on_commit=False) as s:
        yield s


# --- Prefect and whole movements, shared by the session -------------------------------------
# A Prefect server takes 10-20 s to start on this machine (half of it migrating its own
# database) and a whole movement as long again, so tests whose subject is neither share them.


@pytest.fixture(scope="session")
def prefect_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One local Prefect server (flows.server) for the session, for every test that needs a
    Prefect API but is not about starting or stopping one: yields its API URL (for this
    process, set it with prefect's temporary_settings; for a child, PREFECT_API_URL). Right
    after it starts, a copy of its freshly migrated database is kept beside it (prefect_db)."""
    import sqlite3

    from flows import server

    where = tmp_path_factory.getbasetemp() / "prefect-shared"
    info = server.ensure_server(where)
    migrated = sqlite3.connect(where / "prefect.db")
    with sqlite3.connect(Path(info.home) / "prefect.db") as src, migrated:
        src.backup(migrated)
    migrated.close()
    yield info.api_url
    server.stop_server(where)


@pytest.fixture(scope="session")
def prefect_db(prefect_server: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A freshly migrated Prefect database. Placed in a new data directory (seed_prefect), it
    spares that directory's own server the migrations when it starts."""
    return tmp_path_factory.getbasetemp() / "prefect-shared" / "prefect.db"


def seed_prefect(data_dir: Path, prefect_db: Path) -> Path:
    """`data_dir`'s own Prefect server will start on an already migrated database."""
    home = data_dir / "prefect"
    home.mkdir(parents=True, exist_ok=True)
    shutil.copy(prefect_db, home / "prefect.db")
    return data_dir


@pytest.fixture(scope="session")
def demo_runs(prefect_server: str, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Every example spec (examples/*.yaml) run once through its whole year by the demo
    (thidua.demo.run_demo, as `thidua demo --spec PATH`), small (8 units, 60 people), no PDF:
    {spec name: DemoResult}, each in its own data directory with its own SQLite database.
    Tests read these runs and must not change them."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from flows.start import run_in_process
    from thidua.demo import run_demo
    from thidua.settings import PROJECT_ROOT

    saved = dict(os.environ)
    base = tmp_path_factory.mktemp("demo-runs")
    try:
        for name in ("THIDUA_DATABASE_URL", "THIDUA_LOCAL_PREFECT", "PREFECT_API_URL"):
            os.environ.pop(name, None)
        os.environ["PREFECT_API_URL"] = prefect_server
        with temporary_settings(updates={PREFECT_API_URL: prefect_server}):
            return {
                spec.stem: run_demo(base / spec.stem, start_stage=run_in_process, units=8,
                                    blocks=2, people=60, spec_path=spec, pdf=False,
                                    say=lambda _: None)
                for spec in sorted((PROJECT_ROOT / "examples").glob("*.yaml"))
            }  # fmt: skip
    finally:
        os.environ.clear()
        os.environ.update(saved)
        reset_settings()


# --- parallel runs (pytest-xdist, `./dev test` runs two workers) -----------------------------
# Each worker is its own session: its own PostgreSQL database (pg_url), temporary folders and
# shared Prefect server. A module is a unit of work, except that the modules reading the demo
# runs go to one worker together (they are made once); the longest units go first, so that
# the other worker meanwhile runs the many short ones and neither waits for the other at the
# end (a module not named here takes under ~20 s).
SHARED_DEMO_RUNS = {"test_document_text.py", "test_flows.py"}
LONGEST_FIRST = [
    "test_serve.py", "test_clock.py", "demo-runs", "test_fuzz.py", "test_web_fuzz.py",
    "test_runtime.py", "test_web_load.py", "test_web_flows.py", "test_cli_failures.py",
    "test_web_sessions.py",
]  # fmt: skip


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log):
    from xdist.scheduler import LoadScopeScheduling

    class ByModule(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::", 1)[0]
            return "demo-runs" if Path(module).name in SHARED_DEMO_RUNS else module

        def _assign_work_unit(self, node) -> None:
            for name in reversed(LONGEST_FIRST):
                for scope in [s for s in self.workqueue if Path(s).name == name]:
                    self.workqueue.move_to_end(scope, last=False)
            super()._assign_work_unit(node)

    return ByModule(config, log)


_exit_status: list[int] = []


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    _exit_status.append(int(exitstatus))


def pytest_unconfigure(config: pytest.Config) -> None:
    """Leave once pytest has reported: Prefect's background services (events, logs) are
    non-daemon threads that can wait for a server a test has already stopped, and a suite that
    never exits never lands. The exit status is pytest's own."""
    if _exit_status and os.environ.get("CI"):
        import sys

        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(_exit_status[-1])
