"""A council member: the dossiers on the sitting's agenda with their rule checks, past awards
and evidence; recuse or cast a secret ballot; the secretary keeps the roll; the chair closes
the vote. Each POST is one step (thidua.steps): the ballot commits, its audit with it, and the
last one starts the decision stage (in the portal, in a background thread)."""

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse

from thidua import ballots, steps, views
from thidua.errors import InvalidInput, Problem
from thidua.web.deps import FormId, User, council_user, render, show, stage_starter

router = APIRouter(prefix="/council")


@router.get("")
def council_home(request: Request, user: User = Depends(council_user)):
    return render(request, "council/home.html", **views.council_home())


@router.get("/{code}")
def sitting(code: str, request: Request, user: User = Depends(council_user)):
    return render(request, "council/sitting.html", **views.sitting(code, user.person_id))


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
    done = steps.vote(code, actor=user.username, choices={nomination_id: choice},
                      start_stage=stage_starter(request))  # fmt: skip
    show(request, done)
    return RedirectResponse(f"/council/{code}", status_code=303)


@router.post("/{code}/recuse")
def recuse(
    code: str,
    request: Request,
    nomination_id: FormId,
    reason: str = Form(""),
    user: User = Depends(council_user),
):
    done = steps.recuse(code, actor=user.username, nomination_id=nomination_id, reason=reason,
                        start_stage=stage_starter(request))  # fmt: skip
    show(request, done)
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
    show(request, steps.mark_attendance(code, actor=user.username, member=person_id,
                                        present=present == "yes", reason=reason))  # fmt: skip
    return RedirectResponse(f"/council/{code}", status_code=303)


@router.post("/{code}/close")
def close(code: str, request: Request, user: User = Depends(council_user)):
    show(request, steps.close_vote(code, actor=user.username, start_stage=stage_starter(request)))
    return RedirectResponse(f"/council/{code}", status_code=303)
