"""Ballot secrecy against an attacker who copies the database after every commit.

SQLite: after each ballot the test copies thidua.db and thidua.db-wal, as a thief with read
access to the data directory could. The attacker decodes every version of every page (the
database file and every WAL frame, old ones included), diffs each copy against the one before,
identifies the voter from the new receipt and looks in the rest of the change for anything that
tells the choice: a choice word in a record, a counter that moved by one, the word in the raw
bytes that changed. PostgreSQL: the same diff over every row of every table with its ctid and
xmin, and over the raw heap pages of the ballot box, dead tuples included (pageinspect).

The close is the positive control: the attacker must see the counts appear there (proof that it
reads what is written), all at once, with no receipt to pair them with.
"""

import json
import os
import struct
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from models import BallotBox
from models.db import engine_for
from tests.test_ballots import open_, setup_council
from thidua import ballot_box
from thidua.ballots import (
    CHOICES,
    cast_ballot,
    cast_ballot_paper,
    close_due_meetings,
    close_meeting,
    results,
)
from thidua.errors import ThiduaError

WORDS = tuple(CHOICES)  # yes, no, blank: how a choice would be written if it were written


# --- the attacker's SQLite reader ---------------------------------------------------------------


def _varint(b: bytes, i: int) -> tuple[int, int]:
    v = 0
    for k in range(9):
        c = b[i + k]
        if k == 8:
            return (v << 8) | c, i + 9
        v = (v << 7) | (c & 0x7F)
        if c < 0x80:
            return v, i + k + 1
    raise ValueError


def _record(b: bytes) -> tuple:
    size, i = _varint(b, 0)
    types = []
    while i < size:
        t, i = _varint(b, i)
        types.append(t)
    out, j = [], size
    for t in types:
        n = {0: 0, 1: 1, 2: 2, 3: 3, 4: 4, 5: 6, 6: 8, 7: 8, 8: 0, 9: 0}.get(
            t, (t - 12) // 2 if t >= 12 else 0
        )
        raw = b[j : j + n]
        if len(raw) != n:
            raise ValueError
        j += n
        if t in (8, 9):
            out.append(t - 8)
        elif 1 <= t <= 6:
            out.append(int.from_bytes(raw, "big", signed=True))
        elif t == 7:
            out.append(struct.unpack(">d", raw)[0])
        elif t >= 13 and t % 2:
            out.append(raw.decode("utf-8", "replace"))
        elif t >= 12:
            out.append(bytes(raw))
        else:
            out.append(None)
    return tuple(out)


def _records(pgno: int, page: bytes) -> set[tuple]:
    """Every record of a B-tree page (table leaf, index leaf or interior), rowid first."""
    h = 100 if pgno == 1 else 0
    kind, out = page[h], set()
    if kind not in (0x0D, 0x0A, 0x02):
        return out
    cells = int.from_bytes(page[h + 3 : h + 5], "big")
    head = h + (12 if kind == 0x02 else 8)
    for c in range(cells):
        at = int.from_bytes(page[head + 2 * c : head + 2 * c + 2], "big")
        try:
            if kind == 0x02:
                at += 4
            size, i = _varint(page, at)
            rowid = None
            if kind == 0x0D:
                rowid, i = _varint(page, i)
            rec = _record(page[i : i + size])
            # an INTEGER PRIMARY KEY is the rowid, stored as NULL in the record
            out.add((rowid, *rec[1:]) if rec and rec[0] is None else (rowid, *rec))
        except (ValueError, IndexError):
            continue  # spilled to an overflow page: not ours (ballot data is small)
    return out


