"""deliver() and retry_due(): render, reserve in the ledger, send through the channels in a
small thread pool, mark. Works in batches with its own sessions, so a flow task can call it on
a chunk. A message the server accepted is recorded as sent at once, before its thread sends
the next one (_Recorder), so a crash resends at most the message each thread had in flight;
the other outcomes (retry, failed) are marked per batch (see ledger.py)."""

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import sqlalchemy as sa
from sqlmodel import Session, col

from models import Movement, Person, Unit
from models.base import utcnow
from models.db import session_scope
from thidua.errors import InvalidInput, NotFound, Problem
from thidua.notify import ledger, quiet
from thidua.notify.base import DeliveryReport, OutgoingMessage, PermanentFailure
from thidua.notify.channels import Answer, Channel, Worker, channels_from_settings
from thidua.notify.contacts import normalise_email, normalise_phone
from thidua.notify.messages import has_zns, render_email, render_zns

LEASE_MARGIN = 0.8  # stop starting new sends once 80% of the lease has gone
Sent = tuple[ledger.Row, Answer | None, bool]  # (row, answer, already recorded as sent)


class _Recorder:
    """Records an accepted message as sent the moment the server says so, on a connection of
    its own, one short transaction each. The sending threads share one gate: the step that
    makes a message taken (the SMTP end of data and its answer, a ZNS request, an outbox file)
    and its record happen under it, so a crash can find at most one message accepted but not
    recorded — one duplicate at most. The rest of a send (connection, envelope, body) runs
    in parallel; only the last step waits, and a server takes messages one at a time anyway.

    The commit need only survive the death of this process, not of the machine: SQLite runs
    it with synchronous=NORMAL (WAL, no fsync per commit) and PostgreSQL with
    synchronous_commit=off. A power cut can lose the last few records, and those messages
    are then sent again — the ledger's at-least-once, never a loss."""

    def __init__(self, clock: datetime | None) -> None:
        self.gate = threading.Lock()
        self.clock = clock
        self.conn: sa.Connection | None = None

    def _connection(self) -> sa.Connection:
        if self.conn is None:
            from models.db import get_engine

            conn = get_engine().connect()
            if conn.dialect.name == "sqlite":
                conn.exec_driver_sql("PRAGMA synchronous=NORMAL")
            else:
                conn.exec_driver_sql("SET synchronous_commit TO off")
            conn.commit()
            self.conn = conn
        return self.conn

    def seal(self, row: ledger.Row, step: Callable[[], Answer]) -> tuple[Answer, bool]:
        """Run the step that makes the message taken; if it was, record it as sent before
        releasing the gate. Returns (answer, recorded); not recorded (the database refused)
        leaves the mark to the batch."""
        with self.gate:
            a = step()
            if not a.ok:
                return a, False
            try:
                conn = self._connection()
                conn.execute(
                    ledger.MARK_SENT, ledger.outcome(row, True, False, a.text, _utc(self.clock))
                )
                conn.commit()
                return a, True
            except sa.exc.SQLAlchemyError:
                self.close()
                return a, False

    def close(self) -> None:
        if self.conn is not None:
            with contextlib.suppress(sa.exc.SQLAlchemyError):
                self.conn.close()
            self.conn = None


class _Pool:
    """Workers kept for the whole call (SMTP connections survive from batch to batch)."""

    def __init__(self, channels: dict[str, Channel], clock: datetime | None) -> None:
        self.recorder = _Recorder(clock)
        self.channels = channels
        self.workers: dict[str, list[Worker]] = {}
        self.executor = ThreadPoolExecutor(
            max_workers=max(1, sum(c.threads for c in channels.values())),
            thread_name_prefix="notify",
        )

    def _workers(self, medium: str) -> list[Worker]:
        if medium not in self.workers:
            ch = self.channels[medium]
            self.workers[medium] = [ch.worker() for _ in range(ch.threads)]
        return self.workers[medium]

    def start(self, rows: list[ledger.Row], stop_at: float) -> Callable[[], list[Sent]]:
        """Start sending the rows in the pool's threads; returns a function that waits for
        [(row, answer)] — answer None for a row not started because the lease ran short — so
        the caller can render and reserve the next batch meanwhile."""
        by_medium: dict[str, list[ledger.Row]] = {}
        for r in rows:
            by_medium.setdefault(r.channel, []).append(r)
        futures = []
        for medium, items in by_medium.items():
            workers = self._workers(medium)
            for i, w in enumerate(workers):
                part = items[i :: len(workers)]
                if part:
                    futures.append(self.executor.submit(_run, w, part, stop_at, self.recorder))

        def wait() -> list[Sent]:
            return [x for f in futures for x in f.result()]

        return wait

    def close(self) -> None:
        for ws in self.workers.values():
            for w in ws:
                w.close()
        self.executor.shutdown(wait=True)
        self.recorder.close()


