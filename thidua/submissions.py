"""What units submit: registrations and period reports, and the office returning a report.
Plain domain calls in the caller's transaction — guarded by the stage, every input checked
before anything is written, audited when something changed. The steps (thidua.steps) open the
unit of work and check who acts; the portal, the CLI, the workbook import and the demo all come
through here."""

from collections.abc import Mapping
from decimal import Decimal

from sqlmodel import Session, col, select

from models import (
    Movement,
    Participant,
    PeriodReport,
    Person,
    Registration,
    Target,
    TargetResult,
)
from models.base import saved_id
from thidua import uploads
from thidua.dossiers import below, subtree, units_of_active
from thidua.errors import InvalidInput, NotFound, Problem, Problems, ThiduaError
from thidua.lifecycle import State, audit, period_phrase, require_state
from thidua.rules.engine import rule_set_for
from thidua.rules.ruleset import RuleSet
from thidua.statuses import ReportStatus, check_move
from thidua.vn import nfc, parse_number

REGISTRATION_STATES = frozenset({State.REGISTRATION, State.PERIOD1_OPEN})
REPORT_STATES = {
    1: frozenset({State.PERIOD1_OPEN, State.PERIOD1_CLOSED}),
    2: frozenset({State.PERIOD2_OPEN, State.PERIOD2_CLOSED}),
}


def require_participant(session: Session, movement: Movement, unit_id: int) -> None:
    found = session.exec(
        select(Participant.id).where(
            Participant.movement_id == movement.id, Participant.unit_id == unit_id
        )
    ).first()
    if found is None:
        raise NotFound(_not_taking_part(movement, unit_id))


def _not_taking_part(movement: Movement, unit_id: int) -> str:
    return f"Đơn vị {unit_id} không tham gia phong trào {movement.code}."


def register(
    session: Session,
    *,
    movement: Movement,
    unit_id: int,
    titles: list[str],
    actor: str,
    person_id: int | None = None,
    pledge: str | None = None,
) -> list[Registration]:
    """Register a unit (or one of its people, in its own subtree) for titles of the movement's
    rule set that fit the subject (a collective's titles for a unit, an individual's for a
    person). Registering the same title again changes nothing."""
    require_state(session, movement, REGISTRATION_STATES, "đăng ký thi đua")
    require_participant(session, movement, unit_id)
    titles = _titles(titles)
    person_ok = True
    if person_id is not None:
        person = session.get(Person, person_id)
        person_ok = (
            person is not None and person.active and person.unit_id in subtree(session, unit_id)
        )
    _registration_problems(
        rule_set_for(movement), titles, person_id, pledge, person_ok
    ).raise_if_any("Đăng ký thi đua không hợp lệ")
    subject_key = f"person:{person_id}" if person_id else f"unit:{unit_id}"
    existing = {
        r.title: r
        for r in session.exec(
            select(Registration).where(
                Registration.movement_id == movement.id, Registration.subject_key == subject_key
            )
        )
    }
    added = _add_registrations(
        session, movement, unit_id, person_id, titles, pledge, actor, set(existing)
    )
    session.flush()
    return [*existing.values(), *added]


def _titles(titles: list[str]) -> list[str]:
    return list(dict.fromkeys(t for t in (nfc(t).strip() for t in titles) if t))


def _registration_problems(
    rs: RuleSet, titles: list[str], person_id: int | None, pledge: str | None, person_ok: bool
) -> Problems:
    """What is wrong with one registration (its titles already cleaned by _titles)."""
    problems = Problems()
    if not titles:
        problems.add("Danh hiệu", "chưa chọn danh hiệu")
    if not person_ok:
        problems.add("Cá nhân", "không thuộc đơn vị đăng ký")
    kind = "individual" if person_id is not None else "collective"
    for t in titles:
        if t not in rs.titles:
            problems.add("Danh hiệu", f"không có danh hiệu '{t}' (có: {', '.join(rs.titles)})")
        elif rs.titles[t].subject not in {kind, "both"}:
            whom = "cá nhân" if kind == "collective" else "tập thể"
            problems.add("Danh hiệu", f"{rs.titles[t].name} chỉ dành cho {whom}")
    if len(pledge or "") > uploads.MAX_TEXT:
        problems.add("Nội dung đăng ký", uploads.too_long(pledge or ""))
    return problems


