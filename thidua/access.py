"""Who may read what, and who may take which step.

A dossier and its evidence are read by admins, by the units whose subtree holds the proposing
unit, and by the members of THAT movement's council — not by everyone who holds a council role
somewhere. The steps (thidua.steps) resolve their actor here and check his right."""

from dataclasses import dataclass
from typing import Protocol

from sqlmodel import Session, col, select

from models import (
    Account,
    Block,
    Council,
    CouncilMember,
    Decision,
    IssuedDocument,
    Movement,
    Nomination,
    Participant,
    Person,
    Unit,
)
from thidua.dossiers import subtree
from thidua.errors import Forbidden, InvalidInput, Problem
from thidua.vn import nfc


class Reader(Protocol):  # read-only: a web user's flags are properties
    @property
    def is_admin(self) -> bool: ...
    @property
    def is_head(self) -> bool: ...
    @property
    def is_unit(self) -> bool: ...
    @property
    def unit_id(self) -> int | None: ...
    @property
    def person_id(self) -> int | None: ...


def sits_on_council(session: Session, person_id: int | None, movement_id: int) -> bool:
    if person_id is None:
        return False
    found = session.exec(
        select(CouncilMember.id)
        .join(Council, col(Council.id) == col(CouncilMember.council_id))
        .where(Council.movement_id == movement_id, CouncilMember.person_id == person_id)
    ).first()
    return found is not None


def may_read_dossier(session: Session, reader: Reader, nomination: Nomination) -> bool:
    if reader.is_admin:
        return True
    unit_id = reader.unit_id if reader.is_unit else None
    if unit_id is not None and nomination.unit_id in subtree(session, unit_id):
        return True
    return sits_on_council(session, reader.person_id, nomination.movement_id)


# The documents the office sends every participating unit (a notice carries each, attached or
# linked): the directive, the interim and final reports, and the decision once approved.
PUBLISHED = frozenset({"launch", "period_report", "final_report", "decision"})


def may_read_document(session: Session, reader: Reader, doc: IssuedDocument) -> bool:
    """Admins read every issued document; the agency's head the decisions and memos put to
    him; a unit's focal point or head the published ones of a movement the unit takes part in
    — not the other units' reports, the nominees' achievement reports or a draft decision."""
    if reader.is_admin:
        return True
    decision = session.exec(select(Decision).where(Decision.document_id == doc.id)).first()
    if reader.is_head and decision is not None:
        return True
    if not reader.is_unit or doc.kind not in PUBLISHED:
        return False
    if (decision is not None or doc.kind == "decision") and (
        decision is None or decision.kind != "decision" or decision.approved_at is None
    ):
        return False  # put to the head: only a decision, once approved, goes to the units
    return (
        session.exec(
            select(Participant.id).where(
                Participant.movement_id == doc.movement_id,
                Participant.unit_id == reader.unit_id,
            )
        ).first()
        is not None
    )


# --- who may take which step -----------------------------------------------------------------
# Every step names its actor as the portal knows him (an account's username) or as the office
# does (a person's code, or "person:ID"). The portal lets a unit act only for itself; the
# office's emulation staff (admin) may also act for a unit — enter a unit's registration,
# report, scores or dossier sent on paper or in a workbook — and the audit names who did.

UNIT_ROLES = frozenset({"focal_point", "unit_head"})


@dataclass(frozen=True)
class Actor:
    name: str  # as given, and as the audit records it
    person_id: int | None = None
    unit_id: int | None = None
    roles: frozenset[str] = frozenset()
    is_admin: bool = False
    is_head: bool = False  # the agency's head: unit_head of a unit at the top of the tree
    full_name: str = ""

    @property
    def is_unit(self) -> bool:
        return bool(self.roles & UNIT_ROLES) and self.unit_id is not None


