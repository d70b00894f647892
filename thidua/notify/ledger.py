"""The delivery ledger (models.Notification, unique per movement, event, recipient, channel).

A row is reserved before its message is sent (INSERT … ON CONFLICT DO NOTHING: a row already
there belongs to someone else), committed, then marked `sent`, `retry` (a temporary failure,
due again at next_attempt_at, with exponential backoff) or `failed` (permanent; reported).

Trade-off: **at-least-once**. A message is never dropped: a row left `reserved` by a crashed
worker for longer than LEASE is claimed again and resent. A message the server accepted is
recorded `sent` at once (MARK_SENT, one short commit) before its thread sends another, so the
price is at most one duplicate per sending thread and crash: the message the server had
accepted when the worker died, before its record was committed. We prefer a second reminder to
a missing one; a resent email keeps its Message-ID (derived from the ledger row) and a resent
ZNS its tracking_id, so mail clients fold the duplicate. A message recorded as `sent` is never
sent again, by any re-run. A worker stops starting sends once 80% of its lease has gone and
gives the rest back, so a slow channel never lets a lease lapse under a live worker.

Statuses: reserved | sent | retry | failed (permanent) | cancelled (a reminder that became
moot before its retry: the unit submitted in the meantime).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col

from models import Notification, Person, Unit
from models.base import table_of

RESERVED, SENT, RETRY, FAILED, CANCELLED = "reserved", "sent", "retry", "failed", "cancelled"
LEASE = timedelta(minutes=10)
# 1, 2, 4 … minutes apart, at most 6 h: 12 attempts span ~20 h, so an SMTP server down
# overnight or a ZNS daily quota spent does not turn into a permanent failure.
MAX_ATTEMPTS = 12
BACKOFF_FIRST = timedelta(minutes=1)
BACKOFF_MAX = timedelta(hours=6)

T = table_of(Notification)
KEY = ("event", "recipient", "channel")


def backoff(attempts: int) -> timedelta:
    """1, 2, 4, 8 … minutes after the n-th failed attempt, at most 6 hours."""
    return min(BACKOFF_FIRST * 2 ** max(attempts - 1, 0), BACKOFF_MAX)


@dataclass
class Row:
    """A ledger row this worker owns (reserved by it) and must send."""

    id: int
    event: str
    recipient: str
    channel: str
    address: str
    attempts: int
    payload: dict[str, Any]


@dataclass(frozen=True)
class Failure:
    """A permanent failure, for the stage's artifact and `thidua status`."""

    notification_id: int
    person_id: int | None
    person_name: str
    unit_name: str
    channel: str
    address: str
    event: str
    reason: str  # Vietnamese
    attempts: int
    at: datetime | None


def _insert(session: Session):
    # here, not at the top: `thidua status` reads the ledger on SQLite without PostgreSQL's
    from sqlalchemy.dialects import postgresql, sqlite

    return (postgresql if session.get_bind().dialect.name == "postgresql" else sqlite).insert(T)


def insert_new(session: Session, rows: list[dict[str, Any]]) -> dict[tuple[str, str, str], int]:
    """Insert the rows nobody has yet; return {key: id} of those this call inserted."""
    if not rows:
        return {}
    stmt = (
        _insert(session)
        .on_conflict_do_nothing(index_elements=["movement_id", *KEY])
        .returning(T.c.id, T.c.event, T.c.recipient, T.c.channel)
    )
    # one global key order: two workers inserting overlapping batches wait on each other's
    # unique-index entries in the same order, so PostgreSQL never sees a deadlock
    rows = sorted(rows, key=lambda r: (r["event"], r["recipient"], r["channel"]))
    out: dict[tuple[str, str, str], int] = {}
    for i in range(0, len(rows), 1000):
        res = session.execute(stmt, rows[i : i + 1000])
        # executemany with RETURNING (SQLAlchemy's insertmanyvalues) on both databases
        for rid, ev, rc, ch in res:
            out[(ev, rc, ch)] = rid
    return out


_ROW = (
    T.c.id,
    T.c.event,
    T.c.recipient,
    T.c.channel,
    T.c.address,
    T.c.status,
    T.c.attempts,
    T.c.reserved_at,
    T.c.next_attempt_at,
)


def _rows_by(
    session: Session, movement_id: int, key: tuple[sa.Column, ...], values: Iterable[tuple]
) -> list[sa.Row]:
    """The movement's ledger rows whose `key` columns take one of `values`, 500 at a time."""
    values = list(values)
    found: list[sa.Row] = []
    for i in range(0, len(values), 500):
        found += session.execute(
            sa.select(*_ROW).where(
                T.c.movement_id == movement_id, sa.tuple_(*key).in_(values[i : i + 500])
            )
        ).all()
    return found


def existing(
    session: Session, movement_id: int, keys: Iterable[tuple[str, str, str]]
) -> list[sa.Row]:
    return _rows_by(session, movement_id, (T.c.event, T.c.recipient, T.c.channel), keys)