def _add_registrations(
    session: Session,
    movement: Movement,
    unit_id: int,
    person_id: int | None,
    titles: list[str],
    pledge: str | None,
    actor: str,
    have: set[str],
) -> list[Registration]:
    """Add the checked titles the subject has not registered yet (`have`), audited; not
    flushed (a list's registrations go to the database together)."""
    subject_key = f"person:{person_id}" if person_id else f"unit:{unit_id}"
    added = [
        Registration(
            movement_id=saved_id(movement),
            unit_id=unit_id,
            person_id=person_id,
            subject_key=subject_key,
            title=t,
            pledge=nfc(pledge),
            submitted_by=actor,
        )
        for t in titles
        if t not in have
    ]
    session.add_all(added)
    if added:
        audit(
            session,
            actor=actor,
            movement_id=movement.id,
            entity="registration",
            entity_id=subject_key,
            action="registration.submitted",
            data={"titles": [r.title for r in added]},
        )
    return added


def _number(raw: Decimal | str | float | int) -> Decimal:
    """A figure as given: a number, or text in the Vietnamese form ("174.186,0"; "1.5" is
    refused rather than read as 15). ValueError says why, in Vietnamese."""
    if isinstance(raw, bool):
        raise ValueError(f"không phải là số: {raw!r}")
    if isinstance(raw, Decimal | int | float):
        value = Decimal(str(raw))
        if not value.is_finite():
            raise ValueError(f"không phải là số: {raw!r}")
        return value
    return parse_number(raw)


def _parse_report(
    targets: dict[str, Target],
    values: Mapping[str, Decimal | str | float | int],
    growth: Mapping[str, Decimal | str | float | int] | None,
    summary: str,
    problems: Problems,
) -> tuple[dict[int, Decimal], dict[int, Decimal]]:
    """A report's figures and growths by target id, checked as the column keeps them; what is
    wrong goes into `problems`, named as the directive names the target."""
    if len(summary) > uploads.MAX_TEXT:
        problems.add("Tóm tắt kết quả", uploads.too_long(summary))
    parsed: dict[int, Decimal] = {}
    for code, raw in values.items():
        if code not in targets:
            problems.add(f"Chỉ tiêu {code}", "không có chỉ tiêu này trong phong trào")
            continue
        field = target_field(targets[code])
        try:
            value = _number(raw)
        except ValueError as e:
            problems.add(field, str(e))
            continue
        if value < 0:
            problems.add(field, "không được âm")
        elif value >= 10**16:  # the column holds 16 digits before the decimal point
            problems.add(field, "lớn quá mức cho phép")
        else:  # as the column keeps it (4 decimals), so that sending it again compares equal
            parsed[saved_id(targets[code])] = value.quantize(Decimal("0.0001"))
    grown: dict[int, Decimal] = {}
    for code, raw in (growth or {}).items():
        if code not in targets:
            problems.add(
                f"Tăng trưởng của chỉ tiêu {code}", "không có chỉ tiêu này trong phong trào"
            )
            continue
        field = growth_field(targets[code])
        if targets[code].growth_pct is None:
            problems.add(field, "chỉ tiêu này không đặt mức tăng trưởng")
            continue
        try:
            g = _number(raw)
        except ValueError as e:
            problems.add(field, f"mức tăng trưởng {e}")
            continue
        if not -100 < g < 100000:
            problems.add(field, "mức tăng trưởng phải lớn hơn -100% và nhỏ hơn 100.000%")
            continue
        if targets[code].id not in parsed:
            problems.add(field, "có mức tăng trưởng nhưng thiếu số liệu thực hiện")
        grown[saved_id(targets[code])] = g.quantize(Decimal("0.01"))
    return parsed, grown


