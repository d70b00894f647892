"""Awards: the call for nominations; the appraisal (rule checks, nominee list, the dossiers
failing a rule without a recorded exception returned to their units, achievement reports, the
council's secret vote on the rest); the decision drafted from the count; and, once the head
has approved it, the certificates and notices that close the movement.

Between these flows the people decide — units nominate, the council votes, the head approves —
through the domain (thidua.dossiers, thidua.council), which starts the next flow itself."""

from prefect import flow
from prefect.states import State

from flows import tasks
from flows.common import batches, begin, conclude, documents_line, finish, pdf, send

ACHIEVEMENT_BATCH = 200


@flow(name="award-proposal")
def award_proposal(movement: str, actor: str = "admin") -> State:
    outcome, m = begin(movement, "award-proposal")
    if m is None:
        return conclude(outcome)

    send(outcome, "award-proposal", tasks.build_nomination_call(movement))
    finish(movement, "award-proposal", outcome, actor=actor)
    return conclude(outcome)


@flow(name="appraisal")
def appraisal(movement: str, actor: str = "admin", vote_days: int = 5) -> State:
    outcome, m = begin(movement, "appraisal")
    if m is None:
        return conclude(outcome)

    # The office's check of every dossier against the rules and the quotas
    nominee_list, checked, failures = tasks.check_nominations(movement)
    outcome.counts["hồ sơ đã kiểm tra"] = checked
    outcome.counts["điểm chưa đạt"] = len(failures)
    outcome.lines += failures[:100]
    documents_line(outcome, [nominee_list])

    # The rules gate the ballot: what fails a rule without a recorded exception goes back
    returned, notices = tasks.return_failing(movement, actor=actor)
    outcome.counts["hồ sơ trả lại"] = len(returned)
    outcome.lines += returned[:100]
    send(outcome, "appraisal", notices)
    outcome.lines += [f"Chỉ tiêu thi đua {line}" for line in tasks.compare_with_targets(movement)]

    # An achievement report for each nominee, in batches
    nominations = tasks.find_nominations(movement)
    refs = []
    for chunk in batches("appraisal", nominations, ACHIEVEMENT_BATCH, "báo cáo thành tích"):
        refs += tasks.issue_achievement_reports(movement, list(chunk))
    outcome.counts["báo cáo thành tích"] = len(refs)

    # The council votes by secret ballot until its deadline
    meeting_id = tasks.open_council_vote(movement, actor=actor, vote_days=vote_days)
    send(outcome, "appraisal", tasks.build_council_invitations(movement, meeting_id))
    finish(movement, "appraisal", outcome, actor=actor)
    return conclude(outcome)


@flow(name="decision")
def decision(movement: str, actor: str = "system") -> State:
    outcome, m = begin(movement, "decision")
    if m is None:
        return conclude(outcome)

    minutes, counts = tasks.issue_minutes(movement)
    documents_line(outcome, [minutes])
    outcome.lines += counts

    drafted = tasks.draft_decisions(movement, actor=actor)
    documents_line(outcome, drafted)

    send(outcome, "decision", tasks.build_approval_requests(movement, drafted))
    pdf(outcome, [minutes, *drafted])
    finish(movement, "decision", outcome, actor=actor)
    return conclude(outcome)


@flow(name="close-movement")
def close_movement(movement: str, actor: str = "admin") -> State:
    outcome, m = begin(movement, "close")
    if m is None:
        return conclude(outcome)

    certificates = tasks.issue_certificates(movement)
    if certificates:
        documents_line(outcome, certificates)

    send(outcome, "close", tasks.build_decision_notices(movement))
    if certificates:
        pdf(outcome, certificates)
    finish(movement, "close", outcome, actor=actor)
    return conclude(outcome)
