"""The council's secret ballot on nominations.

Secrecy: a VoteReceipt says *that* a member voted on a nomination (unique per meeting,
nomination and member: the database itself refuses a second vote); a Ballot says *how*
someone voted, with a random id and no member and no time. Nothing offered here links the two;
when the meeting closes the ballots are rewritten in random order with new ids, so the order
rows were stored in no longer mirrors the order members voted. Results are refused while the
meeting is open (counting after each vote would reveal each vote).

Counting, per nomination (stated in the minutes):
- members entitled to vote = council members − members recused from that nomination (a
  member recuses himself with a reason; one who is himself the nominee is recused from the
  start);
- ballots issued = members entitled; returned = ballots cast; valid = "yes" and "no" ballots
  (a blank ballot is invalid unless the rule set says otherwise);
- quorum: ballots returned ≥ the rule set's quorum (e.g. 2/3) of the members entitled;
- passed: quorum met and "yes" ballots ≥ the title's threshold (e.g. ≥ 90%) of the members
  entitled — a percentage of the council's members, as the law counts it, not of the ballots.
"""

import random
import secrets
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from models import (
    Account,
    Ballot,
    Council,
    CouncilMember,
    Meeting,
    Movement,
    Nomination,
    Person,
    Recusal,
    Unit,
    VoteReceipt,
)
from models.base import utcnow
from thidua import exceptions
from thidua.errors import InvalidInput, NotFound, Problem, ThiduaError, TransitionRefused
from thidua.lifecycle import audit
from thidua.results import VoteResult
from thidua.rules.engine import rule_set_for
from thidua.vn import nfc

CHOICES = {"yes": "đồng ý", "no": "không đồng ý", "blank": "phiếu trắng"}
ON_AGENDA = ("submitted", "accepted")  # nominations a meeting votes on by default
# The actor that closes a meeting because every member entitled has voted on everything.
SYSTEM_COMPLETE = "system:complete"
OWN_NOMINATION = "Là người được đề nghị khen thưởng"
RECUSED = "Thành viên đã xin không tham gia biểu quyết hồ sơ này, không được bỏ phiếu"


@dataclass(frozen=True)
class Verification:
    ok: bool
    counts: dict[int, tuple[int, int]] = field(default_factory=dict)  # nomination → (ballots,
    problems: list[str] = field(default_factory=list)  # receipts)


def _aware(dt: datetime | None) -> datetime | None:
    return dt.replace(tzinfo=UTC) if dt is not None and dt.tzinfo is None else dt


def _council(session: Session, movement: Movement) -> Council:
    council = session.execute(
        select(Council).where(Council.movement_id == movement.id)
    ).scalar_one_or_none()
    if council is not None:
        return council
    people = [
        p
        for p in session.execute(select(Person).where(Person.active).order_by(Person.id)).scalars()
        if {"council_member", "council_chair"} & set(p.roles or [])
    ]
    if not people:
        raise InvalidInput(
            "Chưa lập được Hội đồng Thi đua - Khen thưởng: không có ai mang vai trò "
            "council_member hoặc council_chair"
        )
    chair = next((p for p in people if "council_chair" in p.roles), None)
    council = Council(
        movement_id=movement.id,
        name=f"Hội đồng Thi đua - Khen thưởng {movement.agency}",
        chair_person_id=chair.id if chair else None,
    )
    session.add(council)
    session.flush()
    for p in people:
        role = "chair" if chair is not None and p.id == chair.id else "member"
        session.add(CouncilMember(council_id=council.id, person_id=p.id, role=role))
    session.flush()
    return council


