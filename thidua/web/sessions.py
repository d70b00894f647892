"""Portal sessions held by the server (table websession). The signed cookie carries a random
token; the row, keyed by the token's SHA-256, says whose session it is. Logging out, changing
the password, disabling the account or an admin's "end all sessions" delete rows, so a copied
cookie stops working at once. A session ends after IDLE without a request and at the latest
ABSOLUTE after login; its token changes at login and whenever the account's roles change."""

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlmodel import Session, col, select

from models import WebSession
from models.base import utcnow

IDLE = timedelta(minutes=30)
ABSOLUTE = timedelta(hours=8)  # a working day
TOUCH_EVERY = timedelta(minutes=1)  # seen_at is written at most this often (fewer writes)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _aware(t: datetime) -> datetime:
    return t if t.tzinfo is not None else t.replace(tzinfo=utcnow().tzinfo)  # SQLite drops it


def start(
    session: Session, account_id: int, *, password_stamp: str, privilege_stamp: str, ip: str = ""
) -> str:
    """A new session for the account; returns the token for the cookie."""
    token = secrets.token_urlsafe(32)
    row = WebSession(token_hash=_hash(token), account_id=account_id, ip=ip[:45],
                     password_stamp=password_stamp, privilege_stamp=privilege_stamp)  # fmt: skip
    session.add(row)
    return token


def find(session: Session, token: object) -> WebSession | None:
    """The live session behind a cookie's token; an expired one is deleted and None returned."""
    if not isinstance(token, str) or not 20 <= len(token) <= 100:
        return None
    row = session.get(WebSession, _hash(token))
    if row is None:
        return None
    now = utcnow()
    if now - _aware(row.seen_at) > IDLE or now - _aware(row.created_at) > ABSOLUTE:
        session.delete(row)
        return None
    if now - _aware(row.seen_at) > TOUCH_EVERY:
        row.seen_at = now
        session.add(row)
    return row


def rotate(session: Session, row: WebSession, *, privilege_stamp: str) -> str:
    """The same session under a new token (the old one stops working); keeps its start time,
    so rotating never extends the absolute limit."""
    token = secrets.token_urlsafe(32)
    session.add(WebSession(token_hash=_hash(token), account_id=row.account_id,
                           created_at=row.created_at, seen_at=utcnow(), ip=row.ip,
                           password_stamp=row.password_stamp,
                           privilege_stamp=privilege_stamp))  # fmt: skip
    session.delete(row)
    return token


def end(session: Session, token: object) -> None:
    if isinstance(token, str):
        session.exec(delete(WebSession).where(col(WebSession.token_hash) == _hash(token)))


def end_all(session: Session, account_id: int | None = None, *, keep: object = None) -> int:
    """End every session (of one account, or of everyone), except the token `keep`; returns
    how many ended."""
    query = delete(WebSession)
    if account_id is not None:
        query = query.where(col(WebSession.account_id) == account_id)
    if isinstance(keep, str):
        query = query.where(col(WebSession.token_hash) != _hash(keep))
    return session.exec(query).rowcount or 0


def purge_expired(session: Session) -> int:
    """Forget sessions past either limit (called at each login, so the table stays small)."""
    now = utcnow()
    return (
        session.exec(
            delete(WebSession).where(
                (col(WebSession.seen_at) < now - IDLE)
                | (col(WebSession.created_at) < now - ABSOLUTE)
            )
        ).rowcount
        or 0
    )


def count(session: Session, account_id: int) -> int:
    return len(session.exec(select(WebSession.token_hash).where(
        WebSession.account_id == account_id)).all())  # fmt: skip
