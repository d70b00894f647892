"""What units submit during a movement: registrations, period reports, block scores."""

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Numeric, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.base import created_at, timestamp


class Participant(SQLModel, table=True):
    """A unit taking part in a movement (fixed at launch, so later org changes don't move it)."""

    __table_args__ = (UniqueConstraint("movement_id", "unit_id", name="uq_participant"),)

    id: int | None = Field(default=None, primary_key=True)
    movement_id: int = Field(foreign_key="movement.id", index=True)
    unit_id: int = Field(foreign_key="unit.id")
    block_id: int | None = Field(default=None, foreign_key="block.id")


class Registration(SQLModel, table=True):
    """A unit's or a person's registration for a title (đăng ký thi đua)."""

    __table_args__ = (
        UniqueConstraint("movement_id", "subject_key", "title", name="uq_registration"),
    )

    id: int | None = Field(default=None, primary_key=True)
    movement_id: int = Field(foreign_key="movement.id", index=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    person_id: int | None = Field(default=None, foreign_key="person.id")
    subject_key: str = Field(max_length=40)  # "unit:12" | "person:55"
    title: str = Field(max_length=60)
    pledge: str | None = None
    submitted_by: str = Field(max_length=100)
    submitted_at: datetime = created_at()


class PeriodReport(SQLModel, table=True):
    """A unit's report at the end of a period; a returned report goes back to its unit, which
    sends it again (thidua.statuses.ReportStatus)."""

    __table_args__ = (
        UniqueConstraint("movement_id", "unit_id", "period_number", name="uq_period_report"),
    )

    id: int | None = Field(default=None, primary_key=True)
    movement_id: int = Field(foreign_key="movement.id", index=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    period_number: int
    status: str = Field(default="submitted", max_length=20)  # submitted | returned
    summary: str = ""
    submitted_by: str = Field(max_length=100)
    submitted_at: datetime = created_at()
    returned_reason: str | None = None


class TargetResult(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("report_id", "target_id", name="uq_target_result"),)

    id: int | None = Field(default=None, primary_key=True)
    report_id: int = Field(foreign_key="periodreport.id", index=True)
    target_id: int = Field(foreign_key="target.id")
    value: Decimal = Field(sa_type=Numeric(20, 4))
    growth_pct: Decimal | None = Field(default=None, sa_type=Numeric(8, 2))  # vs the baseline
    note: str | None = None


class CriteriaTable(SQLModel, table=True):
    """The block's scoring table (bảng tiêu chí chấm điểm); block_id None = every block.

    Versioned: a replacement after launch is a new row (version + 1) and the old one is marked
    replaced; the old row, its criteria and the scores given against them stay as the record."""

    __table_args__ = (
        UniqueConstraint("movement_id", "block_id", "version", name="uq_criteria_table"),
    )

    id: int | None = Field(default=None, primary_key=True)
    movement_id: int = Field(foreign_key="movement.id", index=True)
    block_id: int | None = Field(default=None, foreign_key="block.id")
    name: str = Field(max_length=300)
    version: int = 1
    replaced_at: datetime | None = timestamp()  # None: the version in force


class Criterion(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("table_id", "code", name="uq_criterion_code"),)

    id: int | None = Field(default=None, primary_key=True)
    table_id: int = Field(foreign_key="criteriatable.id", index=True)
    seq: int
    code: str = Field(max_length=20)
    text: str
    max_points: Decimal = Field(sa_type=Numeric(8, 2))
    evidence_required: str | None = None


class Score(SQLModel, table=True):
    """Points for one criterion: the unit's own (self), the block leader's or the council's."""

    __table_args__ = (UniqueConstraint("unit_id", "criterion_id", "scorer_kind", name="uq_score"),)

    id: int | None = Field(default=None, primary_key=True)
    movement_id: int = Field(foreign_key="movement.id", index=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    criterion_id: int = Field(foreign_key="criterion.id")
    scorer_kind: str = Field(max_length=10)  # self | leader | council
    points: Decimal = Field(sa_type=Numeric(8, 2))
    evidence: str | None = None
    scored_by: str = Field(max_length=100)
    scored_at: datetime = created_at()
    updated_at: datetime | None = timestamp()
