"""Engine and sessions. SQLite (a file under the data directory) by default, PostgreSQL by URL."""

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from sqlalchemy import Column, Engine, Integer, event, inspect, make_url, text
from sqlalchemy.orm import Mapper
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, create_engine

PG_LOCK_TIMEOUT_MS = 30_000  # as SQLite's busy_timeout below
PG_STATEMENT_TIMEOUT_MS = 600_000
# From this many new rows of a table in one flush, PostgreSQL's ids are drawn first (below).
PG_IDS_FIRST = 20


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


@event.listens_for(OrmSession, "before_flush")
def _ids_first(session: OrmSession, _context, _instances) -> None:
    """On PostgreSQL, give a flush's many new rows of a table their ids from the table's
    sequence in one query, in the order they were added. Without ids the ORM inserts them as
    INSERT … RETURNING in pages of a thousand rows, which psycopg parses anew each time (its
    statement cache stops at 4 kB) and whose returned ids the ORM then matches row by row:
    ~0.5 ms a row, 5 s for a ballot paper's 10,000 audit events. With ids it sends one short
    INSERT, prepared once, for all rows (psycopg's pipelined executemany). The ids are the ones
    the INSERT would have drawn, in the same order (the audit chain's order is the id order)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    quote = session.get_bind().dialect.identifier_preparer
    new: dict[Mapper, tuple[Column, str, list[object]]] = {}  # (id column, attribute, rows)
    for obj in session.new:
        mapper = inspect(obj).mapper
        if len(mapper.primary_key) != 1 or not isinstance(mapper.primary_key[0].type, Integer):
            continue
        column = mapper.primary_key[0]
        attr = mapper.get_property_by_column(column).key
        if getattr(obj, attr) is None:
            new.setdefault(mapper, (column, attr, []))[2].append(obj)
    for column, attr, objs in new.values():
        if len(objs) < PG_IDS_FIRST:
            continue  # one INSERT … RETURNING is as few round trips
        ids = session.execute(
            text("SELECT nextval(pg_get_serial_sequence(:t, :c)) FROM generate_series(1, :n)"),
            {"t": quote.format_table(column.table), "c": column.name, "n": len(objs)},
        ).scalars()
        objs.sort(key=lambda o: inspect(o).insert_order)
        for obj, id_ in zip(objs, ids, strict=True):
            setattr(obj, attr, id_)
