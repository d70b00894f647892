"""The council's secret ballot on nominations.

Secrecy: a VoteReceipt says *that* a member voted on a nomination (unique per meeting,
nomination and member: the database itself refuses a second vote). *How* he voted is never
stored as such: in the receipt's transaction his choices are added to the meeting's tallies,
kept sealed (encrypted, re-sealed whole at each ballot) in its BallotBox with a key outside the
database (thidua/ballot_box.py). At close the box is opened once, the counts are written as
Tally rows and the key is destroyed. No row per ballot, no time, no order: a copy of the
database or of its WAL at any moment links no member to a choice (docs/DESIGN.md, "Secret
ballot"). Results are refused while the meeting is open.

Attendance: a member is present once he takes part (casts a ballot or recuses himself) or the
secretary (or the chair) marks him present; absent otherwise, with the reason the secretary
records. The quorum is judged on it: members present ≥ the rule set's quorum (e.g. 2/3) of the
council's whole membership.

Counting, per nomination (stated in the minutes):
- ballots issued = members present − members recused from it (a member recuses himself with
  a reason; one who is himself the nominee is recused from the start);
- returned = ballots cast; valid = "yes" and "no" ballots (a blank ballot is invalid unless
  the rule set says otherwise);
- passed: quorum met and "yes" ballots ≥ the title's threshold (e.g. ≥ 90%) of the council's
  total membership — the law counts the members, not the ballots nor the members present;
  a rule set may say `denominator: entitled` (members less those recused) instead.
"""

from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from decimal import Decimal
from typing import cast

from sqlalchemy import CursorResult, delete, func, insert, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from models import (
    Account,
    Attendance,
    BallotBox,
    Council,
    CouncilMember,
    Meeting,
    Movement,
    Nomination,
    Person,
    Recusal,
    Tally,
    Unit,
    VoteReceipt,
)
from models.base import saved_id, utcnow
from thidua import ballot_box, exceptions
from thidua.authority import authority_of
from thidua.errors import (
    AlreadyDone,
    Forbidden,
    InvalidInput,
    NotFound,
    Problem,
    ThiduaError,
    TransitionRefused,
)
from thidua.lifecycle import audit
from thidua.results import Roll, VoteResult
from thidua.rules.engine import rule_set_for
from thidua.rules.ruleset import KNOWN_TITLES
from thidua.statuses import ON_AGENDA, MeetingStatus
from thidua.vn import nfc, percent

CHOICES = {"yes": "đồng ý", "no": "không đồng ý", "blank": "phiếu trắng"}
# The actor that closes a meeting because every member entitled has voted on everything.
SYSTEM_COMPLETE = "system:complete"
OWN_NOMINATION = "Là người được đề nghị khen thưởng"
RECUSED = "Thành viên đã xin không tham gia biểu quyết hồ sơ này, không được bỏ phiếu"
# The organisation's roles that seat a person on the council, and his role in it.
COUNCIL_ROLES = {
    "council_chair": "chair",
    "council_secretary": "secretary",
    "council_member": "member",
}


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
        for p in session.execute(
            select(Person).where(Person.active).order_by(col(Person.id))
        ).scalars()
        if set(COUNCIL_ROLES) & set(p.roles or [])
    ]
    if not people:
        raise InvalidInput(
            "Chưa lập được Hội đồng Thi đua - Khen thưởng: không có cán bộ nào mang vai trò "
            "thành viên, thư ký hoặc chủ tịch Hội đồng"
        )
    chair = next((p for p in people if "council_chair" in p.roles), None)
    secretary = next((p for p in people if "council_secretary" in p.roles and p is not chair), None)
    council = Council(
        movement_id=saved_id(movement),
        name=authority_of(movement).council,  # "Hội đồng Thi đua - Khen thưởng Sở Công Thương"
        chair_person_id=chair.id if chair else None,
    )
    session.add(council)
    session.flush()
    for p in people:
        role = "chair" if p is chair else "secretary" if p is secretary else "member"
        session.add(CouncilMember(council_id=saved_id(council), person_id=saved_id(p), role=role))
    session.flush()
    return council


