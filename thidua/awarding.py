"""From the council's count to the awards: the decisions drafted for the head, the head's
approval (a human decision, recorded), and what approval sets going.

The agency's head decides the titles within his authority (the agency's authority profile says
which, thidua/authority.py); the rest go upward with a proposal memo (tờ trình) to the authority
the profile names (a Sở to the Chủ tịch UBND tỉnh, a UBND tỉnh to the Thủ tướng). A nomination the
council passed, checked again at drafting against the rules (or carrying a recorded exception
for each rule it fails, thidua.exceptions), becomes "accepted"; on approval of the decision it
is "awarded" and enters the award history; one that did not pass, or fails the check again, is
"rejected" with the reason."""

from sqlmodel import Session, col, select

from models import Decision, DecisionItem, Meeting, Movement, Nomination
from models.base import saved_id, utcnow
from thidua import ballots, exceptions
from thidua.authority import Authority, authority_of
from thidua.documents.context_common import title_name
from thidua.dossiers import set_outcome, set_outcomes
from thidua.errors import NotFound, ThiduaError
from thidua.history import AwardItem, record_awards
from thidua.lifecycle import State, audit, require_state
from thidua.rewards import price_decision
from thidua.rules import rule_set_for
from thidua.statuses import MeetingStatus, NominationStatus
from thidua.vn import today


def draft_decisions(
    session: Session, movement: Movement, meeting: Meeting, *, actor: str
) -> list[Decision]:
    """Draft (once) the decision and the proposal from a closed sitting's results."""
    existing = list(session.exec(select(Decision).where(Decision.movement_id == movement.id)))
    if existing:
        return existing
    if meeting is None or meeting.status != MeetingStatus.CLOSED:
        raise ThiduaError("Hội đồng chưa kết thúc bỏ phiếu: chưa thể dự thảo quyết định.")
    rule_set = rule_set_for(movement)
    authority = authority_of(movement)
    results = {r.nomination_id: r for r in ballots.results(session, meeting)}
    nominations = session.exec(
        select(Nomination).where(col(Nomination.id).in_(list(results))).order_by(col(Nomination.id))
    ).all()
    # The council's count first: what it did not pass is rejected and so counts towards no
    # ratio or quota in the check that follows.
    passed = [n for n in nominations if results[saved_id(n)].passed]
    lost = [n for n in nominations if not results[saved_id(n)].passed]
    why = {saved_id(n): ballots.outcome_reason(results[saved_id(n)]) for n in lost}
    set_outcomes(session, lost, NominationStatus.REJECTED, actor=actor, reasons=why)
    refused = _recheck(session, movement, rule_set, passed, actor=actor)
    own: list[Nomination] = []
    upward: list[Nomination] = []
    for n in passed:
        if n.id in refused:
            continue
        (own if _decided_here(authority, n.title) else upward).append(n)
    set_outcomes(
        session, [n for n in passed if n.id not in refused], NominationStatus.ACCEPTED, actor=actor
    )
    made = []
    if own:
        made.append(_decision(session, movement, "decision", own, rule_set, authority.head_title))
    if upward:
        made.append(
            _decision(session, movement, "proposal", upward, rule_set, authority.proposes_to)
        )
    audit(session, actor=actor, movement_id=movement.id, entity="decision",
          action="decision.drafted",
          data={"decided_here": len(own), "proposed_upward": len(upward),
                "not_awarded_on_recheck": sorted(refused)})  # fmt: skip
    session.flush()
    return made


def _recheck(
    session: Session, movement: Movement, rule_set, passed: list[Nomination], *, actor: str
) -> set[int]:
    """Check every nomination the council passed again, now that the count is known (a
    Lao động tiên tiến rejected lowers a collective's ratio; one rejected frees a quota
    place): one that fails a rule no recorded exception covers is not awarded, the reason
    recorded. Criteria first, then — on what remains — quotas, so that a place freed is
    not lost. Returns the ids not awarded."""
    quotas = {q.id for q in rule_set.quotas}

    def is_quota(f) -> bool:
        return f.rule_id in quotas or f.rule_id.startswith("chi_tieu.")

    remaining = {saved_id(n): n for n in passed}
    refused: set[int] = set()
    while remaining:
        gaps = exceptions.uncovered(session, movement)
        failing = {nid: gaps[nid] for nid in remaining if gaps.get(nid)}
        if not failing:
            break
        criteria = {nid: f for nid, f in failing.items() if not all(map(is_quota, f))}
        for nid, failures in (criteria or failing).items():
            set_outcome(
                session,
                nomination=remaining.pop(nid),
                status=NominationStatus.REJECTED,
                actor=actor,
                reason="Kiểm tra lại khi dự thảo quyết định: " + exceptions.refusal(failures),
            )
            refused.add(nid)
    return refused


