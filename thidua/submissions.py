"""What units submit: registrations and period reports. Plain domain calls — instant, audited,
no Prefect run. The portal, the CLI and the demo all come through here."""

from collections.abc import Mapping
from decimal import Decimal

from sqlmodel import Session, col, select

from models import Movement, Participant, PeriodReport, Registration, Target, TargetResult
from models.base import saved_id
from thidua import uploads
from thidua.errors import InvalidInput, NotFound, Problem, Problems, ThiduaError
from thidua.lifecycle import State, audit, period_count, period_phrase, state_label
from thidua.vn import nfc, parse_number
from thidua.vn import number as vn_number

REGISTRATION_STATES = {State.REGISTRATION, State.PERIOD1_OPEN}
REPORT_STATES = {
    1: {State.PERIOD1_OPEN, State.PERIOD1_CLOSED},
    2: {State.PERIOD2_OPEN, State.PERIOD2_CLOSED},
}


def require_participant(session: Session, movement: Movement, unit_id: int) -> None:
    found = session.exec(
        select(Participant.id).where(
            Participant.movement_id == movement.id, Participant.unit_id == unit_id
        )
    ).first()
    if found is None:
        raise NotFound(f"Đơn vị {unit_id} không tham gia phong trào {movement.code}.")


def _require_state(session: Session, movement: Movement, allowed: set[State], what: str) -> None:
    if State(movement.state) not in allowed:
        n = period_count(session, movement)  # a one-period movement names no "Đợt 1"
        names = ", ".join(state_label(s, n) for s in sorted(allowed, key=list(State).index))
        raise ThiduaError(
            f"Chưa thể {what}: phong trào đang ở giai đoạn '{state_label(movement.state, n)}' "
            f"(chỉ nhận trong giai đoạn: {names})."
        )


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
    """Register a unit (or one of its people) for titles. Registering the same title again
    changes nothing."""
    _require_state(session, movement, REGISTRATION_STATES, "đăng ký thi đua")
    require_participant(session, movement, unit_id)
    titles = [t for t in (nfc(t) for t in titles) if t]
    if not titles:
        raise InvalidInput("Đăng ký không hợp lệ", [Problem("titles", "chưa chọn danh hiệu")])
    subject_key = f"person:{person_id}" if person_id else f"unit:{unit_id}"
    existing = {
        r.title: r
        for r in session.exec(
            select(Registration).where(
                Registration.movement_id == movement.id, Registration.subject_key == subject_key
            )
        )
    }
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
        for t in dict.fromkeys(titles)
        if t not in existing
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
    session.flush()
    return [*existing.values(), *added]


