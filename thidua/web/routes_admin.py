"""The admin's dashboard of a movement: its state and the stages it may run next, deadlines,
progress by unit and by target (with charts), what each unit still owes, notification
failures; and the buttons that start a stage. Everything under /admin refuses anyone but an
admin."""

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from models import (
    Movement,
)
from models.base import saved_id
from models.db import session_scope
from thidua import notify, views
from thidua.lifecycle import (
    STEP_LABELS,
    StageDef,
    State,
    Turn,
    audit,
    check,
    period_count,
    stage_def,
    stage_defs_for,
    state_label,
    step_label,
    turn,
)
from thidua.movements import find_movement
from thidua.spec_schema import DEADLINE_LABELS
from thidua.vn import parse_number
from thidua.web import auth, charts
from thidua.web.deps import User, admin_user, flash, render, stage_starter

router = APIRouter(prefix="/admin", dependencies=[Depends(admin_user)])


@router.get("")
def admin_home(request: Request):
    return render(request, "admin/home.html", **views.movements())


@router.get("/m/{code}")
def dashboard(code: str, request: Request):
    ctx = views.dashboard(code)
    n = len(ctx["periods"])
    return render(
        request, "admin/dashboard.html", **ctx, stages=stage_defs_for(n),
        state_labels={x.value: state_label(x, n) for x in State},
        deadline_kinds={k: v for k, v in DEADLINE_LABELS.items()
                        if n > 1 or k != "period_2_report"},
        step_labels={name: step_label(name, n) for name in STEP_LABELS},
    )  # fmt: skip


@router.get("/m/{code}/chart/targets.png")
def chart_targets(code: str):
    chart = views.target_chart(code)
    png = chart.png if chart is not None else charts.empty_chart("Chưa có chỉ tiêu")
    return Response(png, media_type="image/png")


@router.get("/m/{code}/chart/units.png")
def chart_units(code: str):
    return Response(charts.units_chart(views.unit_shares(code)), media_type="image/png")


def _refuse_if_early(s, m: Movement, sdef: StageDef) -> None:
    """A stage asked for before its turn (or one this movement does not have) is refused now,
    with the lifecycle's reason, rather than in a background run nobody watches. A stage
    already passed may be run again: its flow finishes what a crash left undone and changes
    nothing else."""
    if turn(sdef, m.state, period_count(s, m)) in (None, Turn.EARLY):
        check(s, m, sdef.step_names[0])  # raises TransitionRefused saying why


@router.post("/m/{code}/stage")
def trigger_stage(
    code: str, request: Request, stage: str = Form(""), user: User = Depends(admin_user)
):
    """Start a stage in the background; the stage's flow checks and audits its own steps."""
    sdef = stage_def(stage)
    with session_scope() as s:
        m = find_movement(s, code)
        _refuse_if_early(s, m, sdef)
        audit(s, actor=user.username, movement_id=m.id, entity="movement", entity_id=m.id,
              action="stage.requested", data={"stage": sdef.name})  # fmt: skip
    stage_starter(request)(code, sdef.name, actor=user.username)
    flash(request, f"Đã yêu cầu chạy giai đoạn «{sdef.label}». Kết quả sẽ hiện khi chạy xong.")
    return RedirectResponse(f"/admin/m/{code}", status_code=303)


@router.post("/sessions/end")
def end_all_sessions(request: Request, user: User = Depends(admin_user)):
    """End every portal session but this one: everyone logs in again (e.g. after a leak)."""
    with session_scope() as s:
        ended = auth.end_sessions(s, actor=user.username, keep=request.session.get("sid"))
    flash(request, f"Đã kết thúc {ended} phiên đăng nhập; mọi người phải đăng nhập lại.")
    return RedirectResponse("/admin", status_code=303)


# --- amendments after launch (thidua.amend): deadlines and criteria tables ------------------


def _criteria_lines(text: str) -> list[dict]:
    """ "TC1 | Hoàn thành nhiệm vụ | 60" per line: the criteria as an office types them."""
    from thidua.errors import InvalidInput, Problem

    rows, problems = [], []
    for n, line in enumerate((ln for ln in text.splitlines() if ln.strip()), 1):
        parts = [p.strip() for p in line.split("|")]
        if len(parts) != 3:
            problems.append(Problem(f"Dòng {n}", "viết: mã | nội dung tiêu chí | điểm tối đa"))
            continue
        try:
            points = parse_number(parts[2])
        except ValueError:
            problems.append(Problem(f"Dòng {n}", f"điểm tối đa '{parts[2]}' không phải là số"))
            continue
        rows.append({"code": parts[0], "text": parts[1], "max_points": points})
    if problems:
        raise InvalidInput("Bảng tiêu chí chưa được ghi", problems)
    return rows


@router.post("/m/{code}/deadline")
async def set_deadline(code: str, request: Request, user: User = Depends(admin_user)):
    from datetime import date

    from starlette.concurrency import run_in_threadpool

    from thidua.amend import amend_deadline
    from thidua.errors import InvalidInput, Problem

    form = await request.form()
    kind, reason = str(form.get("kind") or ""), str(form.get("reason") or "")

    def work() -> None:
        try:
            day = date.fromisoformat(str(form.get("due_on") or ""))
        except ValueError:
            problem = Problem("Ngày hạn", "chọn một ngày")
            raise InvalidInput("Hạn chưa được ghi", [problem]) from None
        with session_scope() as s:
            m = find_movement(s, code)
            mid = saved_id(m)
            messages = amend_deadline(s, m, kind, day, actor=user.username, reason=reason)
        notify.deliver(mid, messages)

    await run_in_threadpool(work)
    flash(request, "Đã điều chỉnh hạn và báo các đơn vị.")
    return RedirectResponse(f"/admin/m/{code}", status_code=303)


@router.post("/m/{code}/criteria")
async def set_criteria(code: str, request: Request, user: User = Depends(admin_user)):
    from starlette.concurrency import run_in_threadpool

    from thidua.amend import set_criteria_table

    form = await request.form()
    name, reason = str(form.get("name") or ""), str(form.get("reason") or "")
    block = str(form.get("block") or "").strip() or None

    def work() -> None:
        data = {"block": block, "name": name, "criteria": _criteria_lines(str(form.get("rows")))}
        with session_scope() as s:
            m = find_movement(s, code)
            mid = saved_id(m)
            messages = set_criteria_table(s, m, data, actor=user.username, reason=reason)
        notify.deliver(mid, messages)

    await run_in_threadpool(work)
    flash(request, "Đã lưu bảng tiêu chí và báo các đơn vị.")
    return RedirectResponse(f"/admin/m/{code}", status_code=303)
