"""Engine and sessions. SQLite (a file under the data directory) by default, PostgreSQL by URL."""

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from sqlalchemy import Engine, event, make_url
from sqlmodel import Session, create_engine

PG_LOCK_TIMEOUT_MS = 30_000  # as SQLite's busy_timeout below
PG_STATEMENT_TIMEOUT_MS = 600_000


@cache
def engine_for(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = make_url(url).database
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")  # readers don't block the writer
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return engine
    # A lock held by another session (a stuck run, an admin's open transaction) or a runaway
    # statement ends in an error the user is told about, not an endless wait.
    options = f"-c lock_timeout={PG_LOCK_TIMEOUT_MS} -c statement_timeout={PG_STATEMENT_TIMEOUT_MS}"
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_size=10,
        max_overflow=20,
        connect_args={"options": options},
    )


def get_engine() -> Engine:
    from thidua.settings import get_settings

    return engine_for(get_settings().database_url)


@contextmanager
def session_scope() -> Iterator[Session]:
    """One unit of work: commits on success, rolls back everything on any error."""
    with Session(get_engine(), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
