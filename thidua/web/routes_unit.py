"""A unit's focal point (or head): what is due and what came back, registration, period
reports against the targets, self-scoring against the block's criteria. Always for the user's
own unit: no unit id ever comes from the browser. Each POST is one step (thidua.steps); each
page one read (thidua.views)."""

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool

from thidua import steps, views
from thidua.web.deps import DbId, User, form_int, render, show, unit_user

router = APIRouter(prefix="/unit")


@router.get("")
def unit_home(request: Request, user: User = Depends(unit_user)):
    """Every movement the unit takes part in, with what it owes and what was returned."""
    return render(request, "unit/home.html", **views.unit_home(user.own_unit_id))


@router.get("/{code}")
def unit_movement(code: str, request: Request, user: User = Depends(unit_user)):
    return render(request, "unit/movement.html", **views.unit_movement(code, user.own_unit_id))


@router.post("/{code}/register")
async def register(code: str, request: Request, user: User = Depends(unit_user)):
    form = await request.form()
    titles = [str(t) for t in form.getlist("titles")]
    person = str(form.get("person_id") or "").strip()
    pledge = str(form.get("pledge") or "")

    def work() -> steps.Done:
        return steps.register(
            code, actor=user.username, unit=user.own_unit_id, titles=titles,
            person=form_int(person, "Cá nhân", minimum=1) if person else None,
            pledge=pledge or None,
        )  # fmt: skip

    show(request, await run_in_threadpool(work))
    return RedirectResponse(f"/unit/{code}", status_code=303)


@router.get("/{code}/report/{number}")
def report_form(code: str, number: DbId, request: Request, user: User = Depends(unit_user)):
    return render(request, "unit/report.html", **views.report_form(code, user.own_unit_id, number))


def _prefixed(form, prefix: str) -> dict[str, str]:
    return {
        k.removeprefix(prefix): str(v).strip()
        for k, v in form.multi_items()
        if k.startswith(prefix) and str(v).strip()
    }


@router.post("/{code}/report/{number}")
async def report_submit(code: str, number: DbId, request: Request, user: User = Depends(unit_user)):
    form = await request.form()
    values, growth = _prefixed(form, "v:"), _prefixed(form, "g:")
    summary = str(form.get("summary") or "")

    def work() -> steps.Done:
        return steps.submit_report(
            code, actor=user.username, unit=user.own_unit_id, period=number, values=values,
            growth=growth, summary=summary,
        )  # fmt: skip

    show(request, await run_in_threadpool(work))
    return RedirectResponse(f"/unit/{code}", status_code=303)


@router.get("/{code}/scores")
def score_form(code: str, request: Request, user: User = Depends(unit_user)):
    return render(request, "unit/scores.html", **views.score_form(code, user.own_unit_id))


@router.post("/{code}/scores")
async def score_submit(code: str, request: Request, user: User = Depends(unit_user)):
    form = await request.form()
    points = _prefixed(form, "p:")

    def work() -> steps.Done:
        return steps.score(code, actor=user.username, unit=user.own_unit_id, points=points)

    show(request, await run_in_threadpool(work))
    return RedirectResponse(f"/unit/{code}", status_code=303)
