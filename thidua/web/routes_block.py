"""The block leader (khối trưởng): scores the units of his own block against the block's
criteria (scorer "leader"), beside their own self-scores, and sees the block's ranking."""

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool

from thidua import steps, views
from thidua.web.deps import DbId, User, leader_user, render, show

router = APIRouter(prefix="/block")


@router.get("/{code}")
def block_page(code: str, request: Request, user: User = Depends(leader_user)):
    return render(request, "block/block.html", **views.block(code, user.unit_id))


@router.get("/{code}/unit/{unit_id}")
def leader_form(code: str, unit_id: DbId, request: Request, user: User = Depends(leader_user)):
    return render(request, "block/score.html", **views.leader_form(code, user.unit_id, unit_id))


@router.post("/{code}/unit/{unit_id}")
async def leader_submit(
    code: str, unit_id: DbId, request: Request, user: User = Depends(leader_user)
):
    form = await request.form()
    points = {
        k.removeprefix("p:"): str(v).strip()
        for k, v in form.multi_items()
        if k.startswith("p:") and str(v).strip()
    }

    def work() -> steps.Done:
        views.in_led_block(code, user.unit_id, unit_id)  # his own block's unit, else refused
        return steps.score(code, actor=user.username, unit=unit_id, points=points, kind="leader")

    show(request, await run_in_threadpool(work))
    return RedirectResponse(f"/block/{code}", status_code=303)
