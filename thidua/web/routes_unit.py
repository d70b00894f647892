"""A unit's focal point (or head): what is due and what came back, registration, period
reports against the targets, self-scoring against the block's criteria. Always for the user's
own unit: no unit id ever comes from the browser."""

import re

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse
from sqlmodel import col, select
from starlette.concurrency import run_in_threadpool

from models import (
    CriteriaTable,
    Criterion,
    Movement,
    Nomination,
    Participant,
    Period,
    PeriodReport,
    Person,
    Registration,
    Score,
    Target,
    TargetResult,
)
from models.base import saved_id
from models.db import session_scope
from thidua import scoring, submissions, vn
from thidua.documents.context_common import growth_text, target_value
from thidua.dossiers import subtree
from thidua.errors import InvalidInput, NotFound, Problem
from thidua.lifecycle import State, movement_state_label, period_phrase
from thidua.obligations import outstanding
from thidua.rules.engine import rule_set_for
from thidua.web.deps import (
    DbId,
    User,
    flash,
    form_int,
    own_participation,
    render,
    subject_names,
    unit_user,
)

router = APIRouter(prefix="/unit")
NUMERIC = re.compile(r"^[-\d.,]+$")  # looks like a number; words go to the domain's check
VN_NUMBER = re.compile(r"^-?(\d{1,3}(\.\d{3})+|\d+)(,\d+)?$")
NUMBER_HINT = (
    "viết số theo kiểu Việt Nam: dấu chấm ngăn hàng nghìn, dấu phẩy trước phần thập phân "
    "(ví dụ 1.234,5)"
)


@router.get("")
def unit_home(request: Request, user: User = Depends(unit_user)):
    """Every movement the unit takes part in, with what it owes and what was returned."""
    with session_scope() as s:
        movements = s.exec(
            select(Movement)
            .join(Participant, col(Participant.movement_id) == col(Movement.id))
            .where(Participant.unit_id == user.unit_id)
            .order_by(col(Movement.year).desc())
        ).all()
        rows = [
            (m, movement_state_label(s, m), *_due_and_returned(s, m, user.own_unit_id))
            for m in movements
        ]
    return render(request, "unit/home.html", rows=rows)


def _due_and_returned(s, movement: Movement, unit_id: int):
    owed = [o for o in outstanding(s, movement) if o.unit_id == unit_id]
    reports = s.exec(
        select(PeriodReport).where(
            PeriodReport.movement_id == movement.id,
            PeriodReport.unit_id == unit_id,
            PeriodReport.status == "returned",
        )
    ).all()
    noms = s.exec(
        select(Nomination).where(
            Nomination.movement_id == movement.id,
            Nomination.unit_id == unit_id,
            Nomination.status == "returned",
        )
    ).all()
    return owed, list(reports), list(noms)


@router.get("/{code}")
def unit_movement(code: str, request: Request, user: User = Depends(unit_user)):
    with session_scope() as s:
        movement, _part = own_participation(s, user, code)
        owed, returned_reports, returned_noms = _due_and_returned(s, movement, user.own_unit_id)
        rs = rule_set_for(movement)
        registrations = s.exec(
            select(Registration).where(
                Registration.movement_id == movement.id, Registration.unit_id == user.unit_id
            )
        ).all()
        periods = s.exec(
            select(Period).where(Period.movement_id == movement.id).order_by(col(Period.number))
        ).all()
        reports = {
            r.period_number: r
            for r in s.exec(
                select(PeriodReport).where(
                    PeriodReport.movement_id == movement.id, PeriodReport.unit_id == user.unit_id
                )
            )
        }
        nominations = s.exec(
            select(Nomination)
            .where(Nomination.movement_id == movement.id, Nomination.unit_id == user.unit_id)
            .order_by(col(Nomination.id))
        ).all()
        people = sorted(  # Vietnamese collation, the same on every database
            s.exec(select(Person).where(Person.unit_id == user.unit_id, Person.active)).all(),
            key=lambda p: vn.person_key(p.full_name),
        )
        names = {p.id: p.full_name for p in people}
        subjects = subject_names(s, list(nominations))
        scored = s.exec(
            select(Score.id)
            .join(Criterion, col(Criterion.id) == col(Score.criterion_id))
            .join(CriteriaTable, col(CriteriaTable.id) == col(Criterion.table_id))
            .where(  # a self-score against a replaced table must be given again
                Score.movement_id == movement.id,
                Score.unit_id == user.unit_id,
                Score.scorer_kind == "self",
                col(CriteriaTable.replaced_at).is_(None),
            )
        ).first()
    return render(
        request, "unit/movement.html", m=movement, state=State(movement.state), owed=owed,
        returned_reports=returned_reports, returned_noms=returned_noms, titles=rs.titles,
        registrations=registrations, periods=periods, reports=reports, nominations=nominations,
        people=people, names=names, subjects=subjects, scored=scored is not None,
        can_register=State(movement.state) in submissions.REGISTRATION_STATES,
    )  # fmt: skip