def set_secretary(session: Session, council: Council, *, person_id: int, actor: str) -> None:
    """Name the council's secretary: one of its members other than the chair; the previous
    secretary stays on as a member. In the caller's transaction, audited."""
    members = list(
        session.execute(
            select(CouncilMember).where(CouncilMember.council_id == council.id)
        ).scalars()
    )
    member = next((m for m in members if m.person_id == person_id), None)
    if member is None:
        raise InvalidInput(
            f"Thư ký Hội đồng: {_person_label(session, person_id)} không phải là thành viên "
            "Hội đồng; chỉ thành viên Hội đồng mới làm thư ký"
        )
    if member.role == "chair" or person_id == council.chair_person_id:
        raise InvalidInput("Thư ký Hội đồng: Chủ tịch Hội đồng không kiêm thư ký")
    for m in members:
        if m.role == "secretary" and m is not member:
            m.role = "member"
            session.add(m)
    member.role = "secretary"
    session.add(member)
    audit(session, actor=actor, movement_id=council.movement_id, entity="council",
          entity_id=council.id, action="council.secretary",
          data={"person_id": person_id})  # fmt: skip
    session.flush()


def _person_label(session: Session, person_id: int) -> str:
    p = session.get(Person, person_id)
    return p.full_name if p else f"người dùng số {person_id}"


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
                .where(Nomination.movement_id == movement.id, col(Nomination.status).in_(ON_AGENDA))
                .order_by(col(Nomination.id))
            ).scalars()
            if nid not in blocked
        ]
    else:
        found = set(
            session.execute(
                select(Nomination.id).where(
                    Nomination.movement_id == movement.id, col(Nomination.id).in_(nomination_ids)
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
        council_id=saved_id(council),
        vote_deadline=_aware(vote_deadline),
        place=nfc(place),
        result={"agenda": sorted(set(nomination_ids))},
    )
    session.add(meeting)
    session.flush()
    key_id = ballot_box.new_key()
    sealed = ballot_box.seal(key_id, saved_id(meeting), agenda(meeting), {})  # all counts 0
    session.add(BallotBox(meeting_id=saved_id(meeting), key_id=key_id, sealed=sealed))
    # A member never votes on his own nomination: he is recused from it from the start.
    for member_id, nomination_id in session.execute(
        select(CouncilMember.id, Nomination.id)
        .join(Nomination, col(Nomination.person_id) == col(CouncilMember.person_id))
        .where(
            CouncilMember.council_id == council.id,
            col(Nomination.id).in_(meeting.result["agenda"]),
        )
    ).all():
        session.add(Recusal(meeting_id=saved_id(meeting), nomination_id=nomination_id,
                            member_id=member_id, reason=OWN_NOMINATION))  # fmt: skip
    audit(
        session,
        actor=actor,
        movement_id=movement.id,
        entity="meeting",
        entity_id=meeting.id,
        action="meeting.open",
        to_state=MeetingStatus.OPEN,
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
        raise Forbidden(
            f"{_person_label(session, person_id)} không phải là thành viên Hội đồng của phiên họp"
        )
    return member


def agenda(meeting: Meeting) -> list[int]:
    """The nominations the meeting votes on."""
    return list(meeting.result.get("agenda", []))


_agenda = agenda


def _check_open(meeting: Meeting) -> None:
    if meeting.status != MeetingStatus.OPEN:
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
    actor: str | None = None,
) -> None:
    """One member's ballot paper: a choice for each of several nominations, as the council's
    paper ballot lists them, committed all together or not at all, with a `ballot.cast` audit
    row per nomination (that he voted, never how) in the same transaction. A paper naming a
    nomination he has already voted on is refused whole (AlreadyDone), also when two arrive
    at once."""
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
    if _recused_from(session, saved_id(meeting), saved_id(member), list(picked)):
        session.rollback()
        raise ThiduaError(RECUSED)

    def already(nomination_id: int) -> ThiduaError:
        return AlreadyDone(
            f"Thành viên đã bỏ phiếu cho hồ sơ số {nomination_id}; mỗi thành viên chỉ được bỏ "
            "một phiếu cho mỗi hồ sơ"
        )

    voted = session.execute(
        select(VoteReceipt.nomination_id).where(
            VoteReceipt.meeting_id == meeting.id,
            col(VoteReceipt.nomination_id).in_(list(picked)),
            VoteReceipt.member_id == member.id,
        )
    ).first()
    if voted:
        session.rollback()
        raise already(voted[0])
    try:  # one executemany: a paper lists thousands of nominations in a province
        session.execute(
            insert(VoteReceipt),
            [
                {
                    "meeting_id": saved_id(meeting),
                    "nomination_id": nid,
                    "member_id": saved_id(member),
                }
                for nid in picked
            ],
        )
    except IntegrityError:
        session.rollback()
        raise already(next(iter(picked))) from None
    # Checked again now that this transaction holds the write (SQLite takes its lock at the
    # first INSERT, not at the read above): a close that committed meanwhile refuses the vote.
    status = session.execute(select(Meeting.status).where(Meeting.id == meeting.id)).scalar_one()
    if status != MeetingStatus.OPEN:
        session.rollback()
        raise TransitionRefused("Phiên họp đã kết thúc bỏ phiếu")
    if _recused_from(
        session, saved_id(meeting), saved_id(member), list(picked)
    ):  # a recusal just committed
        session.rollback()
        raise ThiduaError(RECUSED)
    # The choices go into the sealed tallies, in the receipt's transaction. The box is held
    # (PostgreSQL; SQLite: this transaction holds the write lock) so ballots add up one by one.
    try:
        box, counts = _box(session, locked, lock=True)
    except ThiduaError:
        session.rollback()  # not the receipt without the ballot
        raise
    for nomination_id, choice in picked.items():
        counts[nomination_id][choice] += 1
    box.sealed = ballot_box.seal(box.key_id, saved_id(locked), _agenda(locked), counts)
    session.add(box)
    movement_id = session.get_one(Council, locked.council_id).movement_id
    for nomination_id in sorted(picked):  # the same fact the receipt holds
        audit(session, actor=actor or f"person:{member_person_id}", movement_id=movement_id,
              entity="nomination", entity_id=nomination_id, action="ballot.cast")  # fmt: skip
    session.commit()


def _box(session: Session, meeting: Meeting, *, lock: bool = False) -> tuple[BallotBox, dict]:
    """The meeting's sealed box and its counts, unsealed."""
    query = select(BallotBox).where(BallotBox.meeting_id == meeting.id)
    query = query.execution_options(populate_existing=True)
    box = session.execute(query.with_for_update() if lock else query).scalar_one_or_none()
    if box is None:
        raise ThiduaError(f"Phiên họp số {meeting.id} không có hòm phiếu")
    return box, ballot_box.unseal(box.key_id, saved_id(meeting), _agenda(meeting), box.sealed)


def _recused_from(session: Session, meeting_id: int, member_id: int, nominations: list[int]):
    return session.execute(
        select(Recusal.nomination_id).where(
            Recusal.meeting_id == meeting_id,
            col(Recusal.nomination_id).in_(nominations),
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
    voted = TransitionRefused("Thành viên đã bỏ phiếu cho hồ sơ này, không thể xin không tham gia")
    if _voted(session, saved_id(meeting), nomination_id, saved_id(member)):
        raise voted
    stood = session.execute(
        select(Recusal).where(
            Recusal.meeting_id == meeting.id,
            Recusal.nomination_id == nomination_id,
            Recusal.member_id == member.id,
        )
    ).scalar_one_or_none()
    if stood is not None:  # asked again: it stands as first recorded
        return stood
    recusal = Recusal(
        meeting_id=saved_id(meeting),
        nomination_id=nomination_id,
        member_id=saved_id(member),
        reason=reason,
    )
    session.add(recusal)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise AlreadyDone("Thành viên đã xin không tham gia biểu quyết hồ sơ này") from None
    # Read again under the write lock (SQLite): a vote or a close that committed meanwhile.
    if _voted(session, saved_id(meeting), nomination_id, saved_id(member)):
        raise voted
    status = session.execute(select(Meeting.status).where(Meeting.id == meeting.id)).scalar_one()
    if status != MeetingStatus.OPEN:
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


def _is_person(session: Session, person_id: int | None, actor: str) -> bool:
    """Does `actor` (a person's code, "person:<id>" or an account's username) name him?"""
    person = session.get(Person, person_id) if person_id else None
    if person is None:
        return False
    if actor in {person.code, f"person:{person.id}"}:
        return True
    account = session.execute(select(Account).where(Account.username == actor)).scalar_one_or_none()
    return account is not None and account.person_id == person.id


def _is_chair(session: Session, council: Council, actor: str) -> bool:
    return _is_person(session, council.chair_person_id, actor)


def secretary_of(session: Session, council: Council) -> CouncilMember | None:
    return session.execute(
        select(CouncilMember).where(
            CouncilMember.council_id == council.id, CouncilMember.role == "secretary"
        )
    ).scalar_one_or_none()


def mark_attendance(
    session: Session,
    meeting: Meeting,
    *,
    member_person_id: int,
    present: bool,
    reason: str | None = None,
    actor: str,
) -> Attendance:
    """The secretary (or the chair) marks a member present, or absent with the reason given.
    A member who has already taken part cannot be marked absent. In the caller's
    transaction, audited."""
    council = session.get_one(Council, meeting.council_id)
    secretary = secretary_of(session, council)
    if not (
        _is_chair(session, council, actor)
        or (secretary is not None and _is_person(session, secretary.person_id, actor))
    ):
        raise Forbidden("Chỉ Thư ký hoặc Chủ tịch Hội đồng được ghi điểm danh")
    if meeting.status != MeetingStatus.OPEN:
        raise TransitionRefused("Phiên họp đã kết thúc bỏ phiếu, không ghi điểm danh được nữa")
    member = session.execute(
        select(CouncilMember).where(
            CouncilMember.council_id == meeting.council_id,
            CouncilMember.person_id == member_person_id,
        )
    ).scalar_one_or_none()
    if member is None:
        raise InvalidInput(
            f"Điểm danh: {_person_label(session, member_person_id)} không phải là thành viên "
            "Hội đồng"
        )
    reason = nfc(reason or "").strip() or None
    if present:
        reason = None
    elif saved_id(member) in _took_part(session, saved_id(meeting)):
        raise InvalidInput(
            f"Điểm danh: {_person_label(session, member_person_id)} đã tham gia biểu quyết, "
            "không ghi vắng mặt được"
        )
    row = session.execute(
        select(Attendance).where(
            Attendance.meeting_id == meeting.id, Attendance.member_id == member.id
        )
    ).scalar_one_or_none() or Attendance(meeting_id=saved_id(meeting), member_id=saved_id(member),
                                         present=present, marked_by=actor)  # fmt: skip
    row.present, row.reason, row.marked_by = present, reason, actor
    session.add(row)
    audit(session, actor=actor, movement_id=council.movement_id, entity="meeting",
          entity_id=meeting.id, action="meeting.attendance", reason=reason,
          data={"member_person_id": member_person_id, "present": present})  # fmt: skip
    session.flush()
    return row


def _took_part(session: Session, meeting_id: int) -> set[int]:
    """Council member ids who cast a ballot or recused themselves at the meeting."""
    voted = select(VoteReceipt.member_id).where(VoteReceipt.meeting_id == meeting_id)
    stood = select(Recusal.member_id).where(Recusal.meeting_id == meeting_id)
    return set(session.execute(voted.union(stood)).scalars())


def _roll(session: Session, meeting: Meeting, quorum) -> Roll:
    members = list(
        session.execute(
            select(CouncilMember.id, CouncilMember.person_id).where(
                CouncilMember.council_id == meeting.council_id
            )
        ).all()
    )
    marked = {
        a.member_id: a
        for a in session.execute(
            select(Attendance).where(Attendance.meeting_id == meeting.id)
        ).scalars()
    }
    took_part = _took_part(session, saved_id(meeting))
    present, absent = [], []
    for member_id, person_id in sorted(members, key=lambda m: m[1]):
        mark = marked.get(member_id)
        if member_id in took_part or (mark is not None and mark.present):
            present.append(person_id)
        else:
            absent.append((person_id, (mark.reason or "") if mark else ""))
    return Roll(
        members=len(members),
        present=present,
        absent=absent,
        quorum=quorum.text,
        quorum_required=quorum.minimum(len(members)),
        quorum_met=quorum.met(len(present), len(members)),
    )


def attendance(session: Session, meeting: Meeting) -> Roll:
    """Who sat at the meeting: as stored when it closed, else as it stands."""
    stored = meeting.result.get("attendance")
    if meeting.status == MeetingStatus.CLOSED and stored:
        return Roll(**(stored | {"absent": [tuple(a) for a in stored["absent"]]}))
    council = session.get_one(Council, meeting.council_id)
    return _roll(
        session, meeting, rule_set_for(session.get_one(Movement, council.movement_id)).quorum
    )


def close_meeting(session: Session, meeting: Meeting, *, actor: str) -> list[VoteResult]:
    """Close the vote — by the chair; by anyone (e.g. SYSTEM_COMPLETE, the sweep) once the
    deadline has passed or every member entitled has voted on every nomination — count it,
    store the result in Meeting.result and audit it, in the caller's transaction."""
    council = session.get_one(Council, meeting.council_id)
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
    done = cast(
        CursorResult,  # an UPDATE's result, which Session.execute types as a plain Result
        session.execute(
            update(Meeting)
            .where(col(Meeting.id) == meeting.id, col(Meeting.status) == MeetingStatus.OPEN)
            .values(status=MeetingStatus.CLOSED, closed_at=utcnow(), closed_by=actor)
        ),
    )
    if done.rowcount != 1:
        raise AlreadyDone("Phiên họp đã được kết thúc bỏ phiếu")
    session.refresh(meeting)
    _open_box(session, meeting)
    movement = session.get_one(Movement, council.movement_id)
    roll, votes = _count(session, meeting, movement)
    meeting.result = {
        "agenda": _agenda(meeting),
        "closed_by": actor,
        "by_deadline": past_deadline,
        "how": why,
        "attendance": asdict(roll),
        "votes": [_as_json(v) for v in votes],
    }
    session.add(meeting)
    audit(
        session,
        actor=actor,
        movement_id=council.movement_id,
        entity="meeting",
        entity_id=meeting.id,
        action="meeting.close",
        from_state=MeetingStatus.OPEN,
        to_state=MeetingStatus.CLOSED,
        reason=why,
        data={
            "passed": [v.nomination_id for v in votes if v.passed],
            "present": len(roll.present),
            "members": roll.members,
            "quorum_met": roll.quorum_met,
        },
    )
    session.flush()
    return votes


def _open_box(session: Session, meeting: Meeting) -> None:
    """Count the sealed box into Tally rows, delete it, and destroy its key once the close has
    committed. The rows come from counts: there is nothing per ballot left to order."""
    box, counts = _box(session, meeting, lock=True)
    for nomination_id, by_choice in sorted(counts.items()):
        for choice, votes in by_choice.items():
            if votes:
                session.add(Tally(meeting_id=saved_id(meeting), nomination_id=nomination_id,
                                  choice=choice, votes=votes))  # fmt: skip
    session.execute(delete(BallotBox).where(col(BallotBox.meeting_id) == meeting.id))
    session.flush()
    ballot_box.forget_after_commit(session, box.key_id)


def _as_json(v: VoteResult) -> dict:
    return {**asdict(v), "yes_pct": str(v.yes_pct), "threshold_pct": str(v.threshold_pct)}


def results(session: Session, meeting: Meeting) -> list[VoteResult]:
    """The count of a closed meeting, as stored when it closed (refused while voting is
    open). verify() recounts the ballots against it."""
    if meeting.status != MeetingStatus.CLOSED:
        raise TransitionRefused("Chưa có kết quả: phiên họp chưa kết thúc bỏ phiếu")
    return [_from_json(v) for v in meeting.result.get("votes", [])]


def _from_json(v: dict) -> VoteResult:
    # Counts stored before attendance was recorded lack these: read them as the old count did.
    old = {
        "present": v.get("members"),
        "no": v.get("valid", 0) - v.get("yes", 0),
        "denominator": v.get("members"),
        "quorum_met": True,
        "threshold_strict": False,
    }
    v = old | v
    values = {f.name: v[f.name] for f in fields(VoteResult)}
    pcts = {k: Decimal(v[k]) for k in ("yes_pct", "threshold_pct")}
    return VoteResult(**(values | pcts))


def close_due_meetings(session: Session, *, actor: str = "system") -> list[Meeting]:
    """Close every open meeting whose vote deadline has passed (for the daily sweep)."""
    due = (
        session.execute(
            select(Meeting).where(
                Meeting.status == MeetingStatus.OPEN,
                col(Meeting.vote_deadline).is_not(None),
                col(Meeting.vote_deadline) <= utcnow(),
            )
        )
        .scalars()
        .all()
    )
    for meeting in due:
        close_meeting(session, meeting, actor=actor)
    ballot_box.forget_orphans(set(session.execute(select(BallotBox.key_id)).scalars()))
    return list(due)


def _count(session: Session, meeting: Meeting, movement: Movement) -> tuple[Roll, list[VoteResult]]:
    rs = rule_set_for(movement)
    agenda = _agenda(meeting)
    roll = _roll(session, meeting, rs.quorum)
    recused = _per_nomination(session, Recusal, saved_id(meeting))
    tally: dict[int, dict[str, int]] = {}
    for nid, choice, n in session.execute(
        select(Tally.nomination_id, Tally.choice, Tally.votes).where(Tally.meeting_id == meeting.id)
    ):
        tally.setdefault(nid, {})[choice] = n
    noms = {
        n.id: n
        for n in session.execute(select(Nomination).where(col(Nomination.id).in_(agenda))).scalars()
    }
    names = _subject_names(session, list(noms.values()))
    out = []
    for nid in agenda:
        nom = noms[nid]
        counts = tally.get(nid, {})
        yes, no = counts.get("yes", 0), counts.get("no", 0)
        valid = yes + no + (counts.get("blank", 0) if rs.blank_is_valid else 0)
        title = rs.titles.get(nom.title)
        threshold = title.vote_threshold if title else rs.quorum
        n_recused = recused.get(nid, 0)
        whole = roll.members - n_recused if rs.denominator == "entitled" else roll.members
        pct = (Decimal(yes) * 100 / whole).quantize(Decimal("0.01")) if whole else Decimal(0)
        out.append(
            VoteResult(
                nomination_id=nid,
                subject_name=names.get(nom.subject_key, nom.subject_key),
                title=nom.title,
                members=roll.members,
                present=len(roll.present),
                recused=n_recused,
                # recused members are present (they took part): the paper is not theirs
                issued=max(len(roll.present) - n_recused, 0),
                returned=sum(counts.values()),
                valid=valid,
                yes=yes,
                no=no,
                yes_pct=pct,
                threshold_pct=threshold.percent,
                denominator=whole,
                quorum_met=roll.quorum_met,
                passed=roll.quorum_met and threshold.met(yes, whole),
                threshold_strict=threshold.strict,
            )
        )
    return roll, out


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
            select(Person.id, Person.full_name).where(col(Person.id).in_(people))
        ):
            out[f"person:{pid}"] = name
    if units:
        for uid, name in session.execute(select(Unit.id, Unit.name).where(col(Unit.id).in_(units))):
            out[f"unit:{uid}"] = name
    return out


def verify(session: Session, meeting: Meeting) -> Verification:
    """Check the count: per nomination, as many ballots (in the sealed box while open, in the
    tallies once closed) as receipts; and, once closed, the stored result equals a fresh
    count."""
    counts, problems = {}, []
    if meeting.status == MeetingStatus.CLOSED:
        ballots = dict(
            session.execute(
                select(Tally.nomination_id, func.sum(Tally.votes))
                .where(Tally.meeting_id == meeting.id)
                .group_by(col(Tally.nomination_id))
            ).all()
        )
    else:
        try:
            ballots = {n: sum(c.values()) for n, c in _box(session, meeting)[1].items()}
        except ThiduaError as e:
            ballots, problems = {}, [e.message]
    receipts = _per_nomination(session, VoteReceipt, saved_id(meeting))
    for nid in sorted(set(_agenda(meeting)) | set(ballots) | set(receipts)):
        b, r = ballots.get(nid, 0), receipts.get(nid, 0)
        counts[nid] = (b, r)
        if b != r:
            problems.append(f"Hồ sơ số {nid}: {b} phiếu nhưng {r} thành viên đã bỏ phiếu")
    if meeting.status == MeetingStatus.CLOSED:
        council = session.get_one(Council, meeting.council_id)
        movement = session.get_one(Movement, council.movement_id)
        stored = {v.nomination_id: v for v in results(session, meeting)}
        for v in _count(session, meeting, movement)[1]:
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
    """Has every member expected — not marked absent, not recused — voted on every nomination
    of the agenda?"""
    members = set(
        session.execute(
            select(CouncilMember.id).where(CouncilMember.council_id == meeting.council_id)
        ).scalars()
    )
    members -= set(
        session.execute(
            select(Attendance.member_id).where(
                Attendance.meeting_id == meeting.id, col(Attendance.present).is_(False)
            )
        ).scalars()
    )
    if not members:
        return False
    recused = _per_nomination(session, Recusal, saved_id(meeting))
    receipts = _per_nomination(session, VoteReceipt, saved_id(meeting))
    return all(
        receipts.get(nid, 0) >= len(members) - recused.get(nid, 0) for nid in _agenda(meeting)
    )


def outcome_reason(v: VoteResult) -> str:
    """Why a nomination did not pass, as the dossier and the decision's notes say it."""
    if not v.quorum_met:
        return (
            f"Phiên họp Hội đồng không đủ số thành viên dự họp theo quy định "
            f"({v.present}/{v.members} thành viên có mặt)"
        )
    return (
        f"Không đạt tỷ lệ phiếu đồng ý của Hội đồng ({v.yes}/{v.denominator} thành viên, "
        f"{percent(v.yes_pct, 1)})"
    )


def roll_line(roll: Roll) -> str:
    """The sitting's attendance and quorum in one line, for the stage's report."""
    absent = f", vắng mặt {len(roll.absent)}" if roll.absent else ""
    verdict = "đủ" if roll.quorum_met else "không đủ, không hồ sơ nào đạt"
    return (
        f"Hội đồng: có mặt {len(roll.present)}/{roll.members} thành viên{absent}; túc số "
        f"{roll.quorum} tổng số thành viên (ít nhất {roll.quorum_required}): {verdict}"
    )


def result_line(v: VoteResult) -> str:
    """One line per nomination for the stage's report: "… 8/9 thành viên đồng ý (88,9%)"."""
    verdict = "đạt" if v.passed else "không đạt"
    title = KNOWN_TITLES.get(v.title, v.title)
    return (
        f"{v.subject_name} — {title}: có mặt {v.present}/{v.members}, không tham gia "
        f"{v.recused}, phiếu phát ra {v.issued}, thu về {v.returned}, hợp lệ {v.valid}, đồng ý "
        f"{v.yes}, không đồng ý {v.no}; {v.yes}/{v.denominator} thành viên đồng ý "
        f"({percent(v.yes_pct, 1)}) → {verdict}"
    )
