"""What each unit still owes, and by when: the heart of đôn đốc (urging) and `thidua status`.

An obligation is open while the movement is in the states where it can be fulfilled; its due
date is the movement's deadline of that kind, or, where the directive set none, a date derived
from the periods (stated in DEFAULT_DUE below)."""

from dataclasses import dataclass
from datetime import date, timedelta

from sqlmodel import Session, col, select

from models import (
    BlockMember,
    CriteriaTable,
    Criterion,
    Deadline,
    Movement,
    Nomination,
    Participant,
    Period,
    PeriodReport,
    Registration,
    Score,
    Unit,
)
from models.base import id_col, saved_id
from thidua.lifecycle import State

KIND_LABELS = {
    "registration": "Đăng ký thi đua",
    "period_1_report": "Báo cáo kết quả Đợt 1",
    "period_2_report": "Báo cáo kết quả Đợt 2",
    "self_score": "Tự chấm điểm theo bảng tiêu chí",
    "nominations": "Hồ sơ đề nghị khen thưởng",
}


def one_period_labels(year: int) -> dict[str, str]:
    """A one-period movement's report is the year's, not "Đợt 1"'s."""
    return {"period_1_report": f"Báo cáo kết quả năm {year}"}


@dataclass(frozen=True)
class Owed:
    unit_id: int
    unit_code: str
    unit_name: str
    kind: str  # registration | period_1_report | period_2_report | self_score | nominations
    due_on: date
    label: str  # Vietnamese


def _windows(periods: list[Period]) -> dict[str, set[State]]:
    """The states in which each obligation is open (can be fulfilled and is urged)."""
    from thidua.dossiers import NOMINATION_STATES
    from thidua.submissions import REGISTRATION_STATES, REPORT_STATES

    # Scores are taken from Đợt 1 on (thidua.scoring), but urged only in the last period.
    last_open = State.PERIOD2_OPEN if len(periods) >= 2 else State.PERIOD1_OPEN
    last_closed = State.PERIOD2_CLOSED if len(periods) >= 2 else State.PERIOD1_CLOSED
    windows = {  # registrations, reports and nominations: the states the step is taken in
        "registration": set(REGISTRATION_STATES),
        "period_1_report": set(REPORT_STATES[1]),
        "self_score": {last_open, last_closed},
        "nominations": set(NOMINATION_STATES),
    }
    if len(periods) >= 2:
        windows["period_2_report"] = set(REPORT_STATES[2])
    return windows


def due_dates(session: Session, movement: Movement) -> dict[str, date]:
    """Each obligation's due date. Without a deadline in the spec: registration 31 March of
    the year (the usual practice), a period report on its period's last day, self-scores on the
    last period's last day, nominations 15 days after it."""
    periods = sorted(
        session.exec(select(Period).where(Period.movement_id == movement.id)).all(),
        key=lambda p: p.number,
    )
    due: dict[str, date] = {}
    if periods:
        due["registration"] = min(date(movement.year, 3, 31), periods[-1].ends_on)
        for p in periods:
            due[f"period_{p.number}_report"] = p.ends_on
        due["self_score"] = periods[-1].ends_on
        due["nominations"] = periods[-1].ends_on + timedelta(days=15)
    for d in session.exec(select(Deadline).where(Deadline.movement_id == movement.id)):
        due[d.kind] = d.due_on
    return due


def open_due_dates(session: Session, movement: Movement) -> dict[str, date]:
    """The due date of each obligation open in the movement's current stage (whoever still
    owes it): what the reminder policy needs to know whether anything can be due today."""
    periods = session.exec(select(Period).where(Period.movement_id == movement.id)).all()
    state = State(movement.state)
    kinds = [k for k, states in _windows(list(periods)).items() if state in states]
    if not kinds:
        return {}
    due = due_dates(session, movement)
    return {k: due[k] for k in kinds}


