"""The rules gate the ballot: a nomination that fails a criterion or a quota goes before the
council only if the office records an exception for it — who, when, which rule, why.

Without one, the appraisal returns it to its unit with the reasons (or the unit withdraws it),
the ballot paper leaves it out (thidua.ballots.open_meeting) and the decision does not award it
(thidua.awarding.draft_decisions, which checks again). An exception is recorded by the office's
emulation staff (role admin) or the council's chair, never by a unit or an ordinary member:
the office answers for what reaches the council, the chair for what the council considers.
Each exception is audited, shown on the dossier and listed in the minutes (for_meeting)."""

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from sqlmodel import Session, col, select

from models import (
    Account,
    Meeting,
    Movement,
    Nomination,
    NominationException,
    Person,
    Unit,
)
from models.base import saved_id
from thidua import statuses
from thidua.errors import Forbidden, InvalidInput, NotFound, Problem, TransitionRefused
from thidua.lifecycle import State, audit
from thidua.results import CheckResult, RuleFailure
from thidua.rules.engine import check_all, rule_set_for
from thidua.rules.ruleset import ROUNDINGS, SCOPES, RuleSet
from thidua.vn import TZ, long_date, nfc, percent

# Who may record an exception: the office's emulation staff and the council's chair.
RIGHTS = frozenset({"admin", "council_chair"})
# The nomination must still be before the office: not decided, withdrawn or revoked.
OPEN_STATUSES = statuses.OPEN
OPEN_STATES = frozenset({State.FINAL_TALLIED, State.PROPOSALS, State.APPRAISAL})
CLOSED_AS = {"awarded": "được khen thưởng", "rejected": "không được khen thưởng",
             "revoked": "bị thu hồi khen thưởng", "withdrawn": "được đơn vị rút"}  # fmt: skip


