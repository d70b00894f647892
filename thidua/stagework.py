"""The work inside each stage, as plain functions of the movement's code.

Each opens its own unit of work, does one batch and returns something small, so that a
Prefect task can wrap it (flows/tasks.py) and a test can call it without Prefect. Every one
is idempotent: documents are keyed, notifications go through the ledger, rows are upserted."""

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path

from sqlmodel import Session, col, select

from models import (
    Decision,
    IssuedDocument,
    Meeting,
    Movement,
    Nomination,
    Period,
    PeriodReport,
)
from models.base import id_col, saved_id
from models.db import session_scope
from thidua import announce, documents
from thidua.errors import ThiduaError
from thidua.lifecycle import period_phrase
from thidua.movements import find_movement
from thidua.notify import OutgoingMessage
from thidua.obligations import due_dates
from thidua.settings import get_settings
from thidua.vn import TZ, long_date, today

RESUBMIT_DAYS = 5  # a dossier returned at appraisal: days the unit has to correct it


@dataclass(frozen=True)
class DocRef:
    """An issued document, small enough to pass between tasks."""

    id: int
    kind: str
    symbol: str | None
    title: str
    path: str  # inside the document store

    @classmethod
    def of(cls, doc: IssuedDocument) -> "DocRef":
        return cls(saved_id(doc), doc.kind, doc.symbol, doc.title, doc.path)

    @property
    def file(self) -> Path:
        return Path(get_settings().document_dir) / self.path

    def name(self) -> str:
        """As an office names it in a letter: its number and title."""
        number = f"số {self.symbol}: " if self.symbol else ""
        return f"{number}{self.title}"

    def line(self) -> str:
        """For the office's own run report: where the file is, too."""
        return f"{self.name()} — `{self.path}`"


def _issue(s: Session, m: Movement, kind: str, context: dict, key: str = "") -> DocRef:
    return DocRef.of(documents.issue_document(s, m, kind, context=context, subject_key=key))


# --- Launch ---------------------------------------------------------------------------------


def enrol(code: str) -> int:
    """Fix the participating units (and their blocks) for the movement."""
    from thidua.spec import enrol_participants

    with session_scope() as s:
        return enrol_participants(s, find_movement(s, code))


def launch_directive(code: str) -> DocRef:
    with session_scope() as s:
        m = find_movement(s, code)
        return _issue(s, m, "launch", documents.launch_context(s, m))


def launch_messages(code: str, directive: DocRef) -> list[OutgoingMessage]:
    """Every focal point and unit head of a participating unit, with the directive (attached
    while small, else linked: announce.carrying)."""
    carried, files = announce.carrying(directive.id, directive.file)
    with session_scope() as s:
        m = find_movement(s, code)
        people = announce.participant_people(s, m, {"focal_point", "unit_head"})
        return announce.to_people(
            people,
            event="launch",
            kind="launch_notice",
            context={
                "directive_symbol": directive.symbol or "",
                "directive_path": "",
                **carried,
            },
            attachments=files,
        )


# --- Periods --------------------------------------------------------------------------------


def period_messages(code: str, number: int, *, phase: str) -> list[OutgoingMessage]:
    """A period opens (theme, dates, report date) or closes; to every focal point."""
    with session_scope() as s:
        m = find_movement(s, code)
        period = s.exec(
            select(Period).where(Period.movement_id == m.id, Period.number == number)
        ).one()
        due = due_dates(s, m).get(f"period_{number}_report", period.ends_on)
        return announce.to_people(
            announce.participant_people(s, m, {"focal_point"}),
            event=f"period:{number}:{phase}",
            kind="period_notice",
            context={
                # "Đợt 1"; a one-period movement: "thời gian thi đua năm 2022"
                "period_name": _period_words(s, m, number),
                "period_theme": period.theme or "",
                "phase": phase,
                "starts_on": period.starts_on,
                "ends_on": period.ends_on,
                "report_due": due,
            },
        )


def _period_words(s, m, number: int) -> str:
    phrase = period_phrase(s, m, number)
    return f"thời gian thi đua {phrase}" if phrase.startswith("năm") else phrase


