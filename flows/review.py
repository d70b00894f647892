"""Interim review (sơ kết) after Period 1: the report of progress target by target."""

from prefect import flow
from prefect.states import State

from flows import tasks
from flows.common import begin, conclude, documents_line, finish, pdf, send


@flow(name="interim-review")
def interim_review(movement: str, actor: str = "admin") -> State:
    outcome, m = begin(movement, "interim-review")
    if m is None:
        return conclude(outcome)

    report = tasks.issue_period_report(movement, 1)
    documents_line(outcome, [report])

    send(
        outcome,
        "interim-review",
        tasks.build_report_notices(movement, report, event="report:interim"),
    )
    pdf(outcome, [report])
    finish(movement, "interim-review", outcome, actor=actor)
    return conclude(outcome)