def open_meeting(
    session: Session,
    movement: Movement,
    *,
    actor: str,
    vote_deadline: datetime | None,
    nomination_ids: list[int] | None = None,
    place: str | None = None,
) -> Meeting:
    """Open a sitting of the council (created from the people with council roles if the
    movement has none yet) to vote on the given nominations, by default every nomination
    submitted or accepted that passes its checks or carries an exception for each rule it
    fails; a given nomination that does not is refused. In the caller's transaction, audited."""
    council = _council(session, movement)
    # The rules gate the paper: a nomination failing a criterion or a quota is on it only with
    # an exception the office recorded (thidua.exceptions).
    blocked = {nid: f for nid, f in exceptions.uncovered(session, movement).items() if f}
    if nomination_ids is None:
        nomination_ids = [
            nid
            for nid in session.execute(
                select(Nomination.id)
                .where(Nomination.movement_id == movement.id, Nomination.status.in_(ON_AGENDA))
                .order_by(Nomination.id)
            ).scalars()
            if nid not in blocked
        ]
    else:
        found = set(
            session.execute(
                select(Nomination.id).where(
                    Nomination.movement_id == movement.id, Nomination.id.in_(nomination_ids)
                )
            ).scalars()
        )
        missing = [i for i in nomination_ids if i not in found]
        if missing:
            raise NotFound(
                f"Hồ sơ số {', '.join(map(str, missing))} không thuộc phong trào {movement.code}"
            )
        failing = [i for i in nomination_ids if i in blocked]
        if failing:
            raise InvalidInput(
                "Hồ sơ chưa đạt tiêu chuẩn và chưa có ngoại lệ được ghi nhận: không đưa vào "
                "phiếu bầu",
                [Problem(f"Hồ sơ số {i}", exceptions.refusal(blocked[i])) for i in failing],
            )
    if not nomination_ids:
        raise InvalidInput("Không có hồ sơ nào để Hội đồng bỏ phiếu")
    meeting = Meeting(
        council_id=council.id,
        vote_deadline=_aware(vote_deadline),
        place=nfc(place),
        result={"agenda": sorted(set(nomination_ids))},
    )
    session.add(meeting)
    session.flush()
    # A member never votes on his own nomination: he is recused from it from the start.
    for member_id, nomination_id in session.execute(
        select(CouncilMember.id, Nomination.id)
        .join(Nomination, Nomination.person_id == CouncilMember.person_id)
        .where(
            CouncilMember.council_id == council.id,
            Nomination.id.in_(meeting.result["agenda"]),
        )
    ).all():
        session.add(Recusal(meeting_id=meeting.id, nomination_id=nomination_id,
                            member_id=member_id, reason=OWN_NOMINATION))  # fmt: skip
    audit(
        session,
        actor=actor,
        movement_id=movement.id,
        entity="meeting",
        entity_id=meeting.id,
        action="meeting.open",
        to_state="open",
        data={"agenda": meeting.result["agenda"], "deadline": str(vote_deadline)},
    )
    return meeting


def _member(
    session: Session, meeting: Meeting, person_id: int, *, lock: bool = False
) -> CouncilMember:
    """The council member; with lock, his row is held so that his own votes and recusals are
    taken one after the other (PostgreSQL; SQLite serialises every write anyway)."""
    query = select(CouncilMember).where(
        CouncilMember.council_id == meeting.council_id, CouncilMember.person_id == person_id
    )
    member = session.execute(query.with_for_update() if lock else query).scalar_one_or_none()
    if member is None:
        raise ThiduaError(f"Người dùng số {person_id} không phải là thành viên Hội đồng")
    return member


def agenda(meeting: Meeting) -> list[int]:
    """The nominations the meeting votes on."""
    return list(meeting.result.get("agenda", []))


_agenda = agenda


def _check_open(meeting: Meeting) -> None:
    if meeting.status != "open":
        raise TransitionRefused("Phiên họp đã kết thúc bỏ phiếu")
    deadline = _aware(meeting.vote_deadline)
    if deadline is not None and utcnow() >= deadline:
        raise TransitionRefused("Đã hết hạn bỏ phiếu của phiên họp")