def reporting_units(code: str, number: int) -> list[int]:
    """Units whose report for the period stands (their own report is issued)."""
    with session_scope() as s:
        m = find_movement(s, code)
        return list(
            s.exec(
                select(PeriodReport.unit_id)
                .where(
                    PeriodReport.movement_id == m.id,
                    PeriodReport.period_number == number,
                    PeriodReport.status != "returned",
                )
                .order_by(col(PeriodReport.unit_id))
            )
        )


def unit_reports(code: str, number: int, unit_ids: list[int]) -> list[DocRef]:
    """One batch of per-unit period reports: one template load, a few queries."""
    with session_scope() as s:
        m = find_movement(s, code)
        items = documents.unit_report_contexts(s, m, number, unit_ids)
        return [DocRef.of(d) for d in documents.issue_documents(s, m, "unit_report", items)]


def registration_summary(code: str) -> DocRef:
    with session_scope() as s:
        m = find_movement(s, code)
        return _issue(s, m, "registration_summary", documents.registration_summary_context(s, m))


def period_report(code: str, number: int) -> DocRef:
    """The interim report (sơ kết) of a period: progress target by target, with its chart."""
    with session_scope() as s:
        m = find_movement(s, code)
        ctx = documents.period_report_context(s, m, number)
        return _issue(s, m, "period_report", ctx, f"period:{number}")


def report_messages(code: str, doc: DocRef, *, event: str) -> list[OutgoingMessage]:
    """Unit heads receive a report the agency issued (attached while small, else linked)."""
    carried, files = announce.carrying(doc.id, doc.file)
    with session_scope() as s:
        m = find_movement(s, code)
        return announce.to_people(
            announce.participant_people(s, m, {"unit_head"}),
            event=event,
            kind="report_published",
            context={"report_title": doc.title, "report_symbol": doc.symbol or "", **carried},
            attachments=files,
        )


# --- Final tally ----------------------------------------------------------------------------


def final_report(code: str) -> tuple[DocRef, list[str]]:
    """Block rankings and the final report (tổng kết); returns the leaders of each block."""
    from thidua.scoring import block_rankings

    with session_scope() as s:
        m = find_movement(s, code)
        rankings = block_rankings(s, m)
        doc = _issue(s, m, "final_report", documents.final_report_context(s, m, rankings))
        leaders = [
            f"{r.block_name}: "
            + (
                ", ".join(
                    f"{u.unit_name}{' (đề nghị Cờ)' if u.flag else ''}"
                    for u in r.ranks
                    if u.rank == 1
                )
                if r.scored
                else "không chấm điểm (không có bảng tiêu chí)"
            )
            for r in rankings
        ]
        return doc, leaders


# --- Award proposal, appraisal --------------------------------------------------------------


def nomination_call(code: str) -> list[OutgoingMessage]:
    with session_scope() as s:
        m = find_movement(s, code)
        due = due_dates(s, m)["nominations"]
        return announce.to_people(
            announce.participant_people(s, m, {"focal_point"}),
            event="nominations:open",
            kind="nomination_call",
            context={"due_date": due},
        )


def check_nominations(code: str) -> tuple[DocRef, int, list[str]]:
    """Every nomination against the rule set and the quotas; the list of nominees with the
    checks beside each. Returns the list, the number checked and every failure."""
    from thidua.rules import check_all

    with session_scope() as s:
        m = find_movement(s, code)
        checks = check_all(s, m)
        doc = _issue(s, m, "nominee_list", documents.nominee_list_context(s, m, checks))
        failures = [f"hồ sơ {c.nomination_id}: {f.reason}" for c in checks for f in c.failures]
        return doc, len(checks), failures