def existing_pairs(
    session: Session, movement_id: int, pairs: Iterable[tuple[str, str]]
) -> list[sa.Row]:
    """The rows of these (event, recipient) pairs, on any channel."""
    return _rows_by(session, movement_id, (T.c.event, T.c.recipient), pairs)


def given(session: Session, movement_id: int, events: Iterable[str]) -> set[tuple[str, str]]:
    """The (event, recipient) pairs of these events the ledger holds and has not given up on
    (a failed one may go again: its address may have been corrected since). Read by event,
    on the ledger's key: a day's few events, however many recipients each had."""
    held: set[tuple[str, str]] = set()
    failed: set[tuple[str, str]] = set()
    for event, recipient, status in session.execute(
        sa.select(T.c.event, T.c.recipient, T.c.status).where(
            T.c.movement_id == movement_id, T.c.event.in_(sorted(set(events)))
        )
    ):
        (failed if status == FAILED else held).add((event, recipient))
    return held - failed


def claimable(now: datetime):
    """Rows a worker may take over: a retry whose time has come, or a reservation whose
    worker has held it past the lease (it crashed, or hung)."""
    return sa.or_(*claimable_parts(now))


def claimable_parts(now: datetime) -> tuple[sa.ColumnElement[bool], sa.ColumnElement[bool]]:
    """claimable's two cases, each answered by the status index on its own (SQLite reads the
    whole ledger for their OR when another index is at hand)."""
    return (
        sa.and_(T.c.status == RETRY, T.c.next_attempt_at <= now),
        sa.and_(T.c.status == RESERVED, T.c.reserved_at < now - LEASE),
    )


def claim(session: Session, ids: list[int], now: datetime, extra=None) -> set[int]:
    """Compare-and-set: take the rows among `ids` that are still claimable; return those won."""
    won: set[int] = set()
    cond = claimable(now) if extra is None else sa.or_(claimable(now), extra)
    for i in range(0, len(ids), 500):
        res = session.execute(
            sa.update(T)
            .where(T.c.id.in_(ids[i : i + 500]), cond)
            .values(status=RESERVED, reserved_at=now)
            .returning(T.c.id)
        )
        won |= {r[0] for r in res}
    return won


def due_ids(
    session: Session, movement_id: int, now: datetime, limit: int, after_id: int = 0
) -> list[int]:
    """Claimable rows in id order after `after_id` (a sweep pages through, never looping back
    to a row it gave back itself). A select per claimable status, each on the status index:
    a ledger is nearly all `sent`, so a sweep costs what is due, not every message the
    movement ever sent (one select with OR read them all through the movement's index)."""
    parts = [
        sa.select(T.c.id).where(T.c.movement_id == movement_id, T.c.id > after_id, due)
        for due in claimable_parts(now)
    ]
    return list(session.scalars(sa.union_all(*parts).order_by(sa.column("id")).limit(limit)))


def load(session: Session, ids: Iterable[int]) -> list[Row]:
    ids = list(ids)
    rows: list[Row] = []
    for i in range(0, len(ids), 500):
        rows += [
            Row(r.id, r.event, r.recipient, r.channel, r.address, r.attempts, r.payload)
            for r in session.execute(
                sa.select(
                    T.c.id,
                    T.c.event,
                    T.c.recipient,
                    T.c.channel,
                    T.c.address,
                    T.c.attempts,
                    T.c.payload,
                ).where(T.c.id.in_(ids[i : i + 500]))
            )
        ]
    return rows


_MARK = (
    sa.update(T)
    .where(T.c.id == sa.bindparam("_id"))
    .values(
        status=sa.bindparam("_status"),
        answer=sa.bindparam("_answer"),
        attempts=sa.bindparam("_attempts"),
        sent_at=sa.bindparam("_sent_at"),
        next_attempt_at=sa.bindparam("_next"),
    )
)


# Only a reservation becomes sent: a row a sweep already took back (the lease ran out under
# a hung worker) keeps the outcome that sweep records.
MARK_SENT = (
    sa.update(T)
    .where(T.c.id == sa.bindparam("_id"), T.c.status == RESERVED)
    .values(
        status=sa.bindparam("_status"),
        answer=sa.bindparam("_answer"),
        attempts=sa.bindparam("_attempts"),
        sent_at=sa.bindparam("_sent_at"),
        next_attempt_at=sa.bindparam("_next"),
    )
)


def mark(session: Session, results: list[dict[str, Any]]) -> None:
    """Record many outcomes in one executemany: dicts with _id, _status, _answer, _attempts,
    _sent_at, _next."""
    for i in range(0, len(results), 1000):
        session.connection().execute(_MARK, results[i : i + 1000])


