"""How the movement stands against its own emulation targets (title quotas as the directive
wrote them: "từ 80% đạt Lao động tiên tiến", "có từ 01 đến 02 đơn vị…").

The rules engine refuses nominations beyond a maximum; this says, for the office and the
council, whether the minimums are met. A percentage is of the participating units (collective
titles) or of their active people (individual titles). Task ratings (HTTNV, HTXSNV) are not
nominated, so they are not followed here."""

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func
from sqlmodel import Session, col, select

from models import Movement, Nomination, Participant, Person, TitleQuota
from thidua.statuses import COUNTED  # as the rules engine counts them
from thidua.vn import number

RATINGS = {"HTTNV", "HTXSNV"}


@dataclass(frozen=True)
class QuotaStanding:
    text: str  # as the directive wrote it
    title: str
    achieved: int
    base: int | None  # the 100% of a percentage quota
    status: str  # đạt | chưa đạt | vượt | không theo dõi

    def line(self) -> str:
        if self.status == "không theo dõi":
            return f"«{self.text}»: không theo dõi qua hồ sơ khen thưởng"
        share = (
            f"{self.achieved}/{self.base} = {number(Decimal(100 * self.achieved) / self.base, 1)}%"
            if self.base
            else str(self.achieved)
        )
        return f"«{self.text}»: {share} → {self.status}"


def quota_standing(session: Session, movement: Movement) -> list[QuotaStanding]:
    quotas = session.exec(
        select(TitleQuota)
        .where(TitleQuota.movement_id == movement.id)
        .order_by(col(TitleQuota.seq))
    ).all()
    counts = dict(
        session.exec(
            select(Nomination.subject_kind + ":" + Nomination.title, func.count())
            .where(
                Nomination.movement_id == movement.id, col(Nomination.status).in_(sorted(COUNTED))
            )
            .group_by(Nomination.subject_kind, Nomination.title)
        ).all()
    )
    units = session.exec(
        select(func.count()).select_from(Participant).where(Participant.movement_id == movement.id)
    ).one()
    people = session.exec(
        select(func.count())
        .select_from(Person)
        .join(Participant, col(Participant.unit_id) == col(Person.unit_id))
        .where(Participant.movement_id == movement.id, Person.active)
    ).one()
    return [_standing(q, counts, units, people) for q in quotas]


def _standing(q: TitleQuota, counts: dict, units: int, people: int) -> QuotaStanding:
    if q.title in RATINGS:
        return QuotaStanding(q.text, q.title, 0, None, "không theo dõi")
    achieved = counts.get(f"{q.subject}:{q.title}", 0)
    base = (units if q.subject == "collective" else people) if q.kind == "percent" else None
    value = Decimal(100 * achieved) / base if base else Decimal(achieved)
    if q.minimum is not None and value < q.minimum:
        status = "chưa đạt"
    elif q.maximum is not None and value > q.maximum:
        status = "vượt"
    else:
        status = "đạt"
    return QuotaStanding(q.text, q.title, achieved, base, status)