def return_failing(code: str, *, actor: str) -> tuple[list[str], list[OutgoingMessage]]:
    """The rules gate the ballot: each dossier before the office that fails a criterion or a
    quota, with no recorded exception for it, goes back to its unit with the reasons; the
    unit's focal points are told. Returns a line per dossier returned and the messages."""
    from thidua import dossiers, exceptions
    from thidua.ballots import ON_AGENDA
    from thidua.rules import rule_set_for

    with session_scope() as s:
        m = find_movement(s, code)
        gaps = exceptions.uncovered(s, m)
        noms = [
            n
            for n in s.exec(
                select(Nomination)
                .where(Nomination.movement_id == m.id, col(Nomination.status).in_(ON_AGENDA))
                .order_by(col(Nomination.id))
            )
            if gaps.get(saved_id(n))
        ]
        names = exceptions.subject_names(s, noms)
        rs = rule_set_for(m)
        focal_points = announce.unit_people(s, {n.unit_id for n in noms}, "focal_point")
        reasons = {saved_id(n): exceptions.refusal(gaps[saved_id(n)]) for n in noms}
        dossiers.return_dossiers(s, [(n, reasons[saved_id(n)]) for n in noms], actor=actor)
        lines, messages = [], []
        for n in noms:
            reason = reasons[saved_id(n)]
            lines.append(f"Trả lại hồ sơ {names[saved_id(n)]} — {rs.title_name(n.title)}: {reason}")
            messages += announce.to_people(
                focal_points.get(n.unit_id, []),
                event=f"nomination:{n.id}:returned:appraisal",
                kind="dossier_returned",
                context={
                    "nominee_name": names[saved_id(n)],
                    "award_title": rs.title_name(n.title),
                    "reason": reason,
                    "resubmit_by": today() + timedelta(days=RESUBMIT_DAYS),
                },
            )
        return lines, messages


def quota_lines(code: str) -> list[str]:
    """How the nominations stand against the directive's own title targets."""
    from thidua.targets import quota_standing

    with session_scope() as s:
        return [q.line() for q in quota_standing(s, find_movement(s, code))]


def nominations_on_agenda(code: str) -> list[int]:
    with session_scope() as s:
        m = find_movement(s, code)
        return list(
            s.exec(
                select(id_col(Nomination))
                .where(Nomination.movement_id == m.id, Nomination.status == "submitted")
                .order_by(col(Nomination.id))
            )
        )


def achievement_reports(code: str, nomination_ids: list[int]) -> list[DocRef]:
    """One batch of achievement reports (báo cáo thành tích), individual and collective."""
    with session_scope() as s:
        m = find_movement(s, code)
        nominations = list(
            s.exec(
                select(Nomination)
                .where(col(Nomination.id).in_(nomination_ids))
                .order_by(col(Nomination.id))
            )
        )
        return [DocRef.of(d) for d in documents.issue_achievement_reports(s, m, nominations)]


def open_council(code: str, *, actor: str, vote_days: int) -> int:
    """Open the council's sitting (once) with its vote deadline at 17:00, `vote_days` away."""
    from thidua import ballots
    from thidua.council import current_meeting

    with session_scope() as s:
        m = find_movement(s, code)
        meeting = current_meeting(s, m)
        if meeting is not None:
            return saved_id(meeting)
        deadline = datetime.combine(today() + timedelta(days=vote_days), time(17, 0), TZ)
        return saved_id(ballots.open_meeting(s, m, actor=actor, vote_deadline=deadline))


def council_invitations(code: str, meeting_id: int) -> list[OutgoingMessage]:
    from thidua.ballots import agenda

    with session_scope() as s:
        meeting = s.get_one(Meeting, meeting_id)
        deadline = meeting.vote_deadline
        when = deadline.astimezone(TZ) if deadline and deadline.tzinfo else deadline
        return announce.to_people(
            announce.council_people(s, meeting),
            event=f"council:{meeting_id}:invitation",
            kind="council_vote",
            context={
                "phase": "invitation",
                "nominee_count": len(agenda(meeting)),
                "vote_deadline": f"17 giờ {long_date(when.date())}" if when else "",
            },
        )


# --- Decision and close ---------------------------------------------------------------------


def council_minutes(code: str) -> tuple[DocRef, list[str]]:
    """The minutes of the closed sitting, with the count of each nomination."""
    from thidua import ballots
    from thidua.council import held_meeting

    with session_scope() as s:
        m = find_movement(s, code)
        meeting = held_meeting(s, m)
        results = ballots.results(s, meeting)
        order = documents.list_order(s, [r.nomination_id for r in results])  # as in the Danh sách
        results = sorted(results, key=lambda r: order.get(r.nomination_id, len(order)))
        doc = _issue(
            s,
            m,
            "minutes",
            documents.minutes_context(s, m, meeting, results),
            f"meeting:{meeting.id}",
        )
        lines = [ballots.roll_line(ballots.attendance(s, meeting))]
        lines += [ballots.result_line(r) for r in results]
        return doc, lines