def _open_for(
    session: Session, meeting: Meeting, member_person_id: int
) -> tuple[Meeting, CouncilMember]:
    """The meeting, re-read and held shared so that closing waits for votes and recusals in
    flight (PostgreSQL), refused unless it is open; and the member acting in it."""
    locked = session.execute(
        select(Meeting)
        .where(Meeting.id == meeting.id)
        .with_for_update(read=True)
        .execution_options(populate_existing=True)
    ).scalar_one()
    _check_open(locked)
    return locked, _member(session, locked, member_person_id, lock=True)


def cast_ballot(
    session: Session,
    meeting: Meeting,
    *,
    member_person_id: int,
    nomination_id: int,
    choice: str,
) -> None:
    """Cast one member's secret ballot on one nomination, and commit it: the receipt and the
    ballot are written in one transaction, and a vote once cast is final. A second vote by the
    same member on the same nomination is refused, also when attempts race."""
    cast_ballot_paper(
        session, meeting, member_person_id=member_person_id, choices={nomination_id: choice}
    )


def cast_ballot_paper(
    session: Session,
    meeting: Meeting,
    *,
    member_person_id: int,
    choices: dict[int, str],
) -> None:
    """One member's ballot paper: a choice for each of several nominations, as the council's
    paper ballot lists them, committed all together or not at all."""
    picked: dict[int, str] = {}
    for nomination_id, choice in choices.items():
        choice = nfc(str(choice)).lower()
        if choice not in CHOICES:
            raise InvalidInput(f"Lựa chọn '{choice}' không hợp lệ (có: {', '.join(CHOICES)})")
        picked[int(nomination_id)] = choice
    if not picked:
        raise InvalidInput("Phiếu bầu chưa có lựa chọn nào")
    locked, member = _open_for(session, meeting, member_person_id)
    agenda = set(_agenda(locked))
    outside = sorted(n for n in picked if n not in agenda)
    if outside:
        raise ThiduaError(f"Hồ sơ số {outside[0]} không có trong chương trình phiên họp")
    if _recused_from(session, meeting.id, member.id, list(picked)):
        session.rollback()
        raise ThiduaError(RECUSED)

    def already(nomination_id: int) -> ThiduaError:
        return ThiduaError(
            f"Thành viên đã bỏ phiếu cho hồ sơ số {nomination_id}; mỗi thành viên chỉ được bỏ "
            "một phiếu cho mỗi hồ sơ"
        )

    voted = session.execute(
        select(VoteReceipt.nomination_id).where(
            VoteReceipt.meeting_id == meeting.id,
            VoteReceipt.nomination_id.in_(list(picked)),
            VoteReceipt.member_id == member.id,
        )
    ).first()
    if voted:
        session.rollback()
        raise already(voted[0])
    for nomination_id, choice in picked.items():
        session.add(
            VoteReceipt(meeting_id=meeting.id, nomination_id=nomination_id, member_id=member.id)
        )
        session.add(
            Ballot(
                id=secrets.token_hex(16),
                meeting_id=meeting.id,
                nomination_id=nomination_id,
                choice=choice,
            )
        )
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise already(next(iter(picked))) from None
    # Checked again now that this transaction holds the write (SQLite takes its lock at the
    # first INSERT, not at the read above): a close that committed meanwhile refuses the vote.
    status = session.execute(select(Meeting.status).where(Meeting.id == meeting.id)).scalar_one()
    if status != "open":
        session.rollback()
        raise TransitionRefused("Phiên họp đã kết thúc bỏ phiếu")
    if _recused_from(session, meeting.id, member.id, list(picked)):  # a recusal just committed
        session.rollback()
        raise ThiduaError(RECUSED)
    session.commit()


def _recused_from(session: Session, meeting_id: int, member_id: int, nominations: list[int]):
    return session.execute(
        select(Recusal.nomination_id).where(
            Recusal.meeting_id == meeting_id,
            Recusal.nomination_id.in_(nominations),
            Recusal.member_id == member_id,
        )
    ).first()