def actor(session: Session, name: str) -> Actor:
    """Who `name` is: an active account (its person's roles, admin if flagged), else an active
    person by code or "person:ID". Refused, in words, if nobody or someone locked out."""
    name = nfc(name or "").strip()
    if not name:
        raise InvalidInput(
            "Chưa rõ người thực hiện", [Problem("Người thực hiện", "chưa nêu người thực hiện")]
        )
    account = session.exec(select(Account).where(Account.username == name)).first()
    person: Person | None = None
    admin = False
    if account is not None:
        if not account.active:
            raise Forbidden(f"Tài khoản '{name}' đã bị khóa.")
        admin = account.is_admin
        person = session.get(Person, account.person_id) if account.person_id else None
    else:
        person = session.exec(select(Person).where(Person.code == name)).first()
        if person is None and name.startswith("person:") and name[7:].isdigit():
            person = session.get(Person, int(name[7:]))
        if person is None:
            raise Forbidden(
                f"Không có người dùng '{name}' (tên đăng nhập, mã cán bộ) trong hệ thống."
            )
    if person is not None and not person.active:
        raise Forbidden(f"Cán bộ {person.full_name} ({person.code}) không còn hoạt động.")
    roles = set(person.roles or []) if person else set()
    if admin or "admin" in roles:
        roles.add("admin")
    unit = session.get(Unit, person.unit_id) if person else None
    return Actor(
        name=name,
        person_id=person.id if person else None,
        unit_id=person.unit_id if person else None,
        roles=frozenset(roles),
        is_admin="admin" in roles,
        is_head="unit_head" in roles and unit is not None and unit.parent_id is None,
        full_name=person.full_name if person else name,
    )


def for_unit(
    session: Session, who: Actor, unit_id: int, doing: str, movement: Movement | None = None
) -> None:
    """The unit's own focal point or head, or the office's emulation staff; with `movement`,
    for a unit that takes part in it."""
    unit = session.get(Unit, unit_id)
    if who.is_admin or (who.is_unit and who.unit_id == unit_id):
        if (
            movement is not None
            and not session.exec(
                select(Participant.id).where(
                    Participant.movement_id == movement.id, Participant.unit_id == unit_id
                )
            ).first()
        ):
            name = unit.name if unit else f"số {unit_id}"
            raise Forbidden(f"Đơn vị {name} không tham gia phong trào {movement.code}.")
        return
    raise Forbidden(
        f"{who.full_name} không được {doing} thay cho {unit.name if unit else 'đơn vị này'}: "
        "chỉ đầu mối thi đua, thủ trưởng của đơn vị hoặc cán bộ thường trực thi đua, khen "
        "thưởng được làm việc này."
    )


def office(who: Actor, doing: str) -> None:
    """The office's emulation staff (role admin)."""
    if not who.is_admin:
        raise Forbidden(
            f"{who.full_name} không được {doing}: chỉ cán bộ thường trực thi đua, khen thưởng "
            "của cơ quan được làm việc này."
        )


def head(who: Actor, doing: str) -> None:
    """The agency's head."""
    if not who.is_head:
        raise Forbidden(
            f"{who.full_name} không được {doing}: chỉ Thủ trưởng cơ quan được phê duyệt."
        )


def block_leader(session: Session, who: Actor, block_id: int | None, unit_name: str) -> None:
    """The leading unit of the block the scored unit belongs to (its focal point with the role
    khối trưởng), or the office's emulation staff."""
    if who.is_admin:
        return
    block = session.get(Block, block_id) if block_id is not None else None
    if (
        block is None
        or "block_leader" not in who.roles
        or who.unit_id is None
        or block.leader_unit_id != who.unit_id
    ):
        raise Forbidden(
            f"{who.full_name} không được chấm điểm khối trưởng cho {unit_name}: chỉ đơn vị "
            "trưởng khối thi đua của đơn vị này được chấm."
        )


def council_scorer(who: Actor) -> None:
    """The council's score is entered by the office's emulation staff or the council's chair."""
    if not (who.is_admin or "council_chair" in who.roles):
        raise Forbidden(
            f"{who.full_name} không được ghi điểm Hội đồng chấm: chỉ cán bộ thường trực thi "
            "đua, khen thưởng hoặc Chủ tịch Hội đồng được ghi."
        )