@router.post("/{code}/register")
async def register(code: str, request: Request, user: User = Depends(unit_user)):
    form = await request.form()
    titles = [str(t) for t in form.getlist("titles")]
    person = str(form.get("person_id") or "").strip()
    pledge = str(form.get("pledge") or "")

    def work() -> int:
        with session_scope() as s:
            movement, _ = own_participation(s, user, code)
            person_id = None
            if person:
                p = s.get(Person, form_int(person, "Cá nhân", minimum=1))
                if p is None or p.unit_id not in subtree(s, user.own_unit_id):
                    raise InvalidInput(
                        "Đăng ký không hợp lệ", [Problem("Cá nhân", "không thuộc đơn vị")]
                    )
                person_id = p.id
            rs = rule_set_for(movement)
            unknown = [t for t in titles if t not in rs.titles]
            if unknown:
                raise InvalidInput(
                    "Đăng ký không hợp lệ",
                    [Problem("Danh hiệu", f"không có danh hiệu '{t}'") for t in unknown],
                )
            kind = "individual" if person_id else "collective"
            misfit = [t for t in titles if rs.titles[t].subject not in {kind, "both"}]
            if misfit:
                whom = "cá nhân" if kind == "collective" else "tập thể"
                raise InvalidInput(
                    "Đăng ký không hợp lệ",
                    [Problem("Danh hiệu", f"{rs.titles[t].name} chỉ dành cho {whom}")
                     for t in misfit],
                )  # fmt: skip
            rows = submissions.register(
                s, movement=movement, unit_id=user.own_unit_id, titles=titles, actor=user.username,
                person_id=person_id, pledge=pledge or None,
            )  # fmt: skip
            return len(rows)

    n = await run_in_threadpool(work)
    flash(request, f"Đã ghi đăng ký thi đua ({n} danh hiệu).")
    return RedirectResponse(f"/unit/{code}", status_code=303)


@router.get("/{code}/report/{number}")
def report_form(code: str, number: DbId, request: Request, user: User = Depends(unit_user)):
    with session_scope() as s:
        movement, _ = own_participation(s, user, code)
        period = s.exec(
            select(Period).where(Period.movement_id == movement.id, Period.number == number)
        ).first()
        if period is None:
            raise NotFound(f"Phong trào không có Đợt {number}.")
        phrase = period_phrase(s, movement, number)  # "Đợt 1", or "năm 2022"
        targets = s.exec(
            select(Target).where(Target.movement_id == movement.id).order_by(col(Target.seq))
        ).all()
        report = s.exec(
            select(PeriodReport).where(
                PeriodReport.movement_id == movement.id,
                PeriodReport.unit_id == user.unit_id,
                PeriodReport.period_number == number,
            )
        ).first()
        values = {}
        if report is not None:
            values = {
                r.target_id: r
                for r in s.exec(select(TargetResult).where(TargetResult.report_id == report.id))
            }
    return render(
        request, "unit/report.html", m=movement, period=period, targets=targets, report=report,
        values=values, planned={t.id: target_value(t) for t in targets}, phrase=phrase,
        growth={t.id: growth_text(t) for t in targets},
        is_open=State(movement.state) in submissions.REPORT_STATES.get(number, ()),
    )  # fmt: skip