def _voted(session: Session, meeting_id: int, nomination_id: int, member_id: int) -> bool:
    return (
        session.execute(
            select(VoteReceipt.id).where(
                VoteReceipt.meeting_id == meeting_id,
                VoteReceipt.nomination_id == nomination_id,
                VoteReceipt.member_id == member_id,
            )
        ).first()
        is not None
    )


def recuse(
    session: Session,
    meeting: Meeting,
    *,
    member_person_id: int,
    nomination_id: int,
    reason: str,
    actor: str | None = None,
) -> Recusal:
    """A member steps aside from one nomination (e.g. the nominee is a relative): he may not
    vote on it and is not counted among its members. Refused once he has voted on it."""
    reason = nfc(reason or "")
    if not reason:
        raise InvalidInput("Phải nêu lý do không tham gia biểu quyết")
    meeting, member = _open_for(session, meeting, member_person_id)
    if nomination_id not in _agenda(meeting):
        raise ThiduaError(f"Hồ sơ số {nomination_id} không có trong chương trình phiên họp")
    voted = ThiduaError("Thành viên đã bỏ phiếu cho hồ sơ này, không thể xin không tham gia")
    if _voted(session, meeting.id, nomination_id, member.id):
        raise voted
    recusal = Recusal(
        meeting_id=meeting.id, nomination_id=nomination_id, member_id=member.id, reason=reason
    )
    session.add(recusal)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise ThiduaError("Thành viên đã xin không tham gia biểu quyết hồ sơ này") from None
    # Read again under the write lock (SQLite): a vote or a close that committed meanwhile.
    if _voted(session, meeting.id, nomination_id, member.id):
        raise voted
    status = session.execute(select(Meeting.status).where(Meeting.id == meeting.id)).scalar_one()
    if status != "open":
        raise TransitionRefused("Phiên họp đã kết thúc bỏ phiếu")
    council = session.get(Council, meeting.council_id)
    audit(
        session,
        actor=actor or f"person:{member_person_id}",
        movement_id=council.movement_id if council else None,
        entity="meeting",
        entity_id=meeting.id,
        action="meeting.recuse",
        reason=reason,
        data={"nomination_id": nomination_id, "member_person_id": member_person_id},
    )
    return recusal


def _is_chair(session: Session, council: Council, actor: str) -> bool:
    chair = session.get(Person, council.chair_person_id) if council.chair_person_id else None
    if chair is None:
        return False
    if actor in {chair.code, f"person:{chair.id}"}:
        return True
    account = session.execute(select(Account).where(Account.username == actor)).scalar_one_or_none()
    return account is not None and account.person_id == chair.id


def close_meeting(session: Session, meeting: Meeting, *, actor: str) -> list[VoteResult]:
    """Close the vote — by the chair; by anyone (e.g. SYSTEM_COMPLETE, the sweep) once the
    deadline has passed or every member entitled has voted on every nomination — count it,
    store the result in Meeting.result and audit it, in the caller's transaction."""
    council = session.get(Council, meeting.council_id)
    deadline = _aware(meeting.vote_deadline)
    past_deadline = deadline is not None and utcnow() >= deadline
    if past_deadline:
        why = "hết hạn bỏ phiếu"
    elif meeting_complete(session, meeting):
        why = "mọi thành viên đã bỏ phiếu"
    elif _is_chair(session, council, actor):
        why = "Chủ tịch Hội đồng kết thúc"
    elif actor == SYSTEM_COMPLETE:
        raise TransitionRefused("Chưa đủ các thành viên bỏ phiếu cho mọi hồ sơ")
    else:
        raise TransitionRefused(
            "Chỉ Chủ tịch Hội đồng được kết thúc bỏ phiếu trước hạn"
            + (f" ({deadline.isoformat()})" if deadline else "")
        )
    # Compare-and-set: of two closes at once only one succeeds; votes in flight finish first.
    done = session.execute(
        update(Meeting)
        .where(Meeting.id == meeting.id, Meeting.status == "open")
        .values(status="closed", closed_at=utcnow(), closed_by=actor)
    )
    if done.rowcount != 1:
        raise TransitionRefused("Phiên họp đã được kết thúc bỏ phiếu")
    session.refresh(meeting)
    _shuffle_ballots(session, meeting.id)
    movement = session.get(Movement, council.movement_id)
    votes = _count(session, meeting, movement)
    meeting.result = {
        "agenda": _agenda(meeting),
        "closed_by": actor,
        "by_deadline": past_deadline,
        "how": why,
        "votes": [_as_json(v, q) for v, q in votes],
    }
    session.add(meeting)
    audit(
        session,
        actor=actor,
        movement_id=council.movement_id,
        entity="meeting",
        entity_id=meeting.id,
        action="meeting.close",
        from_state="open",
        to_state="closed",
        reason=why,
        data={"passed": [v.nomination_id for v, _ in votes if v.passed]},
    )
    session.flush()
    return [v for v, _ in votes]


