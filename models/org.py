"""The organisation: a tree of units of any depth, emulation blocks, people."""

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from models.base import json_column


class Unit(SQLModel, table=True):
    """A department, division, commune, enterprise: anything that takes part as a collective.

    The tree has no fixed tiers (province → commune since 2025; a Sở with its phòng)."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, index=True, max_length=64)
    name: str = Field(max_length=300)
    short_name: str | None = Field(default=None, max_length=100)
    kind: str | None = Field(default=None, max_length=100)
    parent_id: int | None = Field(default=None, foreign_key="unit.id", index=True)
    email: str | None = Field(default=None, max_length=254)
    headcount: int | None = None
    active: bool = True


class Block(SQLModel, table=True):
    """An emulation block (khối / cụm thi đua): units that compete and are scored together."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, index=True, max_length=64)
    name: str = Field(max_length=300)
    leader_unit_id: int | None = Field(default=None, foreign_key="unit.id")


class BlockMember(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("unit_id", name="uq_blockmember_unit"),)

    id: int | None = Field(default=None, primary_key=True)
    block_id: int = Field(foreign_key="block.id", index=True)
    unit_id: int = Field(foreign_key="unit.id")


class Person(SQLModel, table=True):
    """Someone who works in a unit; roles say what they may do (see thidua.roles)."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, index=True, max_length=64)
    full_name: str = Field(max_length=200)
    position: str | None = Field(default=None, max_length=200)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    email: str | None = Field(default=None, max_length=254)
    zalo_phone: str | None = Field(default=None, max_length=20)
    roles: list[str] = json_column(list)
    active: bool = True
