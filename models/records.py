"""What the system has done: documents issued, notifications sent, the audit trail."""

from datetime import datetime

from sqlalchemy import DateTime, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.base import created_at, json_column, timestamp, utcnow


class DocumentCounter(SQLModel, table=True):
    """The last number used per agency, series and year (numbers restart each 1 January)."""

    agency: str = Field(primary_key=True, max_length=40)
    series: str = Field(primary_key=True, max_length=40)
    year: int = Field(primary_key=True)
    last: int = 0


class IssuedDocument(SQLModel, table=True):
    """A generated document, keyed so that re-running a stage returns the same one."""

    __table_args__ = (
        UniqueConstraint("movement_id", "kind", "subject_key", "version", name="uq_document_key"),
        UniqueConstraint("agency", "series", "year", "number", name="uq_document_number"),
    )

    id: int | None = Field(default=None, primary_key=True)
    movement_id: int = Field(foreign_key="movement.id", index=True)
    kind: str = Field(max_length=40)
    subject_key: str = Field(default="", max_length=60)
    version: int = 1
    agency: str = Field(max_length=40)
    series: str = Field(max_length=40)
    year: int
    number: int | None = None  # None for documents that carry no number (certificates)
    symbol: str | None = Field(default=None, max_length=60)  # "05/KH-SCT"
    title: str
    content_hash: str = Field(max_length=64)
    path: str  # within the document store
    pdf_path: str | None = None
    created_at: datetime = created_at()


class Notification(SQLModel, table=True):
    """The delivery ledger: reserved before sending, then marked sent or failed."""

    __table_args__ = (
        UniqueConstraint("movement_id", "event", "recipient", "channel", name="uq_notification"),
    )

    id: int | None = Field(default=None, primary_key=True)
    movement_id: int = Field(foreign_key="movement.id", index=True)
    event: str = Field(max_length=120)
    recipient: str = Field(max_length=120)  # "person:55"
    channel: str = Field(max_length=20)  # email | zalo | outbox
    address: str = Field(max_length=254)
    status: str = Field(default="reserved", max_length=12, index=True)
    attempts: int = 0
    answer: str | None = None
    next_attempt_at: datetime | None = timestamp()
    reserved_at: datetime = created_at()
    sent_at: datetime | None = timestamp()
    # The rendered message (subject, body, attachment paths / ZNS template and params), so a
    # retry sweep or a crashed worker's successor can send exactly what was reserved.
    payload: dict = json_column(dict)


class ChannelToken(SQLModel, table=True):
    """A channel's live credentials shared by every worker (the Zalo OA access token and its
    single-use refresh token). A refresh locks this row, so one worker spends the refresh token
    and the others read the fresh pair."""

    name: str = Field(primary_key=True, max_length=100)  # "zns:APP_ID"
    access_token: str = ""
    refresh_token: str = ""
    expires_at: datetime | None = timestamp()
    version: int = 0  # compare-and-set: bumped by every refresh
    updated_at: datetime | None = timestamp()


class AuditEvent(SQLModel, table=True):
    """Who did what, when, from which state to which, and why. Written in the same transaction
    as the change it records; never updated."""

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = created_at()
    actor: str = Field(max_length=100)
    movement_id: int | None = Field(default=None, foreign_key="movement.id", index=True)
    entity: str = Field(max_length=40)
    entity_id: str | None = Field(default=None, max_length=40)
    action: str = Field(max_length=60)
    from_state: str | None = Field(default=None, max_length=30)
    to_state: str | None = Field(default=None, max_length=30)
    reason: str | None = None
    data: dict = json_column(dict)
    # A hash chain (thidua.auditchain): each event carries the hash of the one before and its
    # own over both, so an edited, deleted, inserted or reordered row breaks the chain.
    prev_hash: str = Field(default="", max_length=64)
    hash: str = Field(default="", max_length=64)


class Account(SQLModel, table=True):
    """A login for the portal; the person's roles decide what it may do."""

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(unique=True, index=True, max_length=100)
    password_hash: str = Field(max_length=200)
    person_id: int | None = Field(default=None, foreign_key="person.id")
    is_admin: bool = False
    active: bool = True
    created_at: datetime = created_at()


class WebSession(SQLModel, table=True):
    """A portal login held by the server: the cookie carries a random token, this table only
    its SHA-256 (a copy of the database opens no session). Deleting the row ends the session
    at once, whatever the browser still holds."""

    token_hash: str = Field(primary_key=True, max_length=64)
    account_id: int = Field(foreign_key="account.id", index=True)
    seen_at: datetime = created_at()  # (before the field below hides the helper's name)
    created_at: datetime = created_at()
    password_stamp: str = Field(max_length=16)  # the password it was opened with
    privilege_stamp: str = Field(max_length=16)  # roles and unit: a change rotates the id
    ip: str = Field(default="", max_length=45)


class LoginFailure(SQLModel, table=True):
    """A failed login or password check, shared by every server process: the limiter counts
    these per account and per address over a window."""

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True), index=True)
    username: str = Field(max_length=100, index=True)
    ip: str = Field(max_length=45, index=True)