def _decided_here(authority: Authority, code: str) -> bool:
    """True: the head decides it; False: it is proposed upward. A title neither decides is
    refused: no one could sign it (Luật Thi đua, khen thưởng 2022, Điều 78–80)."""
    if authority.decided_here(code):
        return True
    if authority.proposed_upward(code):
        return False
    raise ThiduaError(
        f"Danh hiệu {title_name(code)} không thuộc thẩm quyền quyết định của "
        f"{authority.head_title} ({authority.decides_basis}), cũng không thuộc thẩm quyền của "
        f"{authority.proposes_to} ({authority.upward_basis}): không thể dự thảo quyết định hay "
        "tờ trình cho danh hiệu này."
    )


def _decision(
    session: Session,
    movement: Movement,
    kind: str,
    noms: list[Nomination],
    rule_set,
    authority: str,
) -> Decision:
    # Dated when drafted: the head signs the document as it is dated and numbered, so the
    # certificates, the notices and the reward money all follow the date printed on it.
    decision = Decision(
        movement_id=saved_id(movement), kind=kind, authority=authority, signed_on=today()
    )
    session.add(decision)
    session.flush()
    for n in noms:
        session.add(
            DecisionItem(decision_id=saved_id(decision), nomination_id=saved_id(n), title=n.title)
        )
    session.flush()
    price_decision(session, decision, rule_set)  # the base salary of the decision's date
    return decision


def approve_decision(session: Session, *, decision_id: int, actor: str) -> Decision:
    """The head approves (signs) a drafted decision or memo, once the decision stage has
    drafted it. A decision's awards enter the award history; a memo's nominations stay
    accepted, awaiting the level above. Approving an approved one changes nothing."""
    decision = session.get(Decision, decision_id)
    if decision is None:
        raise NotFound(f"Không có quyết định số {decision_id}.")
    if decision.approved_at is not None:
        return decision
    movement = session.get_one(Movement, decision.movement_id)
    what = "tờ trình" if decision.kind == "proposal" else "quyết định khen thưởng"
    require_state(session, movement, {State.APPROVAL}, f"phê duyệt {what} số {decision.id}")
    decision.approved_by, decision.approved_at = actor, utcnow()
    decision.signed_on = decision.signed_on or today()  # one drafted before it was dated
    session.add(decision)
    price_decision(session, decision, rule_set_for(movement))  # as printed on the document
    if decision.kind == "decision":
        ids = list(
            session.exec(
                select(DecisionItem.nomination_id).where(DecisionItem.decision_id == decision.id)
            )
        )
        nominations: dict[int, Nomination] = {}
        for i in range(0, len(ids), 900):  # one query a chunk, not one a decision item
            nominations.update(
                (saved_id(n), n)
                for n in session.exec(
                    select(Nomination).where(col(Nomination.id).in_(ids[i : i + 900]))
                )
            )
        awarded = [nominations[nid] for nid in ids]
        set_outcomes(session, awarded, NominationStatus.AWARDED, actor=actor)
        awards = [
            AwardItem(n.subject_key, movement.year, n.title, f"decision:{decision.id}")
            for n in awarded
        ]
        record_awards(session, awards)
    audit(session, actor=actor, movement_id=decision.movement_id, entity="decision",
          entity_id=decision.id, action=f"{decision.kind}.approved")  # fmt: skip
    session.flush()
    return decision


def all_approved(session: Session, movement: Movement) -> bool:
    decisions = session.exec(select(Decision).where(Decision.movement_id == movement.id)).all()
    return bool(decisions) and all(d.approved_at is not None for d in decisions)
