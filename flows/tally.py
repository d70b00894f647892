"""Final tally (tổng kết): blocks scored and ranked, the flag proposed, the final report."""

from prefect import flow
from prefect.states import State

from flows import tasks
from flows.common import begin, conclude, documents_line, finish, pdf, send


@flow(name="final-tally")
def final_tally(movement: str, actor: str = "admin") -> State:
    outcome, m = begin(movement, "final-tally")
    if m is None:
        return conclude(outcome)

    report, leaders = tasks.issue_final_report(movement)
    documents_line(outcome, [report])
    outcome.lines += [f"Dẫn đầu khối — {line}" for line in leaders]

    send(outcome, "final-tally", tasks.build_report_notices(movement, report, event="report:final"))
    pdf(outcome, [report])
    finish(movement, "final-tally", outcome, actor=actor)
    return conclude(outcome)
