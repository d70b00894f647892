"""A council member: the dossiers on the sitting's agenda with their rule checks, past awards
and evidence; recuse or cast a secret ballot; the chair closes the vote. The ballot itself
goes through thidua.council, which commits and starts the decision stage when it was the
last one (through the app's stage starter: in the portal, a background thread)."""

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse
from sqlmodel import col, select

from models import (
    Council,
    CouncilMember,
    Evidence,
    Meeting,
    Movement,
    Nomination,
    Person,
    Recusal,
    Unit,
    VoteReceipt,
)
from models.base import saved_id
from models.db import session_scope
from thidua import ballots, council, exceptions
from thidua.council import current_meeting
from thidua.documents import list_in_order
from thidua.errors import InvalidInput, Problem, ThiduaError
from thidua.history import history_for
from thidua.lifecycle import audit, movement_state_label
from thidua.rules.engine import check_all, rule_set_for
from thidua.web.deps import (
    Forbidden,
    FormId,
    User,
    council_user,
    find_movement,
    flash,
    render,
    stage_starter,
    subject_names,
)

router = APIRouter(prefix="/council")


@router.get("")
def council_home(request: Request, user: User = Depends(council_user)):
    with session_scope() as s:
        rows = []
        for m in s.exec(select(Movement).order_by(col(Movement.year).desc())):
            meeting = current_meeting(s, m)
            rows.append((m, movement_state_label(s, m), meeting))
    return render(request, "council/home.html", rows=rows)


@router.get("/{code}")
def sitting(code: str, request: Request, user: User = Depends(council_user)):
    with session_scope() as s:
        movement = find_movement(s, code)
        meeting = current_meeting(s, movement)
        ctx: dict = {"m": movement, "meeting": meeting, "rows": [], "results": []}
        if meeting is not None:
            member = s.exec(
                select(CouncilMember).where(
                    CouncilMember.council_id == meeting.council_id,
                    CouncilMember.person_id == user.person_id,
                )
            ).first()
            if member is None:
                raise Forbidden("Bạn không phải là thành viên Hội đồng của phong trào này.")
            noms = list_in_order(  # the ballot paper in the Danh sách's order
                s, s.exec(select(Nomination).where(col(Nomination.id).in_(ballots.agenda(meeting))))
            )
            checks = {c.nomination_id: c for c in check_all(s, movement)}
            history = history_for(s, [n.subject_key for n in noms])
            evidence: dict[int, list[Evidence]] = {}
            for ev in s.exec(
                select(Evidence).where(col(Evidence.nomination_id).in_([n.id for n in noms]))
            ):
                evidence.setdefault(ev.nomination_id, []).append(ev)
            voted = set(
                s.exec(
                    select(VoteReceipt.nomination_id).where(
                        VoteReceipt.meeting_id == meeting.id, VoteReceipt.member_id == member.id
                    )
                )
            )
            recused = set(
                s.exec(
                    select(Recusal.nomination_id).where(
                        Recusal.meeting_id == meeting.id, Recusal.member_id == member.id
                    )
                )
            )
            names = subject_names(s, noms)
            units = dict(
                s.exec(
                    select(Unit.id, Unit.name).where(col(Unit.id).in_({n.unit_id for n in noms}))
                ).all()
            )
            rs = rule_set_for(movement)
            excepted: dict[int, dict] = {}
            for x in exceptions.for_meeting(s, meeting):
                excepted.setdefault(x.nomination_id, {})[x.rule_id] = x
            ctx["rows"] = [
                {"n": n, "subject": names[saved_id(n)], "unit": units.get(n.unit_id, ""),
                 "title": rs.title_name(n.title), "check": checks.get(saved_id(n)),
                 "excepted": excepted.get(saved_id(n), {}),
                 "history": history[n.subject_key], "evidence": evidence.get(saved_id(n), []),
                 "voted": n.id in voted, "recused": n.id in recused}
                for n in noms
            ]  # fmt: skip
            chair = s.get_one(Council, meeting.council_id).chair_person_id
            ctx["is_chair"] = chair == user.person_id
            ctx["keeps_roll"] = ctx["is_chair"] or member.role == "secretary"
            ctx["titles"] = {n.id: rs.title_name(n.title) for n in noms}
            ctx["roll"] = ballots.attendance(s, meeting)
            seated = s.exec(
                select(CouncilMember.person_id).where(
                    CouncilMember.council_id == meeting.council_id
                )
            ).all()
            ctx["names"] = dict(
                s.exec(select(Person.id, Person.full_name).where(col(Person.id).in_(seated))).all()
            )
            if meeting.status == "closed":
                ctx["results"] = ballots.results(s, meeting)
    return render(request, "council/sitting.html", **ctx)


