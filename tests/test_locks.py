"""A lock held by another process, a full disk, a killed document write: one Vietnamese
sentence, nothing half-written, no temp file left."""

import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa

from models.db import engine_for
from thidua.errors import database_reason


def test_a_postgresql_lock_held_by_another_session_times_out_with_a_sentence(pg_url: str):
    holder = engine_for(pg_url).connect()
    try:
        holder.exec_driver_sql("BEGIN")
        holder.exec_driver_sql("LOCK TABLE notification IN ACCESS EXCLUSIVE MODE")
        with engine_for(pg_url).connect() as c, pytest.raises(sa.exc.DBAPIError) as e:
            c.exec_driver_sql("SET lock_timeout = 200")  # the engine's default is 30 s
            c.exec_driver_sql("SELECT count(*) FROM notification")
        assert "giữ khóa" in database_reason(e.value)
        with engine_for(pg_url).connect() as c:  # the engine sets both timeouts itself
            assert c.exec_driver_sql("SHOW lock_timeout").scalar() == "30s"
            assert c.exec_driver_sql("SHOW statement_timeout").scalar() == "10min"
    finally:
        holder.rollback()
        holder.close()


def test_a_sqlite_writer_lock_held_by_another_process_is_a_sentence(sqlite_url: str):
    path = sa.make_url(sqlite_url).database
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        other = sa.create_engine(sqlite_url, connect_args={"timeout": 0.2})
        with other.begin() as c, pytest.raises(sa.exc.DBAPIError) as e:
            c.exec_driver_sql("UPDATE movement SET title = title")
        assert "giữ khóa" in database_reason(e.value)
        other.dispose()
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_a_killed_document_write_leaves_no_temp_file(sqlite_url: str) -> None:
    """What a write killed half-way left goes with the next write of that file (a full disk,
    for real: tests/test_full_disk.py)."""
    from thidua.documents import store
    from thidua.files import _HOST
    from thidua.settings import get_settings

    docs = Path(get_settings().document_dir)
    (docs / "2022").mkdir(parents=True)
    dead = docs / "2022" / f".qd.docx.{_HOST}-999999.tmp"  # a write killed half-way (no such pid)
    dead.write_bytes(b"")
    other = docs / "2022" / ".qd.docx.may-chu-khac-4242.tmp"  # another machine's write under way
    other.write_bytes(b"")
    store._write_file("2022/qd.docx", b"PK full document")
    assert (docs / "2022" / "qd.docx").read_bytes() == b"PK full document"
    assert [p.name for p in docs.rglob("*.tmp")] == [other.name]


def test_documents_whose_transaction_rolls_back_leave_no_file(db_url: str) -> None:
    """Files are written before their rows are committed: a rollback (the database refusing
    the commit, a later step failing) takes them away, a savepoint's rollback does not."""
    from sqlmodel import Session

    from thidua import documents as D
    from thidua.settings import get_settings
    from tools import sample_movement

    docs = Path(get_settings().document_dir)
    with Session(engine_for(db_url)) as s:
        demo = sample_movement.build_demo(s)
        s.commit()
        kept = D.issue_decision_document(s, demo.movement, demo.decision).path
        s.commit()
        gone = D.issue_decision_document(s, demo.movement, demo.proposal).path
        assert (docs / gone).exists()
        s.rollback()
    assert (docs / kept).exists() and not (docs / gone).exists()
    assert not list(docs.rglob("*.tmp"))
