"""The block leader (khối trưởng): scores the units of his own block against the block's
criteria (scorer "leader"), beside their own self-scores, and sees the block's ranking."""

from decimal import Decimal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse
from sqlmodel import col, select
from starlette.concurrency import run_in_threadpool

from models import Block, CriteriaTable, Criterion, Movement, Participant, Score, Unit
from models.base import saved_id
from models.db import session_scope
from thidua import scoring
from thidua.web.deps import DbId, Forbidden, User, flash, leader_user, own_participation, render

router = APIRouter(prefix="/block")


def _my_block(s, user: User, code: str) -> tuple[Movement, int]:
    movement, part = own_participation(s, user, code)
    if part.block_id is None:
        raise Forbidden("Đơn vị của bạn không thuộc khối thi đua nào trong phong trào này.")
    block = s.get(Block, part.block_id)
    if block is None or block.leader_unit_id != user.unit_id:
        raise Forbidden("Đơn vị của bạn không phải là khối trưởng của khối thi đua này.")
    return movement, part.block_id


def _in_block(s, movement: Movement, block_id: int, unit_id: int) -> Unit:
    found = s.exec(
        select(Participant.id).where(
            Participant.movement_id == movement.id,
            Participant.unit_id == unit_id,
            Participant.block_id == block_id,
        )
    ).first()
    unit = s.get(Unit, unit_id)
    if found is None or unit is None:
        raise Forbidden("Đơn vị này không thuộc khối thi đua của bạn.")
    return unit


def _totals(s, movement_id: int, kind: str) -> dict[int, Decimal]:
    out: dict[int, Decimal] = {}
    for uid, pts in s.exec(
        select(Score.unit_id, col(Score.points))
        .join(Criterion, col(Criterion.id) == col(Score.criterion_id))
        .join(CriteriaTable, col(CriteriaTable.id) == col(Criterion.table_id))
        .where(  # a replaced table's scores are the record, not the count
            Score.movement_id == movement_id,
            Score.scorer_kind == kind,
            col(CriteriaTable.replaced_at).is_(None),
        )
    ):
        out[uid] = out.get(uid, Decimal(0)) + pts
    return out


@router.get("/{code}")
def block_page(code: str, request: Request, user: User = Depends(leader_user)):
    with session_scope() as s:
        movement, block_id = _my_block(s, user, code)
        block = s.get(Block, block_id)
        units = s.exec(
            select(Unit)
            .join(Participant, col(Participant.unit_id) == col(Unit.id))
            .where(Participant.movement_id == movement.id, Participant.block_id == block_id)
            .order_by(Unit.code)
        ).all()
        own, lead = _totals(s, saved_id(movement), "self"), _totals(s, saved_id(movement), "leader")
        ranking = next(
            (r for r in scoring.block_rankings(s, movement) if r.block_id == block_id), None
        )
    return render(
        request, "block/block.html", m=movement, block=block, units=units, own=own, lead=lead,
        ranking=ranking,
    )  # fmt: skip


@router.get("/{code}/unit/{unit_id}")
def leader_form(code: str, unit_id: DbId, request: Request, user: User = Depends(leader_user)):
    with session_scope() as s:
        movement, block_id = _my_block(s, user, code)
        unit = _in_block(s, movement, block_id, unit_id)
        criteria = scoring.criteria_for(s, saved_id(movement), block_id)
        points: dict[tuple[str, int], Decimal] = {
            (sc.scorer_kind, sc.criterion_id): sc.points
            for sc in s.exec(
                select(Score).where(Score.movement_id == movement.id, Score.unit_id == unit_id)
            )
        }
    return render(request, "block/score.html", m=movement, unit=unit, criteria=criteria,
                  points=points)  # fmt: skip


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

    def work() -> str:
        with session_scope() as s:
            movement, block_id = _my_block(s, user, code)
            unit = _in_block(s, movement, block_id, unit_id)
            scoring.submit_scores(
                s, movement=movement, unit_id=unit_id, scorer_kind="leader", points=points,
                actor=user.username,
            )  # fmt: skip
            return unit.name

    name = await run_in_threadpool(work)
    flash(request, f"Đã ghi điểm khối trưởng chấm cho {name}.")
    return RedirectResponse(f"/block/{code}", status_code=303)