def _parse_report(
    targets: dict[str, Target],
    values: Mapping[str, Decimal | str | float | int],
    growth: Mapping[str, Decimal | str | float | int] | None,
    summary: str,
    problems: Problems,
) -> tuple[dict[int, Decimal], dict[int, Decimal]]:
    """A report's figures and growths by target id, checked; what is wrong goes into
    `problems`."""
    if len(summary or "") > uploads.MAX_TEXT:
        problems.add("summary", f"dài quá {vn_number(uploads.MAX_TEXT)} ký tự")
    parsed: dict[int, Decimal] = {}
    for code, raw in values.items():
        field = f"values.{code}"
        if code not in targets:
            problems.add(field, "không có chỉ tiêu này trong phong trào")
            continue
        try:
            value = (
                Decimal(str(raw)) if isinstance(raw, Decimal | int | float) else parse_number(raw)
            )
        except ValueError:
            problems.add(field, f"không phải là số: {raw!r}")
            continue
        if value < 0:
            problems.add(field, "không được âm")
        parsed[saved_id(targets[code])] = value
    grown: dict[int, Decimal] = {}
    for code, raw in (growth or {}).items():
        field = f"growth.{code}"
        if code not in targets:
            problems.add(field, "không có chỉ tiêu này trong phong trào")
            continue
        if targets[code].growth_pct is None:
            problems.add(field, "chỉ tiêu này không đặt mức tăng trưởng")
            continue
        try:
            g = Decimal(str(raw)) if isinstance(raw, Decimal | int | float) else parse_number(raw)
        except ValueError:
            problems.add(field, f"mức tăng trưởng không phải là số: {raw!r}")
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
    them."""
    phrase = period_phrase(session, movement, period_number)  # "Đợt 1", or "năm 2022"
    allowed = REPORT_STATES.get(period_number, set())
    _require_state(session, movement, allowed, f"nộp báo cáo {phrase}")
    require_participant(session, movement, unit_id)
    targets = {
        t.code: t for t in session.exec(select(Target).where(Target.movement_id == movement.id))
    }
    problems = Problems()
    parsed, grown = _parse_report(targets, values, growth, summary, problems)
    problems.raise_if_any(f"Báo cáo {phrase} không hợp lệ")

    report = session.exec(
        select(PeriodReport).where(
            PeriodReport.movement_id == movement.id,
            PeriodReport.unit_id == unit_id,
            PeriodReport.period_number == period_number,
        )
    ).first()
    previous = report.status if report else None
    if report is None:
        report = PeriodReport(
            movement_id=saved_id(movement),
            unit_id=unit_id,
            period_number=period_number,
            submitted_by=actor,
        )
    elif report.status == "accepted":
        raise ThiduaError("Báo cáo đã được tiếp nhận; chỉ có thể sửa khi bị trả lại.")
    report.status = "submitted"
    report.summary = nfc(summary)
    report.submitted_by = actor
    report.returned_reason = None
    session.add(report)
    session.flush()
    current = {
        r.target_id: r
        for r in session.exec(select(TargetResult).where(TargetResult.report_id == report.id))
    }
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
        to_state="submitted",
    )
    session.flush()
    return report


def register_many(session: Session, *, movement: Movement, items: list[dict], actor: str) -> int:
    """Many registrations at once (the units' lists, an import): each item as register's
    arguments (unit_id, titles, person_id, pledge, and its own `actor` if it has one), checked
    together before anything is written, in a few queries. Returns the registrations added."""
    _require_state(session, movement, REGISTRATION_STATES, "đăng ký thi đua")
    enrolled = set(
        session.exec(select(Participant.unit_id).where(Participant.movement_id == movement.id))
    )
    existing = {
        (key, title)
        for key, title in session.exec(
            select(Registration.subject_key, Registration.title).where(
                Registration.movement_id == movement.id
            )
        )
    }
    problems = Problems()
    added: dict[str, list[Registration]] = {}
    for n, item in enumerate(items, start=1):
        unit_id, person_id = item["unit_id"], item.get("person_id")
        if unit_id not in enrolled:
            problems.add("unit_id", f"đơn vị {unit_id} không tham gia phong trào", f"dòng {n}")
            continue
        titles = [t for t in (nfc(t) for t in item.get("titles") or []) if t]
        if not titles:
            problems.add("titles", "chưa chọn danh hiệu", f"dòng {n}")
            continue
        key = f"person:{person_id}" if person_id else f"unit:{unit_id}"
        for t in dict.fromkeys(titles):
            if (key, t) in existing:
                continue
            existing.add((key, t))
            added.setdefault(key, []).append(
                Registration(
                    movement_id=saved_id(movement),
                    unit_id=unit_id,
                    person_id=person_id,
                    subject_key=key,
                    title=t,
                    pledge=nfc(item.get("pledge")),
                    submitted_by=item.get("actor") or actor,
                )
            )
    problems.raise_if_any("Danh sách đăng ký thi đua không hợp lệ; chưa ghi đăng ký nào")
    for key, rows in added.items():
        session.add_all(rows)
        audit(
            session,
            actor=rows[0].submitted_by,
            movement_id=saved_id(movement),
            entity="registration",
            entity_id=key,
            action="registration.submitted",
            data={"titles": [r.title for r in rows]},
        )
    session.flush()
    return sum(len(rows) for rows in added.values())


def submit_period_reports(
    session: Session, *, movement: Movement, period_number: int, reports: list[dict]
) -> int:
    """Many units' reports for a period at once: each item as submit_period_report's arguments
    (unit_id, values, growth, summary, actor), all checked before anything is written, in a few
    queries for the lot. A report already accepted is refused as in the one-by-one call.
    Returns the reports written."""
    phrase = period_phrase(session, movement, period_number)
    allowed = REPORT_STATES.get(period_number, set())
    _require_state(session, movement, allowed, f"nộp báo cáo {phrase}")
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
        if unit_id in current and current[unit_id].status == "accepted":
            problems.add("status", "báo cáo đã được tiếp nhận; chỉ sửa khi bị trả lại", where)
            continue
        mine = Problems()
        parsed, grown = _parse_report(
            targets, item["values"], item.get("growth"), item.get("summary", ""), mine
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
        report.status = "submitted"
        report.summary = nfc(item.get("summary", ""))
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
            to_state="submitted",
        )
    session.flush()
    return len(checked)


def return_report(session: Session, *, report_id: int, reason: str, actor: str) -> PeriodReport:
    """The office sends a report back for correction, with its reason."""
    report = session.get(PeriodReport, report_id)
    if report is None:
        raise NotFound(f"Không tìm thấy báo cáo {report_id}.")
    reason = nfc(reason or "")
    if not reason:
        raise InvalidInput("Trả lại báo cáo", [Problem("reason", "phải nêu lý do trả lại")])
    uploads.check_text(reason, "reason")
    previous = report.status
    report.status = "returned"
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
        to_state="returned",
        reason=reason,
    )
    session.flush()
    return report
