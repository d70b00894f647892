"""Numbering under concurrency on PostgreSQL: 20 threads, one session each."""

import threading
import uuid
from collections.abc import Callable

import pytest
from sqlmodel import Session, select

from models import DocumentCounter, IssuedDocument
from models.db import engine_for
from thidua import documents as D
from thidua.settings import reset_settings
from tools import sample_movement

THREADS = 20


def _race(url: str, work: Callable[[Session, int], object]) -> list[object]:
    """Run work(session, i) in THREADS threads released together; each commits its own."""
    barrier = threading.Barrier(THREADS)
    results: list[object] = [None] * THREADS
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            with Session(engine_for(url), expire_on_commit=False) as s:
                barrier.wait()
                results[i] = work(s, i)
                s.commit()
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    return results


def test_next_number_never_repeats(pg_url):
    agency = f"T{uuid.uuid4().hex[:8]}"
    got = _race(pg_url, lambda s, i: D.next_number(s, agency=agency, series="KH", year=2022))
    assert sorted(got) == list(range(1, THREADS + 1))


@pytest.fixture
def pg_demo(pg_url, tmp_path, monkeypatch):
    monkeypatch.setenv("THIDUA_DATABASE_URL", pg_url)
    monkeypatch.setenv("THIDUA_DATA_DIR", str(tmp_path / "data"))
    reset_settings()
    with Session(engine_for(pg_url), expire_on_commit=False) as s:
        demo = sample_movement.build_demo(s, code=f"pg-{uuid.uuid4().hex[:8]}")
        demo.movement.agency_code = f"S{uuid.uuid4().hex[:8]}"
        s.add(demo.movement)
        s.commit()
    yield demo
    reset_settings()


def test_concurrent_documents_get_distinct_numbers(pg_url, pg_demo):
    m = pg_demo.movement

    def issue(s: Session, i: int) -> tuple[int, str]:
        ctx = D.registration_summary_context(s, m)
        doc = D.issue_document(s, m, "registration_summary", context=ctx, subject_key=f"r{i}")
        return doc.number, doc.symbol

    got = _race(pg_url, issue)
    assert sorted(n for n, _ in got) == list(range(1, THREADS + 1))
    assert len({sym for _, sym in got}) == THREADS


def test_concurrent_reissue_of_one_key_gives_one_document(pg_url, pg_demo):
    m = pg_demo.movement

    def issue(s: Session, i: int) -> tuple[int, int]:
        ctx = D.registration_summary_context(s, m)
        doc = D.issue_document(s, m, "registration_summary", context=ctx, subject_key="same")
        return doc.id, doc.number

    got = _race(pg_url, issue)
    assert len(set(got)) == 1 and got[0][1] == 1
    with Session(engine_for(pg_url)) as s:
        docs = s.exec(select(IssuedDocument).where(IssuedDocument.movement_id == m.id)).all()
        assert len(docs) == 1
        counter = s.exec(
            select(DocumentCounter).where(DocumentCounter.agency == m.agency_code)
        ).one()
        assert counter.last == 1  # the losers gave their numbers back: no gap