@router.post("/{code}/vote")
def vote(
    code: str,
    request: Request,
    nomination_id: FormId,
    choice: str = Form(""),
    user: User = Depends(council_user),
):
    if choice not in ballots.CHOICES:
        raise InvalidInput("Phiếu không hợp lệ", [Problem("Lựa chọn", "chưa chọn ý kiến")])
    closed = _cast(code, user, nomination_id, choice, stage_starter(request))
    _audit_ballot(code, user, nomination_id)
    flash(request, f"Đã ghi phiếu bầu cho hồ sơ số {nomination_id}.")
    if closed:
        flash(request, "Mọi thành viên đã bỏ phiếu: phiên họp kết thúc, chuyển sang quyết định.")
    return RedirectResponse(f"/council/{code}", status_code=303)


def _receipt(code: str, person_id: int, nomination_id: int) -> bool:
    with session_scope() as s:
        return (
            s.exec(
                select(VoteReceipt.id)
                .join(Meeting, col(Meeting.id) == col(VoteReceipt.meeting_id))
                .join(Council, col(Council.id) == col(Meeting.council_id))
                .join(CouncilMember, col(CouncilMember.id) == col(VoteReceipt.member_id))
                .join(Movement, col(Movement.id) == col(Council.movement_id))
                .where(
                    Movement.code == code,
                    CouncilMember.person_id == person_id,
                    VoteReceipt.nomination_id == nomination_id,
                )
            ).first()
            is not None
        )


def _cast(code: str, user: User, nomination_id: int, choice: str, start_stage) -> bool:
    """council.vote commits the ballot, then closes the sitting if it was the last one. When
    two last ballots arrive together both try to close it and one is refused although its
    ballot is stored: that member's vote counted, so it is reported as done, not as an error
    (a work-around in the portal; the domain call does both steps at once)."""
    had = _receipt(code, user.own_person_id, nomination_id)
    try:
        return council.vote(
            code, member_person_id=user.own_person_id, nomination_id=nomination_id, choice=choice,
            start_stage=start_stage,
        )  # fmt: skip
    except ThiduaError:
        if had or not _receipt(code, user.own_person_id, nomination_id):
            raise
        return False


def _audit_ballot(code: str, user: User, nomination_id: int) -> None:
    """That the member voted (never how): the same fact the VoteReceipt holds."""
    with session_scope() as s:
        m = find_movement(s, code)
        audit(s, actor=user.username, movement_id=m.id, entity="nomination",
              entity_id=nomination_id, action="ballot.cast")  # fmt: skip


@router.post("/{code}/recuse")
def recuse(
    code: str,
    request: Request,
    nomination_id: FormId,
    reason: str = Form(""),
    user: User = Depends(council_user),
):
    council.recuse(
        code, member_person_id=user.own_person_id, nomination_id=nomination_id, reason=reason,
        start_stage=stage_starter(request),
    )  # fmt: skip
    flash(request, f"Đã ghi việc không tham gia biểu quyết hồ sơ số {nomination_id}.")
    return RedirectResponse(f"/council/{code}", status_code=303)


@router.post("/{code}/attendance")
def attendance(
    code: str,
    request: Request,
    person_id: FormId,
    present: str = Form(""),
    reason: str = Form(""),
    user: User = Depends(council_user),
):
    """The secretary (or the chair) marks a member present or absent; the domain refuses
    anyone else and anyone not on the council."""
    if present not in {"yes", "no"}:
        raise InvalidInput("Điểm danh không hợp lệ", [Problem("Có mặt", "chưa chọn")])
    council.mark_attendance(code, member_person_id=person_id, present=present == "yes",
                            reason=reason, actor=user.username)  # fmt: skip
    flash(request, "Đã ghi điểm danh.")
    return RedirectResponse(f"/council/{code}", status_code=303)


@router.post("/{code}/close")
def close(code: str, request: Request, user: User = Depends(council_user)):
    council.close_vote(code, actor=user.username, start_stage=stage_starter(request))
    flash(request, "Đã kết thúc bỏ phiếu.")
    return RedirectResponse(f"/council/{code}", status_code=303)