@dataclass(frozen=True)
class ExceptionView:
    """One recorded exception, as the minutes and the dossier page name it."""

    nomination_id: int
    subject_name: str
    title_name: str
    rule_id: str
    rule_text: str  # the rule in the rule set's Vietnamese words
    legal_basis: str
    finding: str  # what the check found when the exception was recorded
    reason: str
    recorded_by: str  # the person's full name where known
    recorded_at: datetime

    @property
    def when(self) -> str:
        """ "14:05 ngày 05 tháng 3 năm 2022", local time."""
        at = self.recorded_at
        at = (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(TZ)
        return f"{at:%H:%M} {long_date(at.date())}"


def may_record(session: Session, actor: str) -> bool:
    """Is `actor` (a portal username, a person's code or "person:ID") the office's emulation
    staff (admin) or the council's chair?"""
    from thidua.access import actor as resolve
    from thidua.errors import ThiduaError

    try:
        who = resolve(session, actor)
    except ThiduaError:
        return False
    return bool(RIGHTS & who.roles)


def record_exception(
    session: Session,
    *,
    movement: Movement,
    nomination_id: int,
    rule_ids: list[str],
    reason: str,
    actor: str,
) -> list[NominationException]:
    """Record that the nomination goes before the council although it fails these rules, for
    this reason. Refused, with nothing written: without a reason, by someone without the
    right, for a nomination of another movement or one already decided, or for a rule the
    nomination does not fail. A rule already excepted keeps its first exception: asking again
    records only the others, and nothing when there are none."""
    reason = nfc(reason or "").strip()
    rule_ids = [nfc(r).strip() for r in rule_ids if r and nfc(r).strip()]
    actor = nfc(actor or "").strip()
    if not actor:
        raise InvalidInput(
            "Không ghi nhận được ngoại lệ", [Problem("Người ghi nhận", "chưa nêu người ghi nhận")]
        )
    if not may_record(session, actor):
        raise Forbidden(
            f"Người dùng '{actor}' không có quyền ghi nhận ngoại lệ: chỉ cán bộ thường trực "
            "thi đua, khen thưởng của cơ quan hoặc Chủ tịch Hội đồng được ghi nhận."
        )
    nomination = session.get(Nomination, nomination_id)
    if nomination is None or nomination.movement_id != movement.id:
        raise NotFound(f"Hồ sơ số {nomination_id} không thuộc phong trào {movement.code}.")
    if State(movement.state) not in OPEN_STATES:
        raise TransitionRefused(
            f"Không ghi nhận ngoại lệ được: phong trào đang ở giai đoạn "
            f"'{State(movement.state).label}'."
        )
    if nomination.status not in OPEN_STATUSES:
        raise TransitionRefused(
            f"Không ghi nhận ngoại lệ được cho hồ sơ số {nomination_id}: hồ sơ đã "
            f"{CLOSED_AS.get(nomination.status, 'được xử lý')}."
        )
    problems: list[Problem] = []
    if not reason:
        problems.append(Problem("Lý do", "phải nêu lý do đưa hồ sơ ra Hội đồng dù chưa đạt"))
    if not rule_ids:
        problems.append(Problem("Tiêu chuẩn", "phải chọn ít nhất một tiêu chuẩn chưa đạt"))
    failing = {f.rule_id: f for f in _check(session, movement, nomination_id).failures}
    done = excepted(session, [nomination_id]).get(nomination_id, set())
    for rid in rule_ids:
        if rid not in failing and rid not in done:
            problems.append(
                Problem("Tiêu chuẩn", f"hồ sơ số {nomination_id} không vi phạm tiêu chuẩn '{rid}'")
            )
    if problems:
        raise InvalidInput("Không ghi nhận được ngoại lệ", problems)
    new = [rid for rid in dict.fromkeys(rule_ids) if rid not in done]
    if not new:  # recorded before: it stands as first recorded
        return list(
            session.exec(
                select(NominationException).where(
                    NominationException.nomination_id == nomination_id,
                    col(NominationException.rule_id).in_(rule_ids),
                )
            )
        )
    rows = []
    for rid in new:
        f = failing[rid]
        row = NominationException(
            nomination_id=nomination_id, rule_id=rid, finding=f.reason,
            legal_basis=f.legal_basis, reason=reason, recorded_by=actor,
        )  # fmt: skip
        session.add(row)
        rows.append(row)
    session.flush()
    audit(
        session,
        actor=actor,
        movement_id=movement.id,
        entity="nomination",
        entity_id=nomination_id,
        action="nomination.exception",
        reason=reason,
        data={"rules": new},
    )
    return rows


def _check(session: Session, movement: Movement, nomination_id: int) -> CheckResult:
    for c in check_all(session, movement):
        if c.nomination_id == nomination_id:
            return c
    return CheckResult(nomination_id, [])


def excepted(session: Session, nomination_ids: list[int] | None = None) -> dict[int, set[str]]:
    """nomination → the rule ids excepted for it."""
    query = select(NominationException.nomination_id, NominationException.rule_id)
    if nomination_ids is not None:
        query = query.where(col(NominationException.nomination_id).in_(nomination_ids))
    out: dict[int, set[str]] = {}
    for nid, rid in session.exec(query):
        out.setdefault(nid, set()).add(rid)
    return out


def uncovered(
    session: Session, movement: Movement, checks: list[CheckResult] | None = None
) -> dict[int, list[RuleFailure]]:
    """Every nomination of the movement → the failures no recorded exception covers (an empty
    list: it may go before the council)."""
    checks = check_all(session, movement) if checks is None else checks
    allowed = excepted(session, [c.nomination_id for c in checks])
    return {
        c.nomination_id: [
            f for f in c.failures if f.rule_id not in allowed.get(c.nomination_id, set())
        ]
        for c in checks
    }


def refusal(failures: list[RuleFailure]) -> str:
    """The reasons a dossier is returned or not awarded, in Vietnamese."""
    return "Chưa đạt tiêu chuẩn: " + "; ".join(f.reason for f in failures)


def for_nominations(session: Session, nomination_ids: list[int]) -> list[ExceptionView]:
    """The exceptions recorded for these nominations, oldest first."""
    if not nomination_ids:
        return []
    rows = session.exec(
        select(NominationException)
        .where(col(NominationException.nomination_id).in_(nomination_ids))
        .order_by(col(NominationException.recorded_at), col(NominationException.id))
    ).all()
    if not rows:
        return []
    noms = {
        n.id: n
        for n in session.exec(
            select(Nomination).where(col(Nomination.id).in_({r.nomination_id for r in rows}))
        )
    }
    rs = rule_set_for(session.get_one(Movement, next(iter(noms.values())).movement_id))
    names = subject_names(session, list(noms.values()))
    return [
        ExceptionView(
            nomination_id=r.nomination_id,
            subject_name=names.get(r.nomination_id, ""),
            title_name=rs.title_name(noms[r.nomination_id].title),
            rule_id=r.rule_id,
            rule_text=rule_text(rs, r.rule_id) or r.finding,
            legal_basis=r.legal_basis,
            finding=r.finding,
            reason=r.reason,
            recorded_by=_who(session, r.recorded_by),
            recorded_at=r.recorded_at,
        )
        for r in rows
    ]


def for_meeting(session: Session, meeting: Meeting) -> list[ExceptionView]:
    """The exceptions behind the nominations on a sitting's ballot paper, for its minutes."""
    from thidua.ballots import agenda

    return for_nominations(session, agenda(meeting))


def rule_text(rs: RuleSet, rule_id: str) -> str:
    """The rule in words: a criterion's own text where the rule set gives one, a quota's
    limit; "" where the rule set has no words for it."""
    for q in rs.quotas:
        if q.id == rule_id:
            if q.max_ratio is not None:
                pct = Decimal(q.max_ratio.numerator * 100) / q.max_ratio.denominator
                limit = (
                    f"không quá {percent(pct)} số {rs.title_name(q.of or '')} "
                    f"({ROUNDINGS[q.rounding]})"
                )
            else:
                limit = f"không quá {q.max_count}"
            return f"Số {rs.title_name(q.title)} mỗi {SCOPES[q.scope]} {limit}"
    for t in rs.titles.values():
        for rule in t.rules:
            if rule.id == rule_id:
                return str(getattr(rule, "text", "") or "")
    return ""


def _who(session: Session, actor: str) -> str:
    account = session.exec(select(Account).where(Account.username == actor)).first()
    person = None
    if account is not None and account.person_id:
        person = session.get(Person, account.person_id)
    elif account is None:
        person = session.exec(select(Person).where(Person.code == actor)).first()
    return person.full_name if person is not None else actor


def subject_names(session: Session, noms: list[Nomination]) -> dict[int, str]:
    people = dict(
        session.exec(
            select(Person.id, Person.full_name).where(
                col(Person.id).in_({n.person_id for n in noms if n.person_id})
            )
        ).all()
    )
    units = dict(
        session.exec(
            select(Unit.id, Unit.name).where(
                col(Unit.id).in_({n.collective_unit_id for n in noms if n.collective_unit_id})
            )
        ).all()
    )
    return {
        saved_id(n): people.get(n.person_id, "")
        if n.person_id
        else units.get(n.collective_unit_id, "")
        for n in noms
    }
