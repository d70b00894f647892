"""The audit log as a hash chain: each event stores the hash of the event before it and its
own hash over that and its content, so changing, deleting, inserting or reordering rows is
found by `verify` (thidua audit verify), which names the first broken link.

Writers are serialised while they link: on PostgreSQL by a transaction-level advisory lock,
on SQLite by the database's single writer lock, both taken before the head is read and held
until the writer's transaction ends, so two transactions never link to the same predecessor
and the chain's order is the order of the ids."""

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import text
from sqlmodel import Session, col, select

from models import AuditEvent
from models.base import saved_id

GENESIS = "0" * 64
LOCK_KEY = 0x74686964756100  # "thidua\0": the advisory lock of the audit chain
BATCH = 5_000


def _when(at: datetime) -> str:
    """The same text whether the database gave back an aware (PostgreSQL) or naive UTC
    (SQLite) time."""
    if at.tzinfo is not None:
        at = at.astimezone(UTC).replace(tzinfo=None)
    return at.isoformat(timespec="microseconds")


def event_hash(event: AuditEvent, prev_hash: str) -> str:
    content = [  # not the id: it is given at insert; the chain order is the id order
        prev_hash, _when(event.at), event.actor, event.movement_id, event.entity,
        event.entity_id, event.action, event.from_state, event.to_state, event.reason,
        event.data or {},
    ]  # fmt: skip
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def link(session: Session, event: AuditEvent) -> None:
    """Put `event` at the head of the chain, in the caller's transaction. Nothing of the
    caller's is flushed here (its own conflict handling stays where it was): the chain head is
    the newest stored event, or the last one linked in this transaction and not yet written."""
    with session.no_autoflush:
        transaction, head = session.info.get("audit_head", (None, None))
        # Linked before in this transaction, outside a savepoint: the lock is held already
        # (until the transaction ends) and the head is ours — a bulk call's 8,000 events take
        # it once, not 8,000 times.
        held = transaction is session.get_transaction() and head is not None
        if not held or session.in_nested_transaction():
            if session.get_bind().dialect.name == "postgresql":
                session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": LOCK_KEY})
            else:  # SQLite: a write statement takes the single writer lock before the read
                session.execute(text("UPDATE auditevent SET id = id WHERE 1 = 0"))
        if not held:
            head = session.exec(
                select(AuditEvent.hash).order_by(col(AuditEvent.id).desc()).limit(1)
            ).first()
    event.prev_hash = head or GENESIS
    event.hash = event_hash(event, event.prev_hash)
    session.add(event)
    session.info["audit_head"] = (session.get_transaction(), event.hash)


@dataclass(frozen=True)
class Verdict:
    checked: int
    head: str  # the last hash: noted outside the database, it also shows a cut-off tail
    broken_id: int | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_id is None


def verify(session: Session) -> Verdict:
    """Walk the chain in id order; the first event whose link or content does not match."""
    prev, checked, last_id = GENESIS, 0, 0
    while True:
        rows = session.exec(
            select(AuditEvent)
            .where(col(AuditEvent.id) > last_id)
            .order_by(col(AuditEvent.id))
            .limit(BATCH)
        ).all()
        if not rows:
            return Verdict(checked, prev)
        for e in rows:
            if e.prev_hash != prev:
                why = (
                    "không nối với sự kiện trước: có sự kiện bị xoá, chèn thêm hoặc đổi thứ tự"
                    if e.hash
                    else "sự kiện không có mã băm: được chèn ngoài hệ thống"
                )
                return Verdict(checked, prev, e.id, why)
            if e.hash != event_hash(e, prev):
                return Verdict(checked, prev, e.id, "nội dung sự kiện đã bị sửa")
            prev, checked, last_id = e.hash, checked + 1, saved_id(e)
