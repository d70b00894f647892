"""Who is told what at each stage: the messages, as data for thidua.notify.deliver.

Recipients come from the organisation: a unit's focal points (đầu mối) get the work, its
heads (thủ trưởng) the escalations and the results, the council its invitations."""

from pathlib import Path

from sqlmodel import Session, col, select

from models import CouncilMember, Meeting, Movement, Participant, Person
from models.base import saved_id
from thidua.notify import OutgoingMessage


def participant_people(session: Session, movement: Movement, roles: set[str]) -> list[Person]:
    """Active people of participating units holding any of `roles`."""
    people = session.exec(
        select(Person)
        .join(Participant, col(Participant.unit_id) == col(Person.unit_id))
        .where(Participant.movement_id == movement.id, Person.active)
        .order_by(col(Person.id))
    ).all()
    return [p for p in people if roles & set(p.roles)]


def people_with_role(session: Session, roles: set[str]) -> list[Person]:
    people = session.exec(select(Person).where(Person.active).order_by(col(Person.id))).all()
    return [p for p in people if roles & set(p.roles)]


def to_people(
    people: list[Person],
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
            person_id=saved_id(p),
            context=dict(context),
            attachments=list(attachments or []),
        )
        for p in people
    ]


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
