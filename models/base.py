"""Column helpers shared by every table."""

from datetime import UTC, datetime
from typing import Protocol, cast

from sqlalchemy import JSON, Column, DateTime, Table
from sqlalchemy.orm import Mapped
from sqlmodel import Field, SQLModel, col

from thidua.clock import now


def utcnow() -> datetime:
    """Now in UTC, from the movement clock (thidua.clock): every timestamp a table stores."""
    return now().astimezone(UTC)


def created_at() -> datetime:
    return Field(default_factory=utcnow, sa_type=DateTime(timezone=True), nullable=False)


def timestamp(nullable: bool = True):
    return Field(default=None, sa_type=DateTime(timezone=True), nullable=nullable)


def json_column(default_factory=dict):
    return Field(default_factory=default_factory, sa_column=Column(JSON, nullable=False))


class _Stored(Protocol):
    id: int | None


def saved_id(row: _Stored) -> int:
    """A stored row's primary key. `id` is `int | None` because a new row has none until it is
    flushed; code past that point reads it here, and a row never flushed is a bug, said so."""
    if row.id is None:
        raise ValueError(f"{type(row).__name__} has no id yet: it was never flushed")
    return row.id


def id_col(model: type[_Stored]) -> Mapped[int]:
    """A table's id column for select(): the ids it reads back are never NULL, though the
    model types `id` as `int | None` (a row not yet flushed has none)."""
    return cast("Mapped[int]", col(model.id))


def table_of(model: type[SQLModel]) -> Table:
    """A table model's Core table, for statements past the ORM."""
    return model.__table__  # type: ignore[attr-defined]  # set by SQLModel, not declared
