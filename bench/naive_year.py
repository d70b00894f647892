"""The baseline of bench/province.py: the year's stages written the naive way — one Prefect task
per unit, per nomination and per message, ORM objects loaded one by one, the Word template
loaded again for every document. Importing this module swaps the flows' batched tasks for
these (only inside the benchmark's naive child process); the flows themselves, the domain and
the documents they issue are the same."""

from prefect import task
from prefect.cache_policies import NO_CACHE
from sqlmodel import select

import flows.awards
import flows.launch
import flows.period
import flows.review
import flows.tally
from flows import tasks
from flows.common import Outcome
from models import Nomination
from models.db import session_scope
from thidua import documents, notify
from thidua.documents import templates
from thidua.movements import find_movement
from thidua.stagework import DocRef

_task = task(cache_policy=NO_CACHE)


@_task
def deliver_one(movement_id: int, message: notify.OutgoingMessage) -> notify.DeliveryReport:
    return notify.deliver(movement_id, [message])


def send_per_message(movement_id: int, messages: list) -> notify.DeliveryReport:
    total = notify.DeliveryReport()
    for m in messages:
        total.merge(deliver_one(movement_id, m))
    return total


def send(outcome: Outcome, stage: str, messages: list) -> None:
    if not messages:
        return
    outcome.events |= {m.event for m in messages}
    with session_scope() as s:
        movement_id = find_movement(s, outcome.movement).id
    report = send_per_message(movement_id, messages)
    outcome.counts["thông báo đã gửi"] = outcome.counts.get("thông báo đã gửi", 0) + report.sent


@_task
def unit_report(code: str, number: int, unit_id: int) -> DocRef:
    templates._cache.clear()  # the template loaded for this one document
    with session_scope() as s:
        m = find_movement(s, code)
        ctx = documents.unit_report_context(s, m, unit_id, number)
        key = f"unit:{unit_id}:p{number}"  # as unit_report_contexts keys it
        doc = documents.issue_documents(s, m, "unit_report", [(key, ctx)])[0]
        return DocRef.of(doc)


def unit_reports(code: str, number: int, unit_ids: list[int]) -> list[DocRef]:
    return [unit_report(code, number, uid) for uid in unit_ids]


@_task
def check_one(code: str, nomination_id: int):
    from thidua.rules import check_nomination, rule_set_for

    with session_scope() as s:
        m = find_movement(s, code)
        return check_nomination(s, s.get(Nomination, nomination_id), rule_set_for(m))


def check_nominations(code: str):
    from thidua.stagework import _issue

    with session_scope() as s:
        m = find_movement(s, code)
        ids = s.exec(
            select(Nomination.id)
            .where(Nomination.movement_id == m.id, Nomination.status == "submitted")
            .order_by(Nomination.id)
        ).all()
    checks = [check_one(code, nid) for nid in ids]
    with session_scope() as s:
        m = find_movement(s, code)
        doc = _issue(s, m, "nominee_list", documents.nominee_list_context(s, m, checks))
        failures = [f"hồ sơ {c.nomination_id}: {f.reason}" for c in checks for f in c.failures]
        return doc, len(checks), failures


@_task
def achievement_report(code: str, nomination_id: int) -> DocRef:
    templates._cache.clear()
    with session_scope() as s:
        m = find_movement(s, code)
        n = s.get(Nomination, nomination_id)
        return DocRef.of(documents.issue_achievement_reports(s, m, [n])[0])


def achievement_reports(code: str, nomination_ids: list[int]) -> list[DocRef]:
    return [achievement_report(code, nid) for nid in nomination_ids]


for module in (flows.launch, flows.period, flows.review, flows.tally, flows.awards):
    module.send = send
tasks.issue_unit_reports = unit_reports
tasks.check_nominations = check_nominations
tasks.issue_achievement_reports = achievement_reports