def outstanding(session: Session, movement: Movement, on: date | None = None) -> list[Owed]:
    """Every (unit, obligation) still open in the movement's current state.

    `on` is accepted for the reminder policy's sake (what is owed as of a day); submissions
    are counted whenever they arrived."""
    del on  # submissions are facts; a late one still clears the debt
    periods = session.exec(select(Period).where(Period.movement_id == movement.id)).all()
    state = State(movement.state)
    open_kinds = [k for k, states in _windows(list(periods)).items() if state in states]
    if not open_kinds:
        return []
    units = session.exec(
        select(id_col(Unit), Unit.code, Unit.name)
        .join(Participant, col(Participant.unit_id) == col(Unit.id))
        .where(Participant.movement_id == movement.id)
        .order_by(Unit.code)
    ).all()
    done = {kind: _fulfilled(session, movement, kind) for kind in open_kinds}
    due = due_dates(session, movement)
    labels = {**KIND_LABELS, **(one_period_labels(movement.year) if len(periods) == 1 else {})}
    rescore: dict[int, str] = {}
    if "self_score" in open_kinds:
        # A unit whose block has no criteria table in force has nothing to score against.
        scoreable, rescore = _self_score_scope(session, movement)
        done["self_score"] |= {uid for uid, _, _ in units if uid not in scoreable}
    return [
        Owed(uid, code, name, kind, due[kind],
             rescore.get(uid, labels[kind]) if kind == "self_score" else labels[kind])
        for uid, code, name in units
        for kind in open_kinds
        if uid not in done[kind]
    ]  # fmt: skip


def _self_score_scope(session: Session, movement: Movement) -> tuple[set[int], dict[int, str]]:
    """The units that have a criteria table in force to score against, and the label for those
    whose self-score was given against a version since replaced (they must score again)."""
    from thidua.scoring import current_tables, table_for

    tables = current_tables(session, saved_id(movement))
    if not tables:
        return set(), {}
    standing = dict(session.exec(select(BlockMember.unit_id, BlockMember.block_id)).all())
    table_of = {
        uid: table_for(tables, block_id or standing.get(uid))
        for uid, block_id in session.exec(
            select(Participant.unit_id, Participant.block_id).where(
                Participant.movement_id == movement.id
            )
        )
    }
    stale = set(
        session.exec(
            select(Score.unit_id)
            .join(Criterion, col(Criterion.id) == col(Score.criterion_id))
            .join(CriteriaTable, col(CriteriaTable.id) == col(Criterion.table_id))
            .where(
                Score.movement_id == movement.id,
                Score.scorer_kind == "self",
                col(CriteriaTable.replaced_at).is_not(None),
            )
            .distinct()
        )
    )
    rescore = {
        uid: f"Tự chấm điểm lại theo bảng tiêu chí mới (phiên bản {t.version})"
        for uid, t in table_of.items()
        if t is not None and uid in stale
    }
    return {uid for uid, t in table_of.items() if t is not None}, rescore


def _fulfilled(session: Session, movement: Movement, kind: str) -> set[int]:
    """The units that have met obligation `kind` (one query each)."""
    mid = movement.id
    if kind == "registration":
        q = select(Registration.unit_id).where(
            Registration.movement_id == mid, col(Registration.person_id).is_(None)
        )
    elif kind.startswith("period_"):
        number = int(kind.split("_")[1])
        q = select(PeriodReport.unit_id).where(
            PeriodReport.movement_id == mid,
            PeriodReport.period_number == number,
            PeriodReport.status != "returned",
        )
    elif kind == "self_score":
        q = (
            select(Score.unit_id)
            .join(Criterion, col(Criterion.id) == col(Score.criterion_id))
            .join(CriteriaTable, col(CriteriaTable.id) == col(Criterion.table_id))
            .where(
                Score.movement_id == mid,
                Score.scorer_kind == "self",
                col(CriteriaTable.replaced_at).is_(
                    None
                ),  # a replaced version's scores are owed again
            )
        )
    else:  # nominations: a unit that registered no title owes none
        registered = set(
            session.exec(select(Registration.unit_id).where(Registration.movement_id == mid))
        )
        units = set(session.exec(select(Participant.unit_id).where(Participant.movement_id == mid)))
        nominated = set(
            session.exec(
                select(Nomination.unit_id).where(
                    Nomination.movement_id == mid, Nomination.status != "draft"
                )
            )
        )
        return (units - registered) | nominated
    return set(session.exec(q.distinct()))