def draft_decisions(code: str, *, actor: str) -> list[DocRef]:
    """The decision on what the agency's head may award, and the memo proposing the rest to
    the level above; both drafted for the head's approval."""
    from thidua import awarding
    from thidua.council import held_meeting

    with session_scope() as s:
        m = find_movement(s, code)
        made = awarding.draft_decisions(s, m, held_meeting(s, m), actor=actor)
        return [DocRef.of(documents.issue_decision_document(s, m, d)) for d in made]


def approval_requests(code: str, refs: list[DocRef]) -> list[OutgoingMessage]:
    """The head (council chair) is asked to approve the drafted decision and memo."""
    with session_scope() as s:
        return announce.to_people(
            announce.people_with_role(s, {"council_chair"}),
            event="decision:approval",
            kind="approval_request",
            context={"documents": [r.name() for r in refs]},
            attachments=[r.file for r in refs],
        )


def certificates(code: str) -> list[DocRef]:
    """Every certificate of the approved decision (Giấy khen, Bằng chứng nhận), in printable
    files of a few hundred (documents.CERTIFICATES_PER_FILE); none when nothing awarded here is
    printed on a certificate (LĐTT, TTLĐTT)."""
    with session_scope() as s:
        m = find_movement(s, code)
        decision = s.exec(
            select(Decision).where(Decision.movement_id == m.id, Decision.kind == "decision")
        ).first()
        if decision is None or not documents.certificate_contexts(s, m, decision):
            return []
        return [DocRef.of(d) for d in documents.issue_certificates(s, m, decision)]


def decision_announcements(code: str) -> list[OutgoingMessage]:
    """Unit heads and focal points learn of the decision, with it (attached while small, else
    linked: its annex lists every award)."""
    with session_scope() as s:
        m = find_movement(s, code)
        decision = s.exec(
            select(Decision).where(Decision.movement_id == m.id, Decision.kind == "decision")
        ).first()
        if decision is None or decision.document_id is None:
            return []
        doc = DocRef.of(s.get_one(IssuedDocument, decision.document_id))
        carried, files = announce.carrying(doc.id, doc.file)
        return announce.to_people(
            announce.participant_people(s, m, {"unit_head", "focal_point"}),
            event=f"decision:{decision.id}:announced",
            kind="decision_announced",
            context={
                "decision_symbol": doc.symbol or "",
                "signed_on": decision.signed_on or today(),
                "summary": f"{len(decision_items(s, decision))} tập thể, cá nhân được khen thưởng.",
                **carried,
            },
            attachments=files,
        )


def decision_items(s: Session, decision: Decision) -> list:
    from models import DecisionItem

    return list(s.exec(select(DecisionItem).where(DecisionItem.decision_id == decision.id)))


class PdfPending(ThiduaError):
    """Some documents are still without their PDF (the step is retried, then reported)."""


def to_pdf(code: str, doc_ids: list[int]) -> int:
    """PDF beside each given signed document that has none, in batches (thidua.documents.pdf);
    returns how many were made. Raises PdfPending, naming what still waits, when a batch
    failed: the Prefect task retries, the stage reports it and stays done. Nothing without
    LibreOffice or with THIDUA_PDF=false."""
    if not doc_ids or not get_settings().pdf or documents.pdf.soffice() is None:
        return 0
    report = documents.pdf.convert_missing(code, doc_ids)
    if report.pending:
        raise PdfPending(report.line())
    return report.converted


def pdf_pending(code: str, doc_ids: list[int]) -> list[str]:
    """The titles of the given signed documents still without a PDF."""
    if not doc_ids or not get_settings().pdf or documents.pdf.soffice() is None:
        return []
    with session_scope() as s:
        movement_id = saved_id(find_movement(s, code))
        return [d.title for d in documents.pdf.missing(s, movement_id, doc_ids)]