@router.post("/{code}/report/{number}")
async def report_submit(code: str, number: DbId, request: Request, user: User = Depends(unit_user)):
    form = await request.form()
    values = {
        k.removeprefix("v:"): str(v).strip()
        for k, v in form.multi_items()
        if k.startswith("v:") and str(v).strip()
    }
    growth = {
        k.removeprefix("g:"): str(v).strip()
        for k, v in form.multi_items()
        if k.startswith("g:") and str(v).strip()
    }
    summary = str(form.get("summary") or "")

    phrase = f"Đợt {number}"

    def work() -> None:
        nonlocal phrase
        with session_scope() as s:
            movement, _ = own_participation(s, user, code)
            phrase = period_phrase(s, movement, number)  # "Đợt 1", or "năm 2022"
            labels = {
                t.code: t.label
                for t in s.exec(select(Target).where(Target.movement_id == movement.id))
            }
            odd = [
                (what, c, v)
                for what, given in (("Chỉ tiêu", values), ("Tăng trưởng của chỉ tiêu", growth))
                for c, v in given.items()
                if NUMERIC.match(v.lstrip("-")) and not VN_NUMBER.match(v.lstrip("-"))
            ]
            if odd:  # "1.5" would read as 15: the dot groups thousands in Vietnamese
                raise InvalidInput(
                    f"Báo cáo {phrase} chưa được ghi",
                    [Problem(f"{what} «{labels.get(c, c)}»", f"'{v}': {NUMBER_HINT}")
                     for what, c, v in odd],
                )  # fmt: skip
            try:
                submissions.submit_period_report(
                    s, movement=movement, unit_id=user.own_unit_id, period_number=number,
                    values=values, actor=user.username, summary=summary, growth=growth,
                )  # fmt: skip
            except InvalidInput as e:  # name the target as the form shows it
                raise InvalidInput(e.message, [_named(p, labels) for p in e.problems]) from None

    await run_in_threadpool(work)
    flash(request, f"Đã nộp báo cáo {phrase}.")
    return RedirectResponse(f"/unit/{code}", status_code=303)


def _named(p: Problem, labels: dict[str, str]) -> Problem:
    what, _, code = p.field.partition(".")
    name = {"values": "Chỉ tiêu", "growth": "Tăng trưởng của chỉ tiêu"}.get(what)
    return Problem(f"{name} «{labels[code]}»", p.reason) if name and code in labels else p


@router.get("/{code}/scores")
def score_form(code: str, request: Request, user: User = Depends(unit_user)):
    with session_scope() as s:
        movement, part = own_participation(s, user, code)
        criteria = scoring.criteria_for(s, saved_id(movement), part.block_id)
        table = scoring.table_for(scoring.current_tables(s, saved_id(movement)), part.block_id)
        current = {
            sc.criterion_id: sc.points
            for sc in s.exec(
                select(Score).where(
                    Score.movement_id == movement.id,
                    Score.unit_id == user.unit_id,
                    Score.scorer_kind == "self",
                )
            )
        }
    return render(request, "unit/scores.html", m=movement, criteria=criteria, current=current,
                  table=table)  # fmt: skip


@router.post("/{code}/scores")
async def score_submit(code: str, request: Request, user: User = Depends(unit_user)):
    form = await request.form()
    points = {
        k.removeprefix("p:"): str(v).strip()
        for k, v in form.multi_items()
        if k.startswith("p:") and str(v).strip()
    }

    def work() -> None:
        with session_scope() as s:
            movement, _ = own_participation(s, user, code)
            scoring.submit_scores(
                s, movement=movement, unit_id=user.own_unit_id, scorer_kind="self", points=points,
                actor=user.username,
            )  # fmt: skip

    await run_in_threadpool(work)
    flash(request, "Đã ghi điểm tự chấm.")
    return RedirectResponse(f"/unit/{code}", status_code=303)
