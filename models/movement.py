"""A movement (phong trào thi đua) as its launch directive describes it."""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Numeric, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.base import created_at, json_column


class Movement(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, index=True, max_length=64)
    year: int
    title: str = Field(max_length=500)
    doc_kind: str = Field(max_length=20)  # chi_thi | ke_hoach | cong_van
    doc_number: str | None = Field(default=None, max_length=20)  # blank on a draft
    doc_symbol: str = Field(max_length=40)  # "SCT-VP", "CT-UBND"
    summary: str | None = Field(default=None, max_length=500)  # trích yếu / V/v
    parent_agency: str | None = Field(default=None, max_length=200)
    agency: str = Field(max_length=200)
    agency_code: str = Field(max_length=20)
    place: str = Field(max_length=100)
    issued_date: str = Field(max_length=10)  # "2022-03-05", "2022-03" or "2024" as written
    theme: str
    theme_label: str = Field(default="Chủ đề", max_length=40)  # "Phương châm", "Khẩu hiệu"
    preamble: str | None = None
    closing: str | None = None
    signer_prefix: str | None = Field(default=None, max_length=60)  # "TM. ỦY BAN NHÂN DÂN"
    signer_title: str = Field(max_length=100)
    signer_name: str = Field(max_length=100)
    auto_periods: bool = False
    rule_set: str | None = Field(default=None, max_length=100)
    # Who decides and who proposes (thidua/authority.py), as resolved when the spec was stored.
    authority: dict = json_column(dict)
    reminder_policy: dict = json_column(dict)
    state: str = Field(default="draft", max_length=30, index=True)  # thidua.lifecycle.State
    state_changed_at: datetime | None = None
    spec_hash: str | None = Field(default=None, max_length=64)
    created_at: datetime = created_at()


class LegalBasis(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    movement_id: int = Field(foreign_key="movement.id", index=True)
    seq: int
    number: str = Field(max_length=60)
    issued_on: date | None = None
    issuer: str = Field(max_length=200)
    title: str


class Content(SQLModel, table=True):
    """An item or unnumbered paragraph of the directive, in text order, with its section and
    its depth (0: an item of the section, 1: its sub-item, …)."""

    id: int | None = Field(default=None, primary_key=True)
    movement_id: int = Field(foreign_key="movement.id", index=True)
    seq: int
    section: str | None = Field(default=None, max_length=300)
    number: str = Field(max_length=10)  # "" for an unnumbered paragraph
    depth: int = 0
    text: str


class Target(SQLModel, table=True):
    """A task target (chỉ tiêu): a number with its unit, exactly as written."""

    __table_args__ = (UniqueConstraint("movement_id", "code", name="uq_target_code"),)

    id: int | None = Field(default=None, primary_key=True)
    movement_id: int = Field(foreign_key="movement.id", index=True)
    seq: int
    code: str = Field(max_length=40)
    group: str | None = Field(default=None, max_length=300)
    label: str
    value: Decimal = Field(sa_type=Numeric(20, 4))
    value_text: str = Field(max_length=40)  # "174.186,0" as written
    unit: str = Field(max_length=40)  # "tỷ đồng", "triệu USD", "%"
    comparison: str = Field(default="at_least", max_length=20)  # at_least | at_most
    basis: str | None = Field(default=None, max_length=200)  # "Giá SS2010"
    growth_pct: Decimal | None = Field(default=None, sa_type=Numeric(8, 2))
    qualifier: str | None = Field(default=None, max_length=20)  # "khoảng", "không quá"
    growth_qualifier: str | None = Field(default=None, max_length=20)
    growth_basis: str | None = Field(default=None, max_length=200)  # "so với ước thực hiện…"
    parent_code: str | None = Field(default=None, max_length=40)  # "trong đó": part of it
    content_seq: int | None = None  # the Content.seq of the item listing it; None: not listed


class TitleQuota(SQLModel, table=True):
    """An emulation target: a quota of a title ("từ 15 đến 20%", "có từ 01 đến 02 đơn vị")."""

    id: int | None = Field(default=None, primary_key=True)
    movement_id: int = Field(foreign_key="movement.id", index=True)
    seq: int
    subject: str = Field(max_length=20)  # collective | individual
    title: str = Field(max_length=60)  # a title code of the rule set, or free text
    text: str  # as written
    kind: str = Field(max_length=10)  # percent | count
    minimum: Decimal | None = Field(default=None, sa_type=Numeric(10, 2))
    maximum: Decimal | None = Field(default=None, sa_type=Numeric(10, 2))


class Period(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("movement_id", "number", name="uq_period_number"),)

    id: int | None = Field(default=None, primary_key=True)
    movement_id: int = Field(foreign_key="movement.id", index=True)
    number: int
    name: str = Field(max_length=60)
    theme: str | None = None
    starts_on: date
    ends_on: date


class Deadline(SQLModel, table=True):
    """A date by which units owe something (registration, a period report, nominations…)."""

    __table_args__ = (UniqueConstraint("movement_id", "kind", name="uq_deadline_kind"),)

    id: int | None = Field(default=None, primary_key=True)
    movement_id: int = Field(foreign_key="movement.id", index=True)
    kind: str = Field(max_length=40)
    label: str = Field(max_length=200)
    due_on: date


class Recipient(SQLModel, table=True):
    """Kính gửi (addressed) and Nơi nhận (copied) lines of the directive."""

    id: int | None = Field(default=None, primary_key=True)
    movement_id: int = Field(foreign_key="movement.id", index=True)
    seq: int
    role: str = Field(max_length=20)  # addressee | copy
    name: str = Field(max_length=300)
