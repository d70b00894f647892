"""Who may read what: a dossier and its evidence are read by admins, by the units whose
subtree holds the proposing unit, and by the members of THAT movement's council — not by
everyone who holds a council role somewhere."""

from typing import Protocol

from sqlmodel import Session, col, select

from models import Council, CouncilMember, Nomination
from thidua.dossiers import subtree


class Reader(Protocol):  # read-only: a web user's flags are properties
    @property
    def is_admin(self) -> bool: ...
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