def _shuffle_ballots(session: Session, meeting_id: int) -> None:
    rows = session.execute(
        select(Ballot.nomination_id, Ballot.choice).where(Ballot.meeting_id == meeting_id)
    ).all()
    random.SystemRandom().shuffle(rows)
    session.execute(delete(Ballot).where(Ballot.meeting_id == meeting_id))
    session.add_all(
        Ballot(id=secrets.token_hex(16), meeting_id=meeting_id, nomination_id=n, choice=c)
        for n, c in rows
    )
    session.flush()


def _as_json(v: VoteResult, quorum_met: bool) -> dict:
    return {**asdict(v), "yes_pct": str(v.yes_pct), "threshold_pct": str(v.threshold_pct),
            "quorum_met": quorum_met}  # fmt: skip


def results(session: Session, meeting: Meeting) -> list[VoteResult]:
    """The count of a closed meeting, as stored when it closed (refused while voting is
    open). verify() recounts the ballots against it."""
    if meeting.status != "closed":
        raise TransitionRefused("Chưa có kết quả: phiên họp chưa kết thúc bỏ phiếu")
    return [_from_json(v) for v in meeting.result.get("votes", [])]


def _from_json(v: dict) -> VoteResult:
    values = {f.name: v[f.name] for f in fields(VoteResult)}
    pcts = {k: Decimal(v[k]) for k in ("yes_pct", "threshold_pct")}
    return VoteResult(**(values | pcts))


def close_due_meetings(session: Session, *, actor: str = "system") -> list[Meeting]:
    """Close every open meeting whose vote deadline has passed (for the daily sweep)."""
    due = (
        session.execute(
            select(Meeting).where(
                Meeting.status == "open",
                Meeting.vote_deadline.is_not(None),
                Meeting.vote_deadline <= utcnow(),
            )
        )
        .scalars()
        .all()
    )
    for meeting in due:
        close_meeting(session, meeting, actor=actor)
    return list(due)


