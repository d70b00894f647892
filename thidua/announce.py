"""Who is told what at each stage: the messages, as data for thidua.notify.deliver.

Recipients come from the organisation: a unit's focal points (đầu mối) get the work, its
heads (thủ trưởng) the escalations and the results, the council its invitations."""

from collections.abc import Sequence
from pathlib import Path
from typing import Any, NamedTuple

from sqlalchemy import String, cast, or_
from sqlmodel import Session, col, select

from models import CouncilMember, Meeting, Movement, Participant, Person
from models.base import saved_id
from thidua.errors import InvalidInput, Problem
from thidua.notify import OutgoingMessage
from thidua.settings import get_settings


def _holding(roles: set[str]):
    """SQL for "holds one of these roles": the JSON list's text names it (exactly checked
    again in Python), so a notice to 2,000 focal points does not decode 60,000 role lists."""
    return or_(*(cast(Person.roles, String).like(f'%"{r}"%') for r in sorted(roles)))


class Recipient(NamedTuple):
    """Who a message goes to: enough to address it (thidua.notify reads the rest in bulk)."""

    id: int
    unit_id: int
    roles: list[str]


def participant_people(session: Session, movement: Movement, roles: set[str]) -> list[Recipient]:
    """Active people of participating units holding any of `roles`: three columns a person,
    not ORM objects (a province has 60,000 people; a notice goes to a few thousand)."""
    rows = session.exec(
        select(Person.id, Person.unit_id, Person.roles)
        .join(Participant, col(Participant.unit_id) == col(Person.unit_id))
        .where(Participant.movement_id == movement.id, Person.active, _holding(roles))
        .order_by(col(Person.id))
    ).all()
    return [Recipient(*r) for r in rows if roles & set(r[2] or [])]


def people_with_role(session: Session, roles: set[str]) -> list[Recipient]:
    rows = session.exec(
        select(Person.id, Person.unit_id, Person.roles)
        .where(Person.active, _holding(roles))
        .order_by(col(Person.id))
    ).all()
    return [Recipient(*r) for r in rows if roles & set(r[2] or [])]


def unit_people(session: Session, unit_ids: set[int], role: str) -> dict[int, list[Recipient]]:
    """The active people holding `role` in each of these units, in one query."""
    out: dict[int, list[Recipient]] = {}
    ids = sorted(unit_ids)
    for i in range(0, len(ids), 900):  # stay under SQLite's bound-parameter limit
        for r in session.exec(
            select(Person.id, Person.unit_id, Person.roles)
            .where(col(Person.unit_id).in_(ids[i : i + 900]), Person.active, _holding({role}))
            .order_by(col(Person.id))
        ):
            if role in (r[2] or []):
                out.setdefault(r[1], []).append(Recipient(*r))
    return out


def to_people(
    people: Sequence[Recipient | Person],
    *,
    event: str,
    kind: str,
    context: dict,
    attachments: list[Path] | None = None,
) -> list[OutgoingMessage]:
    """One message per person; thidua.notify adds the recipient's and the movement's names."""
    return [
        OutgoingMessage(
            event=event,
            kind=kind,
            person_id=p.id if isinstance(p, Recipient) else saved_id(p),
            context=dict(context),
            attachments=list(attachments or []),
        )
        for p in people
    ]


def carrying(doc_id: int, file: Path) -> tuple[dict[str, Any], list[Path]]:
    """What a notice of an issued document carries: the file, attached while it is no larger
    than the office's limit (THIDUA_ATTACH_MAX_KB), else only a link to it in the portal,
    where the recipients with a right to it download it (thidua.access). What a message
    weighs then does not grow with the province: a final report with a chart per block, sent
    to every unit head, would grow as units × blocks. The template reads `attached` and
    `document_url` (given either way) to say which."""
    settings = get_settings()
    url = f"{settings.portal_url.rstrip('/')}/document/{doc_id}"
    try:
        size = file.stat().st_size
    except OSError:
        raise InvalidInput(
            "Không tìm thấy văn bản để gửi kèm thông báo",
            [Problem("văn bản", f"không có file {file}", url)],
        ) from None
    attached = bool(settings.attach_max_kb) and size <= settings.attach_max_kb * 1024
    return {"attached": attached, "document_url": url}, [file] if attached else []


def council_people(session: Session, meeting: Meeting) -> list[Person]:
    """The members of the council sitting in `meeting`."""
    return list(
        session.exec(
            select(Person)
            .join(CouncilMember, col(CouncilMember.person_id) == col(Person.id))
            .where(CouncilMember.council_id == meeting.council_id)
            .order_by(col(Person.id))
        )
    )