def _versions(db: bytes, wal: bytes) -> list[tuple[int, bytes]]:
    """Every page version the two files hold: the file's pages, then each WAL frame in turn."""
    size = int.from_bytes(db[16:18], "big") or 65536
    out = [(n + 1, db[n * size : (n + 1) * size]) for n in range(len(db) // size)]
    if len(wal) >= 32:
        wsize = int.from_bytes(wal[8:12], "big")
        for at in range(32, len(wal) - 24 - wsize + 1, 24 + wsize):
            out.append((int.from_bytes(wal[at : at + 4], "big"), wal[at + 24 : at + 24 + wsize]))
    return out


class Copy:
    def __init__(self, db: Path, wal: Path):
        self.versions = _versions(db.read_bytes(), wal.read_bytes() if wal.exists() else b"")
        self.records = set().union(*(_records(p, b) for p, b in self.versions))
        self.latest = dict(self.versions)  # page number → its last version


def _choice_in(value) -> bool:
    if isinstance(value, str):
        return value in WORDS or any(f'"{w}"' in value for w in WORDS)
    return False


def _incremented(new: tuple, old_records: set[tuple]) -> bool:
    """A record that is an older one with one integer one higher: a counter that moved."""
    for old in old_records:
        if len(old) != len(new) or old[0] != new[0]:
            continue
        diff = [k for k in range(len(new)) if new[k] != old[k]]
        if len(diff) != 1:
            continue
        a, b = new[diff[0]], old[diff[0]]
        if isinstance(a, int) and isinstance(b, int) and a == b + 1:
            return True
    return False


def _raw_words(before: Copy, after: Copy) -> set[str]:
    """Choice words in the bytes that changed, page by page, between two copies."""
    found = set()
    old_versions = set(before.versions)
    for pgno, page in after.versions:
        if (pgno, page) in old_versions:
            continue
        prior = before.latest.get(pgno, bytes(len(page)))
        changed = [k for k in range(len(page)) if k >= len(prior) or page[k] != prior[k]]
        if not changed:
            continue
        lo, hi = max(changed[0] - 8, 0), min(changed[-1] + 8, len(page))
        for w in ("yes", "blank"):  # "no" is two bytes: random ciphertext holds it by chance
            if w.encode() in page[lo:hi]:
                found.add(w)
    return found


def _voters(new: set[tuple], meeting_id: int, members: dict[int, int], agenda: set[int]):
    """Receipts among new records: (rowid, meeting, nomination, member) of the votereceipt
    table. The attacker knows the schema and the council."""
    return {
        members[r[3]]
        for r in new
        if len(r) == 4 and r[1] == meeting_id and r[2] in agenda and r[3] in members
    }


# --- the scenario -------------------------------------------------------------------------------


def _election(session, meeting, members, tinh, ldtt):
    """Ten ballots of all kinds: single ballots and papers, every choice."""
    plan = [
        (members[1], {tinh.id: "yes"}),
        (members[2], {tinh.id: "no"}),
        (members[3], {tinh.id: "blank", ldtt.id: "yes"}),
        (members[4], {tinh.id: "yes", ldtt.id: "no"}),
        (members[5], {ldtt.id: "blank"}),
        (members[6], {tinh.id: "no"}),
        (members[7], {ldtt.id: "yes"}),
        (members[8], {tinh.id: "yes", ldtt.id: "yes"}),
    ]
    for person, choices in plan:
        if len(choices) == 1:
            (nid, choice), = choices.items()  # fmt: skip
            cast_ballot(session, meeting, member_person_id=person.id,
                        nomination_id=nid, choice=choice)  # fmt: skip
        else:
            cast_ballot_paper(session, meeting, member_person_id=person.id,
                              choices=choices)  # fmt: skip
        yield person


def test_copies_of_sqlite_and_its_wal_after_every_ballot_link_no_member(sqlite_url):
    db = Path(sa.make_url(sqlite_url).database)
    wal = db.with_name(db.name + "-wal")
    with Session(engine_for(sqlite_url), expire_on_commit=False) as session:
        m, chair, members, tinh, ldtt = setup_council(session)
        meeting = open_(session, m)
        key_file = ballot_box.key_dir() / f"{session.get(BallotBox, meeting.id).key_id}.key"
        by_member = {
            cm_id: pid
            for cm_id, pid in session.execute(
                sa.text("select id, person_id from councilmember")
            ).all()
        }
        copies = [Copy(db, wal)]
        sealed_lengths = set()
        for person in _election(session, meeting, members, tinh, ldtt):
            copies.append(Copy(db, wal))
            before, after = copies[-2], copies[-1]
            new = after.records - before.records
            # The attacker sees who voted (the receipt says so: that is public)...
            assert _voters(new, meeting.id, by_member, {tinh.id, ldtt.id}) == {person.id}
            # ... and nothing of how: no choice word in any record, no counter that moved, no
            # choice word in the raw bytes that changed.
            assert not [r for r in new if any(_choice_in(v) for v in r)], person.code
            assert not [r for r in new if _incremented(r, before.records)], person.code
            assert _raw_words(before, after) == set(), person.code
            sealed_lengths |= {len(v) for r in new for v in r if isinstance(v, bytes)}
        # Every version of the box, in the WAL and the file, old ones included: no choice, and
        # all of one length (a count passing 9 or 99 changes nothing).
        last = copies[-1]
        assert not [r for r in last.records if any(_choice_in(v) for v in r)]
        assert len(sealed_lengths) == 1
        close_meeting(session, meeting, actor=chair.code)
        session.commit()
        stored = {v.nomination_id: (v.yes, v.no, v.returned) for v in results(session, meeting)}
    assert stored == {tinh.id: (3, 2, 6), ldtt.id: (3, 1, 5)}
    # Positive control: the counts appear at the close — all at once, with no receipt.
    closed = Copy(db, wal)
    new = closed.records - last.records
    tallies = sorted(r[1:] for r in new if len(r) == 5 and r[0] and r[3] in WORDS)
    want = [(tinh.id, "yes", 3), (tinh.id, "no", 2), (tinh.id, "blank", 1),
            (ldtt.id, "yes", 3), (ldtt.id, "no", 1), (ldtt.id, "blank", 1)]  # fmt: skip
    assert tallies == sorted((meeting.id, *t) for t in want)
    assert _raw_words(last, closed) == {"yes", "blank"}
    assert not _voters(new, meeting.id, by_member, {tinh.id, ldtt.id})
    # The key is gone: the sealed versions kept in the WAL copies open for nobody.
    assert not key_file.exists()
    old_box = next(v for r in last.records for v in r if isinstance(v, bytes) and len(v) > 40)
    with pytest.raises(ThiduaError, match="Không tìm thấy khoá"):
        ballot_box.unseal(key_file.stem, meeting.id, [tinh.id, ldtt.id], old_box)


# --- PostgreSQL ---------------------------------------------------------------------------------


def _pg_snapshot(session) -> dict[tuple[str, str], tuple]:
    """Every live row of every table, keyed by (table, ctid), with its xmin."""
    out = {}
    tables = session.execute(
        sa.text("select tablename from pg_tables where schemaname = 'public'")
    ).scalars()
    for t in tables:
        for row in session.execute(sa.text(f'select ctid::text, xmin::text, t.* from "{t}" t')):
            out[(t, row[0])] = tuple(
                json.dumps(v, sort_keys=True) if isinstance(v, dict | list) else v for v in row[1:]
            )
    return out


def _pg_box_pages(session) -> list[bytes]:
    """Raw tuple data of every version of the box row, dead ones included."""
    pages = session.execute(
        sa.text("select pg_relation_size('ballotbox') / current_setting('block_size')::int")
    ).scalar_one()
    out = []
    for p in range(pages):
        out += [
            bytes(d)
            for (d,) in session.execute(
                sa.text("select t_data from heap_page_items(get_raw_page('ballotbox', :p))"),
                {"p": p},
            )
            if d is not None
        ]
    return out


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_postgres_tables_and_their_physical_order_link_no_member(db_url):
    with Session(engine_for(db_url), expire_on_commit=False) as session:
        # The box's pages are read below, dead rows included: new pages, not those of the
        # boxes earlier tests deleted (the fixture empties tables with DELETE).
        session.execute(sa.text("truncate ballotbox cascade"))
        session.commit()
        try:
            session.execute(sa.text("create extension if not exists pageinspect"))
            session.commit()
            inspect = True
        except sa.exc.DBAPIError:
            session.rollback()
            inspect = False
        m, chair, members, tinh, ldtt = setup_council(session)
        meeting = open_(session, m)
        snaps = [_pg_snapshot(session)]
        for person in _election(session, meeting, members, tinh, ldtt):
            snaps.append(_pg_snapshot(session))
            before, after = snaps[-2], snaps[-1]
            changed = {k: v for k, v in after.items() if before.get(k) != v}
            # the receipt, the box and the audit that he voted (never how), in one transaction
            assert {k[0] for k in changed} == {"votereceipt", "ballotbox", "auditevent"}, (
                person.code
            )
            assert not [v for v in changed.values() if any(_choice_in(x) for x in v)]
            olds = {(k[0], *v[1:]) for k, v in before.items()}
            news = [(k[0], *v[1:]) for k, v in changed.items()]
            assert not [r for r in news if _incremented(r, olds)], person.code
            # receipt, box and audit share the transaction (xmin): the box says nothing readable
            xmins = {v[0] for v in changed.values()}
            assert len(xmins) == 1
        if inspect:
            versions = _pg_box_pages(session)
            assert len(versions) >= 2 and len({len(v) for v in versions}) == 1
            assert not [v for v in versions if b"yes" in v or b"blank" in v]
        close_meeting(session, meeting, actor=chair.code)
        session.commit()
        closed = _pg_snapshot(session)
        tallies = [v for k, v in closed.items() if k[0] == "tally"]
        # one transaction, one row per (nomination, choice): nothing per ballot to order
        assert len({v[0] for v in tallies}) == 1 and len(tallies) == 6
        assert not [k for k in closed if k[0] == "ballotbox"]


def test_the_sweep_removes_orphaned_keys_and_keeps_those_in_use(session):
    m, _chair, _members, tinh, _ = setup_council(session)
    meeting = open_(session, m, nomination_ids=[tinh.id])
    in_use = ballot_box.key_dir() / f"{session.get(BallotBox, meeting.id).key_id}.key"
    orphan = ballot_box.key_dir() / f"{ballot_box.new_key()}.key"  # its meeting never committed
    young = ballot_box.key_dir() / f"{ballot_box.new_key()}.key"
    old = time.time() - 2 * ballot_box.ORPHAN_AGE
    for path in (in_use, orphan):
        os.utime(path, (old, old))
    close_due_meetings(session)
    session.commit()
    assert in_use.exists() and young.exists() and not orphan.exists()
