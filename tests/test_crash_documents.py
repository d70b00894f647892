"""Certificate issuing killed (SIGKILL, no cleanup) at 10 random points, on SQLite and
PostgreSQL, then run again to the end: every certificate issued once, each file whole and
matching its recorded hash, no temp file left."""

import hashlib
import multiprocessing
import os
import random
import signal
import time
from pathlib import Path

from sqlmodel import Session, func, select

from models import Decision, IssuedDocument, Movement
from models.db import engine_for, session_scope
from thidua import documents as D
from thidua.settings import get_settings
from tools import sample_movement

N = 80  # certificate files: one per subject, issued one transaction each, as a stage does


def _issue_all(url: str, movement_id: int, decision_id: int) -> None:
    engine_for(url).dispose(close=False)  # the parent's connections are not ours
    for i in range(N):
        with session_scope() as s:
            m, d = s.get(Movement, movement_id), s.get(Decision, decision_id)
            ctx = D.certificates_context(s, m, d)
            D.issue_document(s, m, "certificates", context=ctx, subject_key=f"crash:{i}")


def _issued(url: str) -> int:
    with Session(engine_for(url)) as s:
        q = select(func.count()).where(IssuedDocument.subject_key.like("crash:%"))
        return s.exec(q).one()


def test_ten_kills_while_issuing_certificates_issue_each_once(db_url: str, monkeypatch):
    monkeypatch.setenv("THIDUA_PDF", "false")
    with Session(engine_for(db_url)) as s:
        demo = sample_movement.build_demo(s)
        D.issue_decision_document(s, demo.movement, demo.decision)
        s.commit()
        mid, did = demo.movement.id, demo.decision.id
    rng = random.Random(11)
    ctx = multiprocessing.get_context("fork")
    kills = 0
    while kills < 10:
        before = _issued(db_url)
        assert before < N, f"finished after {kills} kills: make N larger"
        proc = ctx.Process(target=_issue_all, args=(db_url, mid, did))
        proc.start()
        time.sleep(rng.uniform(0.02, 0.3))  # a random point: rendering, writing or committing
        os.kill(proc.pid, signal.SIGKILL)
        proc.join()
        kills += 1
    _issue_all(db_url, mid, did)  # the re-run

    docs_dir = Path(get_settings().document_dir)
    with Session(engine_for(db_url)) as s:
        docs = s.exec(select(IssuedDocument).where(IssuedDocument.subject_key.like("crash:%")))
        docs = list(docs)
    assert sorted(d.subject_key for d in docs) == sorted(f"crash:{i}" for i in range(N))
    for d in docs:  # each file whole: what the row says was written
        assert hashlib.sha256((docs_dir / d.path).read_bytes()).hexdigest() == d.content_hash
    assert not list(docs_dir.rglob("*.tmp"))
    on_disk = {p.name for p in docs_dir.rglob("*.docx")}
    assert {Path(d.path).name for d in docs} <= on_disk
