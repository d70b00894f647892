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


def _truncate_all(url: str) -> None:
    tables = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
    with engine_for(url).begin() as c:
        c.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


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


@pytest.fixture(scope="session")
def prefect_server() -> Iterator[str]:
    """One Prefect test server for the whole session (a start costs 15-60 s on a busy machine);
    yields its API URL, for child processes that run stages."""
    from prefect.settings import PREFECT_API_URL
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=180):
        yield str(PREFECT_API_URL.value())


@pytest.fixture
def session(db_url: str) -> Iterator[Session]:
    with Session(engine_for(db_url), expire_on_commit=False) as s:
        yield s


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