def submit_period_report(
    session: Session,
    *,
    movement: Movement,
    unit_id: int,
    period_number: int,
    values: Mapping[str, Decimal | str | float | int],
    actor: str,
    summary: str = "",
    growth: Mapping[str, Decimal | str | float | int] | None = None,
) -> PeriodReport:
    """A unit's report for a period: a value per target (by target code), the growth against
    the directive's baseline for the targets that set one (by code, in %, negative for a fall),
    and a summary. Submitting again while the period is open (or after a return) replaces
    them; submitting the same report again changes nothing. A problem names the target as the
    directive does ("Chỉ tiêu «Giá trị sản xuất công nghiệp»")."""
    phrase = period_phrase(session, movement, period_number)  # "Đợt 1", or "năm 2022"
    allowed = REPORT_STATES.get(period_number, frozenset())
    require_state(session, movement, allowed, f"nộp báo cáo {phrase}")
    require_participant(session, movement, unit_id)
    targets = {
        t.code: t for t in session.exec(select(Target).where(Target.movement_id == movement.id))
    }
    problems = Problems()
    summary = nfc(summary or "")
    parsed, grown = _parse_report(targets, values, growth, summary, problems)
    problems.raise_if_any(f"Báo cáo {phrase} không hợp lệ")

    report = session.exec(
        select(PeriodReport).where(
            PeriodReport.movement_id == movement.id,
            PeriodReport.unit_id == unit_id,
            PeriodReport.period_number == period_number,
        )
    ).first()
    current: dict[int, TargetResult] = {}
    if report is not None:
        current = {
            r.target_id: r
            for r in session.exec(select(TargetResult).where(TargetResult.report_id == report.id))
        }
        same = (
            report.status == ReportStatus.SUBMITTED
            and report.summary == summary
            and all(
                t in current and current[t].value == v and current[t].growth_pct == grown.get(t)
                for t, v in parsed.items()
            )
        )
        if same:  # the same report sent again: nothing to write
            return report
        check_move(report.status, ReportStatus.SUBMITTED, doing=f"nộp báo cáo {phrase}")
    previous = report.status if report else None
    if report is None:
        report = PeriodReport(
            movement_id=saved_id(movement),
            unit_id=unit_id,
            period_number=period_number,
            submitted_by=actor,
        )
    report.status = ReportStatus.SUBMITTED
    report.summary = summary
    report.submitted_by = actor
    report.returned_reason = None
    session.add(report)
    session.flush()
    for target_id, value in parsed.items():
        row = current.get(target_id) or TargetResult(
            report_id=saved_id(report), target_id=target_id, value=value
        )
        row.value = value
        row.growth_pct = grown.get(target_id)
        session.add(row)
    audit(
        session,
        actor=actor,
        movement_id=movement.id,
        entity="period_report",
        entity_id=report.id,
        action="report.submitted",
        from_state=previous,
        to_state=ReportStatus.SUBMITTED,
    )
    session.flush()
    return report


def register_many(session: Session, *, movement: Movement, items: list[dict], actor: str) -> int:
    """Many registrations at once (the units' lists, an import): each item has register's
    arguments (unit_id, titles, person_id, pledge, and its own `actor` if it has one) and goes
    through register's guards, read for the whole list in a few queries; every item's problem
    is reported at once and nothing is kept unless all pass (the session is rolled back).
    Returns the registrations added."""
    try:
        require_state(session, movement, REGISTRATION_STATES, "đăng ký thi đua")
        refused = None
    except ThiduaError as e:  # as register says it, for every item
        refused = e.message
    enrolled = set(
        session.exec(select(Participant.unit_id).where(Participant.movement_id == movement.id))
    )
    under = below(session)
    person_unit = units_of_active(
        session, [i["person_id"] for i in items if i.get("person_id") is not None]
    )
    have: dict[str, set[str]] = {}
    for key, title in session.exec(
        select(Registration.subject_key, Registration.title).where(
            Registration.movement_id == movement.id
        )
    ):
        have.setdefault(key, set()).add(title)
    rs = rule_set_for(movement)

    problems = Problems()
    added = 0
    for n, item in enumerate(items, start=1):
        where = f"dòng {n}"
        unit_id, person_id = item["unit_id"], item.get("person_id")
        if refused is not None or unit_id not in enrolled:
            reason = refused or _not_taking_part(movement, unit_id)
            problems.add("Đăng ký", reason, where)
            continue
        titles = _titles(list(item.get("titles") or []))
        pledge = item.get("pledge")
        person_ok = person_id is None or under(unit_id, person_unit.get(person_id))
        mine = _registration_problems(rs, titles, person_id, pledge, person_ok)
        problems.items += [Problem(p.field, p.reason, where) for p in mine.items]
        if mine or problems:  # a list with a problem writes nothing: only check the rest
            continue
        key = f"person:{person_id}" if person_id else f"unit:{unit_id}"
        done = _add_registrations(
            session, movement, unit_id, person_id, titles, pledge,
            item.get("actor") or actor, have.setdefault(key, set()),
        )  # fmt: skip
        have[key].update(r.title for r in done)
        added += len(done)
    if problems.items:
        session.rollback()  # all or nothing: the items that passed go too
    problems.raise_if_any("Danh sách đăng ký thi đua không hợp lệ; chưa ghi đăng ký nào")
    session.flush()
    return added


