"""Prefect tasks: each wraps one batch of domain work (thidua.stagework, thidua.notify).

No task caches (inputs are movement codes and batches; re-running must redo what is missing,
and the domain's own keys make that safe). Retries only where the outside world is flaky."""

from collections.abc import Callable
from typing import ParamSpec, TypeVar

from prefect import Task, task
from prefect.cache_policies import NO_CACHE

from thidua import notify, stagework

P = ParamSpec("P")
R = TypeVar("R")


def _task(fn: Callable[P, R], name: str) -> Task[P, R]:
    return task(name=name, cache_policy=NO_CACHE)(fn)


enrol_participants = _task(stagework.enrol, name="enrol-participants")
issue_launch_directive = _task(stagework.launch_directive, name="issue-launch-directive")
build_launch_notices = _task(stagework.launch_messages, name="build-launch-notices")
build_period_notices = _task(stagework.period_messages, name="build-period-notices")
find_reporting_units = _task(stagework.reporting_units, name="find-reporting-units")
issue_unit_reports = _task(stagework.unit_reports, name="issue-unit-reports")
issue_registration_summary = _task(
    stagework.registration_summary, name="issue-registration-summary"
)
issue_period_report = _task(stagework.period_report, name="issue-period-report")
build_report_notices = _task(stagework.report_messages, name="build-report-notices")
issue_final_report = _task(stagework.final_report, name="rank-blocks-and-issue-final-report")
build_nomination_call = _task(stagework.nomination_call, name="build-nomination-call")
check_nominations = _task(stagework.check_nominations, name="check-nominations")
return_failing = _task(stagework.return_failing, name="return-failing-dossiers")
compare_with_targets = _task(stagework.quota_lines, name="compare-with-emulation-targets")
find_nominations = _task(stagework.nominations_on_agenda, name="find-nominations")
issue_achievement_reports = _task(stagework.achievement_reports, name="issue-achievement-reports")
open_council_vote = _task(stagework.open_council, name="open-council-vote")
build_council_invitations = _task(stagework.council_invitations, name="build-council-invitations")
issue_minutes = _task(stagework.council_minutes, name="issue-council-minutes")
draft_decisions = _task(stagework.draft_decisions, name="draft-decision-and-proposal")
build_approval_requests = _task(stagework.approval_requests, name="build-approval-requests")
issue_certificates = _task(stagework.certificates, name="issue-certificates")
build_decision_notices = _task(stagework.decision_announcements, name="build-decision-notices")
# LibreOffice on a busy machine may run past a batch's time: once more, a little later.
convert_to_pdf = task(
    name="convert-to-pdf", cache_policy=NO_CACHE, retries=1, retry_delay_seconds=30
)(stagework.to_pdf)


@task(cache_policy=NO_CACHE, retries=3, retry_delay_seconds=[5, 30, 120], name="send-batch")
def send_batch(movement_id: int, messages: list[notify.OutgoingMessage]) -> notify.DeliveryReport:
    """One batch through the delivery ledger: nothing recorded as sent is sent again."""
    return notify.deliver(movement_id, messages)
