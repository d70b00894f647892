"""The sealed ballot box of an open meeting.

While a meeting is open its tallies — per nomination, how many yes, no and blank ballots — are
kept in one row (BallotBox), encrypted with a key that is never in the database: a random key
in a file of its own under the key directory (settings.ballot_key_dir, 0600). Each ballot
re-seals the whole box with a fresh nonce and a fixed length, so a copy of the database or its
WAL taken after every commit shows only that the box changed, never which count did. At close
the box is opened once, its counts are written as plain tallies, the box row is deleted and the
key file is overwritten and removed once the close has committed: the old sealed versions left
in the WAL, in free pages or in PostgreSQL's dead tuples can then be read by nobody.

Cipher (standard library only): HMAC-SHA256 as a pseudo-random function, in counter mode for
the keystream and as the tag over meeting, key id, agenda, nonce and ciphertext
(encrypt-then-MAC); a box altered or swapped fails its tag.
"""

import hmac
import os
import secrets
import struct
import time
from pathlib import Path

from sqlalchemy import event
from sqlmodel import Session

from thidua.errors import ThiduaError
from thidua.settings import get_settings

ORDER = ("yes", "no", "blank")  # the counts of a nomination, in this order, 2 bytes each
NONCE, TAG = 16, 32
ORPHAN_AGE = 86400  # s: a key no box names (its meeting never committed) is removed after this

Counts = dict[int, dict[str, int]]


def key_dir() -> Path:
    return Path(get_settings().ballot_key_dir)


def _path(key_id: str) -> Path:
    if not (len(key_id) == 32 and all(c in "0123456789abcdef" for c in key_id)):
        raise ThiduaError("Mã khoá hòm phiếu không hợp lệ")
    return key_dir() / f"{key_id}.key"


def new_key() -> str:
    """A fresh random key in its own 0600 file; its id (random, not the key) goes in the box."""
    key_id = secrets.token_hex(16)
    folder = key_dir()
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(_path(key_id), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(secrets.token_bytes(32))
        f.flush()
        os.fsync(f.fileno())
    return key_id


def _key(key_id: str) -> bytes:
    try:
        return _path(key_id).read_bytes()
    except FileNotFoundError:
        raise ThiduaError(
            f"Không tìm thấy khoá của hòm phiếu trong {key_dir()}: không mở được hòm phiếu của "
            "phiên họp (khoá bị xoá hoặc thư mục dữ liệu không đúng)"
        ) from None


def forget(key_id: str) -> None:
    """Overwrite and remove a key file (best effort against recovery of the old bytes: a
    copy-on-write or journalling file system may keep them)."""
    path = _path(key_id)
    try:
        with open(path, "r+b") as f:
            f.write(bytes(len(f.read())))
            f.flush()
            os.fsync(f.fileno())
        path.unlink()
    except FileNotFoundError:
        pass


def forget_after_commit(session: Session, key_id: str) -> None:
    """Destroy the key once the caller's transaction commits (a close rolled back keeps it)."""

    # listeners stay registered (removing one while it runs is unsafe): once only
    settled: list[bool] = []

    def committed(_session) -> None:
        if not settled:
            settled.append(True)
            forget(key_id)

    def rolled_back(_session) -> None:
        settled.append(False)

    event.listen(session, "after_commit", committed)
    event.listen(session, "after_rollback", rolled_back)


def forget_orphans(in_use: set[str]) -> int:
    """Remove key files no box names any more, older than ORPHAN_AGE (a close whose process
    died between commit and removal; a meeting opened and rolled back)."""
    folder, gone = key_dir(), 0
    if not folder.is_dir():
        return 0
    for path in folder.glob("*.key"):
        if path.stem not in in_use and time.time() - path.stat().st_mtime > ORPHAN_AGE:
            forget(path.stem)
            gone += 1
    return gone


def _stream(key: bytes, nonce: bytes, n: int) -> bytes:
    blocks = (n + 31) // 32
    return b"".join(
        hmac.digest(key, b"stream" + nonce + i.to_bytes(4, "big"), "sha256") for i in range(blocks)
    )[:n]


def _bound(meeting_id: int, key_id: str, agenda: list[int]) -> bytes:
    return f"{meeting_id}|{key_id}|{','.join(map(str, agenda))}".encode()


def seal(key_id: str, meeting_id: int, agenda: list[int], counts: Counts) -> bytes:
    """The box's bytes for these counts: same length whatever they are."""
    key = _key(key_id)
    plain = b"".join(
        struct.pack(">3H", *(counts.get(n, {}).get(c, 0) for c in ORDER)) for n in agenda
    )
    nonce = secrets.token_bytes(NONCE)
    cipher = bytes(a ^ b for a, b in zip(plain, _stream(key, nonce, len(plain)), strict=True))
    tag = hmac.digest(key, b"tag" + _bound(meeting_id, key_id, agenda) + nonce + cipher, "sha256")
    return nonce + cipher + tag


def unseal(key_id: str, meeting_id: int, agenda: list[int], sealed: bytes) -> Counts:
    key = _key(key_id)
    nonce, cipher, tag = sealed[:NONCE], sealed[NONCE:-TAG], sealed[-TAG:]
    want = hmac.digest(key, b"tag" + _bound(meeting_id, key_id, agenda) + nonce + cipher, "sha256")
    if len(cipher) != 6 * len(agenda) or not hmac.compare_digest(tag, want):
        raise ThiduaError("Hòm phiếu của phiên họp đã bị sửa đổi: không kiểm được phiếu")
    plain = bytes(a ^ b for a, b in zip(cipher, _stream(key, nonce, len(cipher)), strict=True))
    return {
        n: dict(zip(ORDER, struct.unpack_from(">3H", plain, 6 * i), strict=True))
        for i, n in enumerate(agenda)
    }
