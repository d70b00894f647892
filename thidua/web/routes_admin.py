"""The admin's dashboard of a movement: its state and the stages it may run next, deadlines,
progress by unit and by target (with charts), what each unit still owes, notification
failures; and the buttons that start a stage. Everything under /admin refuses anyone but an
admin."""

from collections import Counter, defaultdict
from decimal import Decimal

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import col, func, select

from models import (
    AuditEvent,
    Block,
    CriteriaTable,
    Movement,
    Nomination,
    Participant,
    Period,
    PeriodReport,
    Registration,
    Score,
    Target,
    TargetResult,
    Unit,
)
from models.base import saved_id
from models.db import session_scope
from thidua import notify
from thidua.documents.context_reports import progress_figure, progress_rows
from thidua.lifecycle import (
    STEP_LABELS,
    StageDef,
    State,
    Turn,
    audit,
    check,
    movement_state_label,
    offered_stages,
    period_count,
    stage_def,
    stage_defs_for,
    state_label,
    step_label,
    turn,
)
from thidua.spec_schema import DEADLINE_LABELS
from thidua.status import movement_status
from thidua.targets import target_progress
from thidua.vn import parse_number
from thidua.web import auth, charts
from thidua.web.deps import User, admin_user, find_movement, flash, render, stage_starter

router = APIRouter(prefix="/admin", dependencies=[Depends(admin_user)])


@router.get("")
def admin_home(request: Request):
    with session_scope() as s:
        every = s.exec(select(Movement).order_by(Movement.code))
        rows = [(m, movement_state_label(s, m)) for m in every]
    return render(request, "admin/home.html", rows=rows)


def _last_period(s, movement: Movement) -> int:
    n = s.exec(select(func.max(Period.number)).where(Period.movement_id == movement.id)).one()
    return n or 1


def unit_progress(s, movement: Movement) -> list[dict]:
    """One row per taking-part unit: registrations, each period's report, self-score total,
    nominations, and the share of targets in its latest report."""
    units = s.exec(
        select(Unit.id, Unit.code, Unit.name)
        .join(Participant, col(Participant.unit_id) == col(Unit.id))
        .where(Participant.movement_id == movement.id)
        .order_by(Unit.code)
    ).all()
    n_targets = s.exec(
        select(func.count()).select_from(Target).where(Target.movement_id == movement.id)
    ).one()
    reports: dict[int, dict[int, PeriodReport]] = defaultdict(dict)
    for r in s.exec(select(PeriodReport).where(PeriodReport.movement_id == movement.id)):
        reports[r.unit_id][r.period_number] = r
    filled = dict(
        s.exec(
            select(TargetResult.report_id, func.count())
            .join(PeriodReport, col(PeriodReport.id) == col(TargetResult.report_id))
            .where(PeriodReport.movement_id == movement.id)
            .group_by(col(TargetResult.report_id))
        ).all()
    )
    regs = Counter(
        s.exec(select(Registration.unit_id).where(Registration.movement_id == movement.id))
    )
    noms = Counter(s.exec(select(Nomination.unit_id).where(Nomination.movement_id == movement.id)))
    scores: dict[int, Decimal] = defaultdict(Decimal)
    for uid, pts in s.exec(
        select(Score.unit_id, col(Score.points)).where(
            Score.movement_id == movement.id, Score.scorer_kind == "self"
        )
    ):
        scores[uid] += pts
    rows = []
    for uid, code, name in units:
        mine = reports.get(uid, {})
        latest = max((r for r in mine.values() if r.status != "returned"),
                     key=lambda r: r.period_number, default=None)  # fmt: skip
        share = 100.0 * filled.get(latest.id, 0) / n_targets if latest and n_targets else 0.0
        rows.append({"id": uid, "code": code, "name": name, "registrations": regs[uid],
                     "reports": mine, "score": scores.get(uid), "nominations": noms[uid],
                     "share": share})  # fmt: skip
    return rows


@router.get("/m/{code}")
def dashboard(code: str, request: Request):
    with session_scope() as s:
        st = movement_status(s, code)
        m = st.movement
        periods = s.exec(
            select(Period).where(Period.movement_id == m.id).order_by(col(Period.number))
        ).all()
        on_targets = target_progress(s, m, _last_period(s, m))
        units = unit_progress(s, m)
        failures = notify.failures(s, saved_id(m))
        offered = offered_stages(s, m)
        stage_log = s.exec(  # the steps taken and the stages asked for
            select(AuditEvent)
            .where(
                AuditEvent.movement_id == m.id,
                col(AuditEvent.action).startswith("step.")
                | (AuditEvent.action == "stage.requested"),
            )
            .order_by(col(AuditEvent.id).desc())
            .limit(8)
        ).all()
        tables = s.exec(  # every version, the one in force first: the record of amendments
            select(CriteriaTable, Block.name)
            .join(Block, col(Block.id) == col(CriteriaTable.block_id), isouter=True)
            .where(CriteriaTable.movement_id == m.id)
            .order_by(
                col(CriteriaTable.replaced_at).is_not(None), col(CriteriaTable.version).desc()
            )
        ).all()
    return render(
        request, "admin/dashboard.html", st=st, m=m, periods=periods,
        progress_rows=progress_rows(on_targets),
        criteria_tables=tables,
        reported=on_targets.reported, units=units, failures=failures,
        stages=stage_defs_for(len(periods)),
        suggested=offered[0].name if offered else None, stage_log=stage_log,
        state_labels={x.value: state_label(x, len(periods)) for x in State},
        deadline_kinds={k: v for k, v in DEADLINE_LABELS.items()
                        if len(periods) > 1 or k != "period_2_report"},
        step_labels={n: step_label(n, len(periods)) for n in STEP_LABELS},
    )  # fmt: skip


@router.get("/m/{code}/chart/targets.png")
def chart_targets(code: str):
    with session_scope() as s:
        m = find_movement(s, code)
        chart = progress_figure(target_progress(s, m, _last_period(s, m)))
    png = chart.png if chart is not None else charts.empty_chart("Chưa có chỉ tiêu")
    return Response(png, media_type="image/png")


@router.get("/m/{code}/chart/units.png")
def chart_units(code: str):
    with session_scope() as s:
        m = find_movement(s, code)
        rows = [(f"{u['code']} {u['name']}", u["share"]) for u in unit_progress(s, m)]
    return Response(charts.units_chart(rows), media_type="image/png")


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