def outcome(row: Row, ok: bool, permanent: bool, answer: str, now: datetime) -> dict[str, Any]:
    """The row's update after an attempt: sent; failed for good (a permanent answer, or too
    many tries); or due again after a backoff."""
    attempts = row.attempts + 1
    if not ok and not permanent and attempts >= MAX_ATTEMPTS:
        permanent, answer = True, f"đã thử {attempts} lần không thành công; lần cuối: {answer}"
    status = SENT if ok else FAILED if permanent else RETRY
    return dict(
        _id=row.id,
        _status=status,
        _answer=answer[:2000],
        _attempts=attempts,
        _sent_at=now if ok else None,
        _next=now + backoff(attempts) if status == RETRY else None,
    )


def postpone(row: Row, until: datetime, answer: str) -> dict[str, Any]:
    """Give a row back without counting an attempt (quiet hours, a lease about to run out)."""
    return dict(
        _id=row.id,
        _status=RETRY,
        _answer=answer,
        _attempts=row.attempts,
        _sent_at=None,
        _next=until,
    )


def cancel(row: Row, reason: str) -> dict[str, Any]:
    return dict(
        _id=row.id,
        _status=CANCELLED,
        _answer=reason,
        _attempts=row.attempts,
        _sent_at=None,
        _next=None,
    )


def person_id_of(recipient: str) -> int | None:
    kind, _, value = recipient.partition(":")
    return int(value) if kind == "person" and value.isdigit() else None


def failures(session: Session, movement_id: int) -> list[Failure]:
    """Every permanent failure of the movement, with the person and the reason in Vietnamese."""
    rows = session.execute(
        sa.select(T).where(T.c.movement_id == movement_id, T.c.status == FAILED).order_by(T.c.id)
    ).all()
    pids = {p for r in rows if (p := person_id_of(r.recipient)) is not None}
    people: dict[int | None, tuple[str, str]] = {}
    if pids:
        for pid, name, unit in session.execute(
            sa.select(col(Person.id), col(Person.full_name), col(Unit.name))
            .join(Unit, col(Unit.id) == Person.unit_id)
            .where(col(Person.id).in_(pids))
        ):
            people[pid] = (name, unit)
    out = []
    for r in rows:
        pid = person_id_of(r.recipient)
        name, unit = people.get(pid, (r.recipient, ""))
        out.append(
            Failure(
                r.id,
                pid,
                name,
                unit,
                r.channel,
                r.address,
                r.event,
                r.answer or "",
                r.attempts,
                r.sent_at or r.next_attempt_at or r.reserved_at,
            )
        )
    return out


def counts(session: Session, movement_id: int) -> dict[str, dict[str, int]]:
    """{channel: {status: n}} for a status page."""
    out: dict[str, dict[str, int]] = {}
    for ch, st, n in session.execute(
        sa.select(T.c.channel, T.c.status, sa.func.count())
        .where(T.c.movement_id == movement_id)
        .group_by(T.c.channel, T.c.status)
    ):
        out.setdefault(ch, {})[st] = n
    return out


def waiting(
    session: Session, movement_id: int, events: Iterable[str] | None = None, now=None
) -> list[str]:
    """The movement's messages not yet delivered nor given up (of these events, if given), as
    Vietnamese lines saying how many wait and why; empty when none wait."""
    cond = [T.c.movement_id == movement_id, T.c.status.in_((RESERVED, RETRY))]
    evs = sorted(set(events)) if events is not None else None
    if evs is not None and not evs:
        return []
    rows: list[sa.Row] = []
    for i in range(0, len(evs or [None]), 500):
        extra = [T.c.event.in_(evs[i : i + 500])] if evs is not None else []
        rows += session.execute(
            sa.select(
                T.c.status,
                sa.func.count(),
                sa.func.min(T.c.next_attempt_at),
                sa.func.max(T.c.answer),
            )
            .where(*cond, *extra)
            .group_by(T.c.status)
        ).all()
    held = sum(n for st, n, _, _ in rows if st == RESERVED)
    retry = [(n, at, answer) for st, n, at, answer in rows if st == RETRY]
    lines = []
    if held:
        lines.append(
            f"{held} thông báo đang được giữ chỗ để gửi (một lượt gửi khác đang chạy, hoặc "
            f"lượt trước bị dừng giữa chừng): gửi lại sau {int(LEASE.total_seconds() // 60)} "
            "phút giữ chỗ, khi rà soát hằng ngày hoặc bằng lệnh `thidua notify retry`"
        )
    n = sum(x[0] for x in retry)
    if n:
        from thidua.vn import TZ

        first = min((at for _, at, _ in retry if at is not None), default=None)
        when = ""
        if first is not None:
            first = first if first.tzinfo else first.replace(tzinfo=UTC)
            when = f", lần gửi lại sớm nhất lúc {first.astimezone(TZ):%H:%M ngày %d/%m/%Y}"
        why = "; ".join(sorted({a for _, _, a in retry if a})) or "lỗi tạm thời"
        lines.append(f"{n} thông báo chờ gửi lại ({why}){when}")
    return lines