def submit_period_reports(
    session: Session, *, movement: Movement, period_number: int, reports: list[dict]
) -> int:
    """Many units' reports for a period at once: each item as submit_period_report's arguments
    (unit_id, values, growth, summary, actor), all checked before anything is written, in a few
    queries for the lot.
    Returns the reports written."""
    phrase = period_phrase(session, movement, period_number)
    allowed = REPORT_STATES.get(period_number, frozenset())
    require_state(session, movement, allowed, f"nộp báo cáo {phrase}")
    enrolled = set(
        session.exec(select(Participant.unit_id).where(Participant.movement_id == movement.id))
    )
    targets = {
        t.code: t for t in session.exec(select(Target).where(Target.movement_id == movement.id))
    }
    current = {
        r.unit_id: r
        for r in session.exec(
            select(PeriodReport).where(
                PeriodReport.movement_id == movement.id,
                PeriodReport.period_number == period_number,
            )
        )
    }
    problems = Problems()
    checked = []
    for item in reports:
        unit_id = item["unit_id"]
        where = f"đơn vị {unit_id}"
        if unit_id not in enrolled:
            problems.add("unit_id", "không tham gia phong trào", where)
            continue
        mine = Problems()
        parsed, grown = _parse_report(
            targets, item["values"], item.get("growth"), nfc(item.get("summary") or ""), mine
        )
        problems.items += [Problem(p.field, p.reason, where) for p in mine.items]
        checked.append((item, parsed, grown))
    problems.raise_if_any(f"Báo cáo {phrase} không hợp lệ; chưa ghi báo cáo nào")

    fresh = []
    for item, _, _ in checked:
        report = current.get(item["unit_id"])
        if report is None:
            report = PeriodReport(
                movement_id=saved_id(movement),
                unit_id=item["unit_id"],
                period_number=period_number,
                submitted_by=item["actor"],
            )
            current[item["unit_id"]] = report
            fresh.append(report)
    session.add_all(fresh)
    session.flush()  # the new reports' ids
    new_units = {r.unit_id for r in fresh}
    ids = [current[item["unit_id"]].id for item, _, _ in checked]
    results: dict[tuple[int, int], TargetResult] = {}
    for i in range(0, len(ids), 900):  # stay under SQLite's bound-parameter limit
        for r in session.exec(
            select(TargetResult).where(col(TargetResult.report_id).in_(ids[i : i + 900]))
        ):
            results[(r.report_id, r.target_id)] = r
    for item, parsed, grown in checked:
        report = current[item["unit_id"]]
        previous = None if report.unit_id in new_units else report.status
        report.status = ReportStatus.SUBMITTED
        report.summary = nfc(item.get("summary") or "")
        report.submitted_by = item["actor"]
        report.returned_reason = None
        session.add(report)
        for target_id, value in parsed.items():
            row = results.get((saved_id(report), target_id)) or TargetResult(
                report_id=saved_id(report), target_id=target_id, value=value
            )
            row.value = value
            row.growth_pct = grown.get(target_id)
            session.add(row)
        audit(
            session,
            actor=item["actor"],
            movement_id=saved_id(movement),
            entity="period_report",
            entity_id=report.id,
            action="report.submitted",
            from_state=previous,
            to_state=ReportStatus.SUBMITTED,
        )
    session.flush()
    return len(checked)


def target_field(target: Target) -> str:
    return f"Chỉ tiêu «{target.label}»"


def growth_field(target: Target) -> str:
    return f"Tăng trưởng của chỉ tiêu «{target.label}»"


def return_report(session: Session, *, report_id: int, reason: str, actor: str) -> PeriodReport:
    """The office sends a report back for correction, with its reason — while its period still
    takes reports, so that the unit can send it again. Returning a returned report changes
    nothing."""
    report = session.get(PeriodReport, report_id)
    if report is None:
        raise NotFound(f"Không tìm thấy báo cáo số {report_id}.")
    reason = nfc(reason or "").strip()
    if not reason:
        raise InvalidInput("Trả lại báo cáo", [Problem("Lý do", "phải nêu lý do trả lại")])
    uploads.check_text(reason, "Lý do")
    if report.status == ReportStatus.RETURNED:
        return report
    movement = session.get_one(Movement, report.movement_id)
    phrase = period_phrase(session, movement, report.period_number)
    allowed = REPORT_STATES.get(report.period_number, frozenset())
    require_state(session, movement, allowed, f"trả lại báo cáo {phrase}")
    check_move(report.status, ReportStatus.RETURNED, doing=f"trả lại báo cáo {phrase}")
    previous = report.status
    report.status = ReportStatus.RETURNED
    report.returned_reason = reason
    session.add(report)
    audit(
        session,
        actor=actor,
        movement_id=report.movement_id,
        entity="period_report",
        entity_id=report.id,
        action="report.returned",
        from_state=previous,
        to_state=ReportStatus.RETURNED,
        reason=reason,
    )
    session.flush()
    return report
