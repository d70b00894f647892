"""The audit log as a hash chain: an edited, deleted, reordered or forged row is found by
`thidua audit verify`, which names the first broken link; concurrent writers on PostgreSQL
and SQLite never link two events to the same predecessor."""

import threading

from sqlalchemy import text
from sqlmodel import Session, select
from typer.testing import CliRunner

from models import AuditEvent
from models.db import engine_for
from thidua.auditchain import GENESIS, verify
from thidua.cli import app
from thidua.lifecycle import audit

runner = CliRunner()


def _write(url: str, n: int, actor: str = "vanphong") -> list[int]:
    ids = []
    for i in range(n):
        with Session(engine_for(url)) as s:
            e = audit(
                s, actor=actor, entity="nomination", entity_id=i, action="nomination.returned",
                reason=f"Thiếu minh chứng {i}", data={"n": i, "ghi chú": "Bổ sung"},
            )  # fmt: skip
            s.commit()
            ids.append(e.id)
    return ids


def _verdict(url: str):
    with Session(engine_for(url)) as s:
        return verify(s)


def _sql(url: str, statement: str, **params) -> None:
    with Session(engine_for(url)) as s:
        s.execute(text(statement), params)
        s.commit()


def test_an_untouched_chain_verifies(db_url):
    ids = _write(db_url, 6)
    v = _verdict(db_url)
    assert v.ok and v.checked == 6
    with Session(engine_for(db_url)) as s:
        first = s.get(AuditEvent, ids[0])
        assert first.prev_hash == GENESIS and len(first.hash) == 64
    r = runner.invoke(app, ["audit", "verify"])
    assert r.exit_code == 0 and "Nhật ký nguyên vẹn: 6 sự kiện" in r.output


def test_an_edited_actor_is_found_at_its_row(db_url):
    ids = _write(db_url, 6)
    _sql(db_url, "UPDATE auditevent SET actor = 'nguoi-khac' WHERE id = :i", i=ids[3])
    v = _verdict(db_url)
    assert (v.broken_id, v.checked) == (ids[3], 3) and "bị sửa" in v.reason
    r = runner.invoke(app, ["audit", "verify"])
    assert r.exit_code == 1 and f"chuỗi đứt ở sự kiện số {ids[3]}" in r.output


def test_a_deleted_row_is_found_at_the_next(db_url):
    ids = _write(db_url, 6)
    _sql(db_url, "DELETE FROM auditevent WHERE id = :i", i=ids[2])
    v = _verdict(db_url)
    assert v.broken_id == ids[3] and "bị xoá" in v.reason


def test_reordered_rows_are_found(db_url):
    ids = _write(db_url, 6)
    # Swap the contents of two events (their ids stay): the order of what happened changes.
    with Session(engine_for(db_url)) as s:
        a, b = s.get(AuditEvent, ids[1]), s.get(AuditEvent, ids[4])
        fields = ["at", "actor", "entity_id", "reason", "data", "prev_hash", "hash"]
        va, vb = ({f: getattr(e, f) for f in fields} for e in (a, b))
        for f in fields:
            setattr(a, f, vb[f])
            setattr(b, f, va[f])
        s.add_all([a, b])
        s.commit()
    assert _verdict(db_url).broken_id == ids[1]


def test_a_forged_row_reusing_a_deleted_id_is_found(db_url):
    ids = _write(db_url, 6)
    _sql(db_url, "DELETE FROM auditevent WHERE id = :i", i=ids[4])
    with Session(engine_for(db_url)) as s:
        prev = s.get(AuditEvent, ids[3])
        forged = AuditEvent(id=ids[4], actor="quantri", entity="movement", action="stage.done",
                            prev_hash=prev.hash, hash="f" * 64)  # fmt: skip
        s.add(forged)
        s.commit()
    v = _verdict(db_url)
    assert v.broken_id == ids[4] and "bị sửa" in v.reason


def test_concurrent_writers_serialise_the_chain(db_url):
    errors: list[BaseException] = []

    def writer(k: int) -> None:
        try:
            _write(db_url, 15, actor=f"nguoi-{k}")
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors[:3]
    v = _verdict(db_url)
    assert v.ok and v.checked == 90
    with Session(engine_for(db_url)) as s:
        prevs = s.exec(select(AuditEvent.prev_hash)).all()
    assert len(set(prevs)) == 90  # no two events link to the same predecessor
