"""How the movement stands against its own targets: the figures it set (chỉ tiêu: progress
target by target, for the reports and the admin's dashboard) and its title quotas as the
directive wrote them ("từ 80% đạt Lao động tiên tiến", "có từ 01 đến 02 đơn vị…").

Progress: every unit's latest report up to the period (units report year-to-date figures),
summed over the units; a target measured in % takes the units' mean. At the end a target is met
or not; before, on schedule or late against the share of the movement's time gone by.

Quotas: the rules engine refuses nominations beyond a maximum; this says, for the office and
the council, whether the minimums are met. A percentage is of the participating units
(collective titles) or of their active people (individual titles). Task ratings (HTTNV, HTXSNV)
are not nominated, so they are not followed here."""

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func
from sqlmodel import Session, col, select

from models import (
    Movement,
    Nomination,
    Participant,
    Period,
    PeriodReport,
    Person,
    Target,
    TargetResult,
    TitleQuota,
)
from models.base import saved_id
from thidua.statuses import COUNTED, ReportStatus  # COUNTED: as the rules engine counts
from thidua.vn import number

# --- progress against the figures ------------------------------------------------------------


@dataclass(frozen=True)
class TargetProgress:
    target: Target
    achieved: Decimal  # the units' figures summed (a rate: their mean)
    growth: Decimal | None  # the units' growth together, where the directive set one
    pct: Decimal  # achieved against the plan, in %
    reported: bool  # at least one unit gave a figure
    ok: bool  # met (at the end), or on schedule (before)
    before_end: bool

    @property
    def status(self) -> str:
        if not self.reported:
            return "Chưa có số liệu"
        if self.before_end:
            return "Đúng tiến độ" if self.ok else "Chậm tiến độ"
        return "Đạt" if self.ok else "Chưa đạt"


@dataclass(frozen=True)
class Progress:
    rows: list[TargetProgress]  # in the directive's order of targets
    expected: Decimal | None  # before the last period: the share of time gone by, in %
    units: frozenset[int]  # the units whose report counts

    @property
    def reported(self) -> int:
        return len(self.units)


def target_progress(session: Session, movement: Movement, period_number: int) -> Progress:
    """Every target's progress at the end of period `period_number`."""
    latest, values = _latest_values(session, movement, period_number)
    expected = expected_pct(session, movement, period_number)
    rows = []
    targets = session.exec(
        select(Target).where(Target.movement_id == movement.id).order_by(col(Target.seq))
    ).all()
    for t in targets:
        tid = saved_id(t)
        per_report = (values.get(saved_id(r), {}) for r in latest.values())
        results = [v[tid] for v in per_report if tid in v]
        got = [Decimal(r.value) for r in results]
        percent = t.unit.strip() == "%"
        total = sum(got, Decimal(0))
        achieved = (total / len(got) if percent else total) if got else Decimal(0)
        growth = combined_growth(results, percent) if t.growth_pct is not None else None
        pct = achieved * 100 / t.value if t.value else Decimal(0)
        if expected is not None and t.comparison != "at_most":
            # before the end an amount is on time at the share of time gone by; its growth
            # against the same months of the baseline year stands as it is
            ok = pct >= expected and (
                growth is None or t.growth_pct is None or growth >= t.growth_pct
            )
        else:
            ok = meets(t, achieved, growth)
        rows.append(TargetProgress(t, achieved, growth, pct, bool(got), ok, expected is not None))
    return Progress(rows, expected, frozenset(latest))


def _latest_values(
    session: Session, movement: Movement, period_number: int
) -> tuple[dict[int, PeriodReport], dict[int, dict[int, TargetResult]]]:
    """Each unit's latest report up to the period, and its results by target."""
    reports = session.exec(
        select(PeriodReport)
        .where(
            PeriodReport.movement_id == movement.id,
            PeriodReport.period_number <= period_number,
            PeriodReport.status != ReportStatus.RETURNED,
        )
        .order_by(col(PeriodReport.period_number))
    ).all()
    latest = {r.unit_id: r for r in reports}  # later periods overwrite earlier ones
    values: dict[int, dict[int, TargetResult]] = defaultdict(dict)
    ids = [r.id for r in latest.values()]
    for i in range(0, len(ids), 500):
        for tr in session.exec(
            select(TargetResult).where(col(TargetResult.report_id).in_(ids[i : i + 500]))
        ):
            values[tr.report_id][tr.target_id] = tr
    return latest, values


def combined_growth(results: list[TargetResult], percent: bool) -> Decimal | None:
    """The growth of the units together: a rate's is the mean of theirs; an amount's is the sum
    of their figures against the sum of their baselines (figure / (1 + growth)). None when no
    unit gave one."""
    given = [(Decimal(r.value), Decimal(r.growth_pct)) for r in results if r.growth_pct is not None]
    if not given:
        return None
    if percent:
        return sum((g for _, g in given), Decimal(0)) / len(given)
    now = sum((v for v, _ in given), Decimal(0))
    base = sum((v / (1 + g / 100) for v, g in given), Decimal(0))
    return (now / base - 1) * 100 if base else None


def meets(t: Target, achieved: Decimal, growth: Decimal | None) -> bool:
    """At the end: the figure, and the growth where the directive set one, each on the side the
    target says ("không quá 3%": at most). A figure met exactly is met."""
    if t.comparison == "at_most":
        ok = achieved <= t.value
        return ok and (t.growth_pct is None or growth is None or growth <= t.growth_pct)
    ok = achieved >= t.value
    return ok and (t.growth_pct is None or growth is None or growth >= t.growth_pct)


def expected_pct(session: Session, movement: Movement, period_number: int) -> Decimal | None:
    """Before the last period, the share of the movement's time gone by at the period's end:
    a target is on schedule when its % of the year's plan is at least that. None at the end."""
    every = session.exec(
        select(Period).where(Period.movement_id == movement.id).order_by(col(Period.number))
    ).all()
    current = next((p for p in every if p.number == period_number), None)
    if current is None or current.number >= every[-1].number:
        return None
    start, end = every[0].starts_on, every[-1].ends_on
    gone = (current.ends_on - start).days + 1
    return Decimal(gone * 100) / Decimal((end - start).days + 1)


# --- the title quotas ------------------------------------------------------------------------
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