def _run(w: Worker, rows: list[ledger.Row], stop_at: float, recorder: _Recorder) -> list[Sent]:
    w.reset()
    out: list[Sent] = []
    for r in rows:
        if time.monotonic() > stop_at:
            out.append((r, None, False))
            continue
        out.append(_send_one(w, r, recorder))
    return out


def _send_one(w: Worker, r: ledger.Row, recorder: _Recorder) -> Sent:
    recorded = False

    def seal(step: Callable[[], Answer]) -> Answer:
        nonlocal recorded
        a, recorded = recorder.seal(r, step)
        return a

    try:
        a = w.send(r, seal)
    except Exception as e:  # a bug in one message must not lose the batch's marks
        a = Answer(False, False, f"lỗi khi gửi: {e.__class__.__name__}: {e}")
    return r, a, recorded


def _utc(now: datetime | None) -> datetime:
    """Every time the ledger stores is UTC (SQLite keeps no offset)."""
    return now.astimezone(UTC) if now else utcnow()


def _chunks(items: list, n: int) -> Iterator[list]:
    for i in range(0, len(items), max(1, n)):
        yield items[i : i + n]


def _movement(session: Session, movement_id: int) -> Movement:
    m = session.get(Movement, movement_id)
    if m is None:
        raise NotFound(f"Không có phong trào mã số {movement_id}")
    return m


def _items(
    session: Session,
    movement: Movement,
    msgs: list[OutgoingMessage],
    known: dict[tuple[str, str, str], Any],
) -> list[dict[str, Any]]:
    """Ledger rows for the messages, rendered; a bad contact point becomes a failed row.
    A message already in the ledger (`known`) is not rendered again — a re-run or an hourly
    sweep costs a lookup, not a render — unless it failed for an address corrected since."""
    ids = {m.person_id for m in msgs}
    # plain columns, not ORM objects: ~10× cheaper for a 500-message batch
    people = {
        r.id: r
        for r in session.execute(
            sa.select(
                col(Person.id),
                col(Person.full_name),
                col(Person.email),
                col(Person.zalo_phone),
                col(Person.active),
                col(Unit.name).label("unit_name"),
            )
            .join(Unit, col(Unit.id) == Person.unit_id)
            .where(col(Person.id).in_(ids))
        )
    }
    base = {
        "movement_title": movement.title,
        "movement_theme": movement.theme,
        "movement_year": movement.year,
        "movement_code": movement.code,
        "agency": movement.agency,
    }
    rows: list[dict[str, Any]] = []

    def row(m, channel, address, payload, failed=None):
        rows.append(
            {
                "movement_id": movement.id,
                "event": m.event,
                "recipient": f"person:{m.person_id}",
                "channel": channel,
                "address": (address or "")[:254],
                "payload": payload,
                "status": ledger.FAILED if failed else ledger.RESERVED,
                "answer": failed,
                "attempts": 0,
            }
        )

    seen: dict[str, bool] = {}

    def is_file(path: str) -> bool:  # a notice's attachment, looked up once for the batch
        if path not in seen:
            seen[path] = Path(path).is_file()
        return seen[path]

    def needed(m: OutgoingMessage, channel: str, address: str) -> bool:
        k = known.get((m.event, f"person:{m.person_id}", channel))
        return k is None or (k.status == ledger.FAILED and k.address != address)

    for m in msgs:
        person = people.get(m.person_id)
        if person is None or not person.active:
            why = "không có người nhận này" if person is None else "người nhận không còn hoạt động"
            row(m, "email", "", {"kind": m.kind}, why)
            continue
        ctx = {
            **base,
            "recipient_name": person.full_name,
            "recipient_unit": person.unit_name,
            **m.context,
        }
        about = {k: m.context[k] for k in ("unit_id", "obligation_kind") if k in m.context}
        common = {"kind": m.kind, "movement_id": movement.id, "about": about}
        if not person.email and not person.zalo_phone:
            row(m, "email", "", common, "không có địa chỉ email hay số Zalo")
            continue
        if person.email:
            try:
                address, error = normalise_email(person.email), None
            except ValueError as e:
                address, error = person.email, str(e)
            if error:
                row(m, "email", address, common, error)
            elif needed(m, "email", address):
                form = render_email(m.kind, ctx)
                files = [str(p) for p in m.attachments] + form.attachments
                missing = [f for f in files if not is_file(f)]
                if missing:
                    raise InvalidInput(
                        "Không tìm thấy file đính kèm thông báo",
                        [Problem("attachments", f"không có file {f}", m.event) for f in missing],
                    )
                payload = {
                    **common,
                    "subject": form.subject,
                    "body": form.body,
                    "attachments": files,
                    "to_name": person.full_name,
                }
                row(m, "email", address, payload)
        if person.zalo_phone and has_zns(m.kind):
            try:
                address, error = normalise_phone(person.zalo_phone), None
            except ValueError as e:
                address, error = person.zalo_phone, str(e)
            if error:
                row(m, "zalo", address, common, error)
            elif needed(m, "zalo", address):
                zform = render_zns(m.kind, ctx)
                assert zform is not None  # has_zns
                payload = {**common, "template_id": zform.template_id, "params": zform.params}
                row(m, "zalo", address, payload)
    return rows


