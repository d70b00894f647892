"""Award proposals: nominations and evidence, award history, the council and its ballots,
decisions."""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import LargeBinary, Numeric, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.base import created_at, json_column, timestamp


class Nomination(SQLModel, table=True):
    """A proposal that a person or a collective receive a title or award (hồ sơ đề nghị).

    status (thidua.statuses.NominationStatus, with its allowed moves): submitted →
    (returned → submitted)* → accepted → awarded | rejected; submitted | returned → withdrawn;
    an award can later be revoked."""

    __table_args__ = (
        UniqueConstraint("movement_id", "subject_key", "title", name="uq_nomination"),
    )

    id: int | None = Field(default=None, primary_key=True)
    movement_id: int = Field(foreign_key="movement.id", index=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)  # the proposing unit
    subject_kind: str = Field(max_length=12)  # individual | collective
    person_id: int | None = Field(default=None, foreign_key="person.id")
    collective_unit_id: int | None = Field(default=None, foreign_key="unit.id")
    subject_key: str = Field(max_length=40)
    title: str = Field(max_length=60)
    achievement: str = ""
    facts: dict = json_column(dict)  # task rating, months worked, discipline, initiatives…
    status: str = Field(default="submitted", max_length=20, index=True)
    status_reason: str | None = None
    # The unit's own order among its nominations for this title (1 = first): who stays within
    # a quota when the unit proposes more than it may. None: after the ranked ones.
    priority: int | None = None
    submitted_by: str = Field(max_length=100)
    submitted_at: datetime = created_at()


class NominationException(SQLModel, table=True):
    """The office's recorded exception: a nomination that fails a rule goes before the council
    all the same, for a stated reason (thidua.exceptions). One row per rule excepted."""

    __table_args__ = (UniqueConstraint("nomination_id", "rule_id", name="uq_nomination_exception"),)

    id: int | None = Field(default=None, primary_key=True)
    nomination_id: int = Field(foreign_key="nomination.id", index=True)
    rule_id: str = Field(max_length=100)
    finding: str  # what the check found when the exception was recorded (Vietnamese)
    legal_basis: str = ""
    reason: str
    recorded_by: str = Field(max_length=100)
    recorded_at: datetime = created_at()


