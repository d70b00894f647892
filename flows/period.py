"""A period (Đợt) opens: units are told its theme and report date. It closes: each unit's own
report is issued, registrations are summed up (after Period 1), and units are told."""

from prefect import flow
from prefect.states import State

from flows import tasks
from flows.common import batches, begin, conclude, documents_line, finish, send

UNIT_REPORT_BATCH = 200  # per-unit reports per task run: one template load each


@flow(name="open-period")
def open_period(movement: str, number: int = 1, actor: str = "admin") -> State:
    outcome, m = begin(movement, "open-period", {"number": number})
    if m is None:
        return conclude(outcome)

    send(
        outcome,
        f"open-period-{number}",
        tasks.build_period_notices(movement, number, phase="opened"),
    )
    finish(movement, "open-period", outcome, actor=actor, params={"number": number})
    return conclude(outcome)


@flow(name="close-period")
def close_period(movement: str, number: int = 1, actor: str = "admin") -> State:
    stage = f"close-period-{number}"
    outcome, m = begin(movement, "close-period", {"number": number})
    if m is None:
        return conclude(outcome)

    # Each unit's own report, in batches
    units = tasks.find_reporting_units(movement, number)
    refs = []
    for chunk in batches(stage, units, UNIT_REPORT_BATCH, "báo cáo đơn vị"):
        refs += tasks.issue_unit_reports(movement, number, list(chunk))
    outcome.counts["báo cáo đơn vị"] = len(refs)

    # What units registered for, once registration is over
    if number == 1:
        documents_line(outcome, [tasks.issue_registration_summary(movement)])

    send(outcome, stage, tasks.build_period_notices(movement, number, phase="closed"))
    finish(movement, "close-period", outcome, actor=actor, params={"number": number})
    return conclude(outcome)