def _failure(session: Session, r: dict[str, Any] | ledger.Row, reason: str) -> PermanentFailure:
    recipient = r["recipient"] if isinstance(r, dict) else r.recipient
    pid = ledger.person_id_of(recipient)
    name = (
        session.scalar(sa.select(col(Person.full_name)).where(col(Person.id) == pid))
        if pid
        else None
    )
    get = (lambda k: r[k]) if isinstance(r, dict) else (lambda k: getattr(r, k))
    return PermanentFailure(
        pid, name or recipient, get("channel"), get("address"), get("event"), reason
    )


def _reserve(
    movement_id: int, msgs: list[OutgoingMessage], now: datetime, report: DeliveryReport
) -> list[ledger.Row]:
    """Render and reserve a batch; committed before anything is sent."""
    quiet_now = quiet.is_quiet(now)
    with session_scope() as s:
        movement = _movement(s, movement_id)
        pairs = {(m.event, f"person:{m.person_id}") for m in msgs}
        known = {
            (r.event, r.recipient, r.channel): r
            for r in ledger.existing_pairs(s, movement_id, pairs)
        }
        items = _items(s, movement, msgs, known)
        if quiet_now:
            opens = quiet.opens_at(now)
            for it in items:
                if it["status"] == ledger.RESERVED:
                    it.update(
                        status=ledger.RETRY, next_attempt_at=opens, answer="chờ hết giờ yên lặng"
                    )
        for it in items:
            it.setdefault("next_attempt_at", None)
            it["reserved_at"] = now
        new = ledger.insert_new(s, items)
        mine: list[ledger.Row] = []
        for it in items:
            key = (it["event"], it["recipient"], it["channel"])
            if key not in new:
                continue
            if it["status"] == ledger.FAILED:
                report.failed_permanent += 1
                report.count(it["channel"], "failed")
                report.permanent_failures.append(_failure(s, it, it["answer"]))
            elif it["status"] == ledger.RETRY:
                report.deferred += 1
            else:  # ours: the payload is in hand, no need to read it back
                mine.append(
                    ledger.Row(
                        new[key],
                        it["event"],
                        it["recipient"],
                        it["channel"],
                        it["address"],
                        0,
                        it["payload"],
                    )
                )
        # rows that were already there: sent, failed, another worker's, or due for a retry
        by_key = {(it["event"], it["recipient"], it["channel"]): it for it in items}
        old = ledger.existing(s, movement_id, [k for k in by_key if k not in new])
        old += [r for k, r in known.items() if k not in by_key]  # not rendered: known already
        to_claim, readdressed = [], []
        for r in old:
            fresh = by_key.get((r.event, r.recipient, r.channel))
            if r.status == ledger.SENT:
                report.skipped_already_sent += 1
            elif r.status == ledger.CANCELLED:
                report.cancelled += 1
            elif r.status == ledger.FAILED:
                if (
                    fresh is not None
                    and fresh["status"] != ledger.FAILED
                    and fresh["address"] != r.address
                    and not quiet_now
                ):
                    readdressed.append((r, fresh))  # the contact was corrected since: try it
                else:
                    report.skipped_failed_before += 1
            elif quiet_now:
                report.deferred += 1
            else:
                to_claim.append(r.id)
        won = ledger.claim(s, to_claim, now) if to_claim else set()
        report.pending += len(to_claim) - len(won)
        for r, it in readdressed:
            res = cast(
                sa.CursorResult,  # an UPDATE's result, which Session.execute types as a Result
                s.execute(
                    sa.update(ledger.T)
                    .where(
                        ledger.T.c.id == r.id,
                        ledger.T.c.status == ledger.FAILED,
                        ledger.T.c.address == r.address,
                    )
                    .values(
                        status=ledger.RESERVED,
                        reserved_at=now,
                        address=it["address"],
                        payload=it["payload"],
                        attempts=0,
                        answer=None,
                    )
                ),
            )
            if res.rowcount == 1:
                won.add(r.id)
            else:
                report.pending += 1
        return mine + ledger.load(s, sorted(won))