class Evidence(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    nomination_id: int = Field(foreign_key="nomination.id", index=True)
    filename: str = Field(max_length=255)  # the uploader's name, shown only
    stored_name: str = Field(max_length=80, unique=True)  # generated; the only name on disk
    content_type: str = Field(max_length=100)
    size: int
    sha256: str = Field(max_length=64)
    uploaded_by: str = Field(max_length=100)
    uploaded_at: datetime = created_at()


class AwardHistory(SQLModel, table=True):
    """A title or award a person or collective received in a past year."""

    __table_args__ = (UniqueConstraint("subject_key", "year", "title", name="uq_award_history"),)

    id: int | None = Field(default=None, primary_key=True)
    subject_key: str = Field(max_length=40, index=True)
    person_id: int | None = Field(default=None, foreign_key="person.id")
    unit_id: int | None = Field(default=None, foreign_key="unit.id")
    year: int
    title: str = Field(max_length=60)
    decision_ref: str | None = Field(default=None, max_length=100)
    source: str = Field(default="import", max_length=20)  # import | decision


class Council(SQLModel, table=True):
    """The emulation-and-reward council (Hội đồng TĐKT) sitting for one movement."""

    __table_args__ = (UniqueConstraint("movement_id", name="uq_council_movement"),)

    id: int | None = Field(default=None, primary_key=True)
    movement_id: int = Field(foreign_key="movement.id")
    name: str = Field(max_length=200)
    chair_person_id: int | None = Field(default=None, foreign_key="person.id")


class CouncilMember(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("council_id", "person_id", name="uq_council_member"),)

    id: int | None = Field(default=None, primary_key=True)
    council_id: int = Field(foreign_key="council.id", index=True)
    person_id: int = Field(foreign_key="person.id")
    role: str = Field(default="member", max_length=20)  # chair | vice_chair | member | secretary


class Meeting(SQLModel, table=True):
    """A council sitting that appraises and votes; closed by the chair or by its deadline."""

    id: int | None = Field(default=None, primary_key=True)
    council_id: int = Field(foreign_key="council.id", index=True)
    opened_at: datetime = created_at()
    vote_deadline: datetime | None = timestamp()
    place: str | None = Field(default=None, max_length=200)
    status: str = Field(default="open", max_length=10)  # thidua.statuses.MeetingStatus
    closed_at: datetime | None = timestamp()
    closed_by: str | None = Field(default=None, max_length=100)
    result: dict = json_column(dict)


class Attendance(SQLModel, table=True):
    """The secretary's roll call: a member marked present, or absent with the reason given. A
    member who takes part (a ballot, a recusal) is present whatever the roll says."""

    __table_args__ = (UniqueConstraint("meeting_id", "member_id", name="uq_attendance"),)

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    member_id: int = Field(foreign_key="councilmember.id")
    present: bool
    reason: str | None = Field(default=None, max_length=300)  # why absent, where given
    marked_by: str = Field(max_length=100)
    at: datetime = created_at()


class Recusal(SQLModel, table=True):
    __table_args__ = (
        UniqueConstraint("meeting_id", "nomination_id", "member_id", name="uq_recusal"),
    )

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    nomination_id: int = Field(foreign_key="nomination.id")
    member_id: int = Field(foreign_key="councilmember.id")
    reason: str
    at: datetime = created_at()


class VoteReceipt(SQLModel, table=True):
    """That a member has voted on a nomination — never how. The unique constraint is the rule
    "one ballot per member per nomination"."""

    __table_args__ = (
        UniqueConstraint("meeting_id", "nomination_id", "member_id", name="uq_vote_receipt"),
    )

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    nomination_id: int = Field(foreign_key="nomination.id")
    member_id: int = Field(foreign_key="councilmember.id")


class BallotBox(SQLModel, table=True):
    """The sealed tally of an open meeting: per nomination the yes, no and blank counts,
    encrypted with a key kept outside the database (thidua/ballot_box.py) and re-sealed whole,
    with a fresh nonce, at each ballot. Opened (and deleted, its key destroyed) at close."""

    meeting_id: int = Field(foreign_key="meeting.id", primary_key=True)
    key_id: str = Field(max_length=32)
    sealed: bytes = Field(sa_type=LargeBinary)


class Tally(SQLModel, table=True):
    """The ballots of a closed meeting, counted: how many of each choice a nomination got.
    Written once, at close; there is never a row per ballot, so nothing to order or link."""

    __table_args__ = (UniqueConstraint("meeting_id", "nomination_id", "choice", name="uq_tally"),)

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    nomination_id: int = Field(foreign_key="nomination.id")
    choice: str = Field(max_length=10)  # yes | no | blank (blank = invalid)
    votes: int


class Decision(SQLModel, table=True):
    """A decision on awards (Quyết định) or a proposal upward (Tờ trình)."""

    id: int | None = Field(default=None, primary_key=True)
    movement_id: int = Field(foreign_key="movement.id", index=True)
    kind: str = Field(max_length=12)  # decision | proposal
    authority: str = Field(max_length=200)
    document_id: int | None = Field(default=None, foreign_key="issueddocument.id")
    signed_on: date | None = None
    approved_by: str | None = Field(default=None, max_length=100)
    approved_at: datetime | None = timestamp()
    created_at: datetime = created_at()


class DecisionItem(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("nomination_id", name="uq_decision_item_nomination"),)

    id: int | None = Field(default=None, primary_key=True)
    decision_id: int = Field(foreign_key="decision.id", index=True)
    nomination_id: int = Field(foreign_key="nomination.id")
    title: str = Field(max_length=60)
    amount: Decimal | None = Field(default=None, sa_type=Numeric(14, 0))
    revoked_at: datetime | None = timestamp()
    revoked_by: str | None = Field(default=None, max_length=100)
    revoke_reason: str | None = None