def _count(session: Session, meeting: Meeting, movement: Movement) -> list[tuple[VoteResult, bool]]:
    rs = rule_set_for(movement)
    agenda = _agenda(meeting)
    n_members = session.execute(
        select(func.count()).where(CouncilMember.council_id == meeting.council_id)
    ).scalar_one()
    recused = _per_nomination(session, Recusal, meeting.id)
    receipts = _per_nomination(session, VoteReceipt, meeting.id)
    tally: dict[int, dict[str, int]] = {}
    for nid, choice, n in session.execute(
        select(Ballot.nomination_id, Ballot.choice, func.count())
        .where(Ballot.meeting_id == meeting.id)
        .group_by(Ballot.nomination_id, Ballot.choice)
    ):
        tally.setdefault(nid, {})[choice] = n
    noms = {
        n.id: n
        for n in session.execute(select(Nomination).where(Nomination.id.in_(agenda))).scalars()
    }
    names = _subject_names(session, list(noms.values()))
    out = []
    for nid in agenda:
        nom = noms[nid]
        members = n_members - recused.get(nid, 0)
        counts = tally.get(nid, {})
        returned = sum(counts.values())
        valid = counts.get("yes", 0) + counts.get("no", 0)
        if rs.blank_is_valid:
            valid += counts.get("blank", 0)
        yes = counts.get("yes", 0)
        title = rs.titles.get(nom.title)
        threshold = title.vote_threshold if title else rs.quorum
        quorum_met = rs.quorum.met(receipts.get(nid, 0), members)
        passed = quorum_met and threshold.met(yes, members)
        pct = (Decimal(yes) * 100 / members).quantize(Decimal("0.01")) if members else Decimal(0)
        vote = VoteResult(
            nomination_id=nid,
            subject_name=names.get(nom.subject_key, nom.subject_key),
            title=nom.title,
            members=members,
            issued=members,
            returned=returned,
            valid=valid,
            yes=yes,
            yes_pct=pct,
            threshold_pct=threshold.percent,
            recused=recused.get(nid, 0),
            passed=passed,
        )
        out.append((vote, quorum_met))
    return out


def _per_nomination(session: Session, table, meeting_id: int) -> dict[int, int]:
    return dict(
        session.execute(
            select(table.nomination_id, func.count())
            .where(table.meeting_id == meeting_id)
            .group_by(table.nomination_id)
        ).all()
    )


def _subject_names(session: Session, noms: list[Nomination]) -> dict[str, str]:
    people = [n.person_id for n in noms if n.person_id]
    units = [n.collective_unit_id for n in noms if n.collective_unit_id]
    out = {}
    if people:
        for pid, name in session.execute(
            select(Person.id, Person.full_name).where(Person.id.in_(people))
        ):
            out[f"person:{pid}"] = name
    if units:
        for uid, name in session.execute(select(Unit.id, Unit.name).where(Unit.id.in_(units))):
            out[f"unit:{uid}"] = name
    return out


def verify(session: Session, meeting: Meeting) -> Verification:
    """Check the count: per nomination, as many ballots as receipts; and, once closed, the
    stored result equals a fresh count."""
    ballots = _per_nomination(session, Ballot, meeting.id)
    receipts = _per_nomination(session, VoteReceipt, meeting.id)
    counts, problems = {}, []
    for nid in sorted(set(_agenda(meeting)) | set(ballots) | set(receipts)):
        b, r = ballots.get(nid, 0), receipts.get(nid, 0)
        counts[nid] = (b, r)
        if b != r:
            problems.append(f"Hồ sơ số {nid}: {b} phiếu nhưng {r} thành viên đã bỏ phiếu")
    if meeting.status == "closed":
        council = session.get(Council, meeting.council_id)
        movement = session.get(Movement, council.movement_id)
        stored = {v.nomination_id: v for v in results(session, meeting)}
        for v, _ in _count(session, meeting, movement):
            s = stored.get(v.nomination_id)
            if s is None or (s.yes, s.returned, s.valid, s.passed) != (
                v.yes,
                v.returned,
                v.valid,
                v.passed,
            ):
                problems.append(
                    f"Hồ sơ số {v.nomination_id}: kết quả đã lưu khác kết quả kiểm phiếu lại"
                )
    return Verification(not problems, counts, problems)


def meeting_complete(session: Session, meeting: Meeting) -> bool:
    """Has every member entitled to vote voted on every nomination of the agenda?"""
    n_members = session.execute(
        select(func.count()).where(CouncilMember.council_id == meeting.council_id)
    ).scalar_one()
    recused = _per_nomination(session, Recusal, meeting.id)
    receipts = _per_nomination(session, VoteReceipt, meeting.id)
    return all(receipts.get(nid, 0) >= n_members - recused.get(nid, 0) for nid in _agenda(meeting))
