"""Official documents for every stage of a movement, from Word templates (docxtpl), in the
Nghị định 30/2020 layout, numbered per agency, series and year, stored and recorded once per
key, with charts and a PDF beside each .docx when LibreOffice is installed."""

from sqlmodel import Session

from models import Decision, IssuedDocument, Movement
from thidua.documents.context import (
    final_report_context,
    launch_context,
    period_report_context,
    registration_summary_context,
    unit_report_context,
    unit_report_contexts,
)
from thidua.documents.context_awards import (
    achievement_kind,
    achievement_report_context,
    certificate_contexts,
    certificates_context,
    decision_context,
    minutes_context,
    nominee_list_context,
    proposal_memo_context,
)
from thidua.documents.kinds import KINDS
from thidua.documents.numbering import next_number
from thidua.documents.pdf import convert_to_pdf
from thidua.documents.render import Image
from thidua.documents.store import document_path, issue_document, issue_documents
from thidua.documents.templates import load_template


def issue_certificates(session: Session, movement: Movement, decision: Decision) -> IssuedDocument:
    """Every certificate of a decision merged into one printable file (one page each)."""
    return issue_document(
        session,
        movement,
        "certificates",
        context=certificates_context(session, movement, decision),
        subject_key=f"decision:{decision.id}",
    )


__all__ = [
    "KINDS",
    "Image",
    "achievement_kind",
    "achievement_report_context",
    "certificate_contexts",
    "certificates_context",
    "convert_to_pdf",
    "decision_context",
    "document_path",
    "final_report_context",
    "issue_certificates",
    "issue_document",
    "issue_documents",
    "launch_context",
    "load_template",
    "minutes_context",
    "next_number",
    "nominee_list_context",
    "period_report_context",
    "proposal_memo_context",
    "registration_summary_context",
    "unit_report_context",
    "unit_report_contexts",
]