def _start(pool: _Pool, rows: list[ledger.Row], reserved_mono: float) -> Callable[[], list[Sent]]:
    stop_at = reserved_mono + ledger.LEASE.total_seconds() * LEASE_MARGIN
    return pool.start(rows, stop_at) if rows else list


def _mark(results: list[Sent], report: DeliveryReport, clock: datetime | None) -> None:
    if not results:
        return
    now = _utc(clock)
    marks = []
    with session_scope() as s:
        for row, a, recorded in results:
            if a is None:
                marks.append(ledger.postpone(row, now, "trả lại: hết thời hạn giữ chỗ"))
                report.pending += 1
                continue
            m = ledger.outcome(row, a.ok, a.permanent, a.text, now)
            if not recorded:
                marks.append(m)
            if m["_status"] == ledger.SENT:
                report.sent += 1
                report.count(row.channel, "sent")
            elif m["_status"] == ledger.RETRY:
                report.failed_temporary += 1
                report.count(row.channel, "retry")
            else:
                report.failed_permanent += 1
                report.count(row.channel, "failed")
                report.permanent_failures.append(_failure(s, row, m["_answer"]))
        ledger.mark(s, marks)


def deliver(
    movement_id: int,
    messages: list[OutgoingMessage],
    *,
    batch_size: int = 500,
    now: datetime | None = None,
) -> DeliveryReport:
    """Send each message to its person on each of their channels, at least once and never
    again once recorded as sent. `now` is for tests (quiet hours, lease, backoff clock).

    Batches overlap: batch k+1 is rendered and reserved while batch k is on the wire. Each
    accepted message is recorded as sent at once, so a crash leaves at most the message each
    sending thread had in flight sent but unrecorded (resent after the lease)."""
    report = DeliveryReport()
    channels = channels_from_settings()
    report.transports = {ch.medium: ch.transport for ch in channels.values()}
    pool = _Pool(channels, now)
    in_flight: Callable[[], list[Sent]] | None = None
    try:
        for chunk in _chunks(messages, batch_size):
            mono = time.monotonic()
            rows = _reserve(movement_id, chunk, _utc(now), report)
            if in_flight is not None:
                _mark(in_flight(), report, now)
            in_flight = _start(pool, rows, mono)
        if in_flight is not None:
            _mark(in_flight(), report, now)
            in_flight = None
    finally:
        if in_flight is not None:  # an error in the next batch: still record what went out
            _mark(in_flight(), report, now)
        pool.close()
    return report


def _moot(session: Session, movement: Movement, rows: list[ledger.Row], now: datetime) -> set[int]:
    """Reminder rows whose obligation has been met since they were reserved."""
    about = [r for r in rows if (r.payload.get("about") or {}).get("obligation_kind")]
    if not about:
        return set()
    from thidua.obligations import outstanding
    from thidua.vn import TZ

    owed = {(o.unit_id, o.kind) for o in outstanding(session, movement, now.astimezone(TZ).date())}
    return {
        r.id
        for r in about
        if (r.payload["about"].get("unit_id"), r.payload["about"]["obligation_kind"]) not in owed
    }


def retry_due(
    movement_id: int, *, batch_size: int = 500, now: datetime | None = None
) -> DeliveryReport:
    """The sweep: send again every row whose retry time has come, and every reservation a
    crashed worker left behind past the lease. Reminders that became moot are cancelled."""
    report = DeliveryReport()
    at = _utc(now)
    if quiet.is_quiet(at):
        return report
    channels = channels_from_settings()
    report.transports = {ch.medium: ch.transport for ch in channels.values()}
    pool = _Pool(channels, now)
    after = 0
    try:
        while True:
            mono = time.monotonic()
            with session_scope() as s:
                movement = _movement(s, movement_id)
                ids = ledger.due_ids(s, movement_id, at, batch_size, after_id=after)
                if not ids:
                    break
                after = ids[-1]
                won = ledger.claim(s, ids, at)
                report.pending += len(ids) - len(won)
                rows = ledger.load(s, sorted(won))
                moot = _moot(s, movement, rows, at)
                if moot:
                    ledger.mark(
                        s,
                        [
                            ledger.cancel(r, "đơn vị đã hoàn thành, không nhắc nữa")
                            for r in rows
                            if r.id in moot
                        ],
                    )
                    report.cancelled += len(moot)
                rows = [r for r in rows if r.id not in moot]
            _mark(_start(pool, rows, mono)(), report, now)
    finally:
        pool.close()
    return report
