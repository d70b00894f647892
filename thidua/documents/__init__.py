"""Official documents for every stage of a movement, from Word templates (docxtpl), in the
Nghị định 30/2020 layout, numbered per agency, series and year, stored and recorded once per
key, with charts and a PDF beside each .docx when LibreOffice is installed."""

import importlib
from typing import TYPE_CHECKING, Any

# The submodules load when a name is first used: a stage that issues no document (a period
# opening, the call for proposals) never loads python-docx, the charts or the rules engine.
_WHERE = {
    "final_report_context": "context",
    "launch_context": "context",
    "period_report_context": "context",
    "registration_summary_context": "context",
    "unit_report_context": "context",
    "unit_report_contexts": "context",
    "achievement_kind": "context_awards",
    "achievement_report_context": "context_awards",
    "achievement_report_contexts": "context_awards",
    "list_in_order": "context_awards",
    "list_order": "context_awards",
    "minutes_context": "context_awards",
    "nominee_list_context": "context_awards",
    "certificate_contexts": "context_decisions",
    "certificates_context": "context_decisions",
    "decision_context": "context_decisions",
    "proposal_memo_context": "context_decisions",
    "KINDS": "kinds",
    "next_number": "numbering",
    "convert_to_pdf": "pdf",
    "Image": "render",
    "document_path": "store",
    "issue_document": "store",
    "issue_documents": "store",
    "load_template": "templates",
}

if TYPE_CHECKING:
    from sqlmodel import Session

    from models import Decision, IssuedDocument, Movement, Nomination
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
        achievement_report_contexts,
        list_in_order,
        list_order,
        minutes_context,
        nominee_list_context,
    )
    from thidua.documents.context_decisions import (
        certificate_contexts,
        certificates_context,
        decision_context,
        proposal_memo_context,
    )
    from thidua.documents.kinds import KINDS
    from thidua.documents.numbering import next_number
    from thidua.documents.pdf import convert_to_pdf
    from thidua.documents.render import Image
    from thidua.documents.store import document_path, issue_document, issue_documents
    from thidua.documents.templates import load_template


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        value = getattr(importlib.import_module(f"thidua.documents.{_WHERE[name]}"), name)
    else:  # a submodule, as an attribute of the package
        try:
            value = importlib.import_module(f"thidua.documents.{name}")
        except ModuleNotFoundError as e:
            if e.name != f"thidua.documents.{name}":
                raise
            raise AttributeError(f"module 'thidua.documents' has no attribute {name!r}") from None
    globals()[name] = value
    return value


CERTIFICATES_PER_FILE = 200  # an office prints them in batches; one file is one XML tree


def issue_certificates(
    session: "Session",
    movement: "Movement",
    decision: "Decision",
    per_file: int = CERTIFICATES_PER_FILE,
) -> "list[IssuedDocument]":
    """Every certificate of a decision (one page each), in printable files of at most
    `per_file`, in the decision's order with their book numbers running on. One file is keyed
    "decision:<id>"; of several, the k-th is "decision:<id>:k" and its title says which
    certificates it holds. A single file of 4,000 certificates was a 450 MB XML tree."""
    from thidua.documents.context_decisions import certificates_context
    from thidua.documents.store import issue_documents

    ctx = certificates_context(session, movement, decision)
    certificates = ctx["certificates"]
    parts = [certificates[i : i + per_file] for i in range(0, len(certificates), per_file)]
    if len(parts) <= 1:
        return issue_documents(
            session, movement, "certificates", [(f"decision:{decision.id}", ctx)]
        )
    width = len(str(len(parts)))
    items = [
        (
            f"decision:{decision.id}:{k:0{width}d}",
            {
                **ctx,
                "summary": f"{ctx['summary']} (tệp {k}/{len(parts)}: số "
                f"{part[0]['book_number']}–{part[-1]['book_number']})",
                "certificates": part,
            },
        )
        for k, part in enumerate(parts, start=1)
    ]
    return issue_documents(session, movement, "certificates", items)


def issue_decision_document(
    session: "Session", movement: "Movement", decision: "Decision"
) -> "IssuedDocument":
    """The decision (Quyết định) or, for a proposal upward, the memo (Tờ trình) of a Decision,
    linked to it through Decision.document_id (the certificates cite its number)."""
    from thidua.documents.context_decisions import decision_context, proposal_memo_context
    from thidua.documents.store import issue_document

    if decision.kind == "proposal":
        kind, ctx = "proposal_memo", proposal_memo_context(session, movement, decision)
    else:
        kind, ctx = "decision", decision_context(session, movement, decision)
    doc = issue_document(
        session, movement, kind, context=ctx, subject_key=f"decision:{decision.id}"
    )
    if decision.document_id != doc.id:
        decision.document_id = doc.id
        session.add(decision)
        session.flush()
    return doc


def issue_achievement_reports(
    session: "Session", movement: "Movement", nominations: "list[Nomination]"
) -> "list[IssuedDocument]":
    """The achievement report of every nominee, batched per form (individual, collective);
    keyed "nomination:<id>", returned in the order of nominations."""
    from thidua.documents.context_awards import achievement_kind, achievement_report_contexts
    from thidua.documents.store import issue_documents

    groups: dict[str, list[tuple[str, dict]]] = {}
    for n, ctx in zip(
        nominations, achievement_report_contexts(session, movement, nominations), strict=True
    ):
        groups.setdefault(achievement_kind(n), []).append((f"nomination:{n.id}", ctx))
    by_key: dict[tuple[str, str], IssuedDocument] = {}
    for kind, items in groups.items():
        for (key, _), doc in zip(
            items, issue_documents(session, movement, kind, items), strict=True
        ):
            by_key[(kind, key)] = doc
    return [by_key[(achievement_kind(n), f"nomination:{n.id}")] for n in nominations]


__all__ = [
    "CERTIFICATES_PER_FILE",
    "KINDS",
    "Image",
    "achievement_kind",
    "achievement_report_context",
    "achievement_report_contexts",
    "certificate_contexts",
    "certificates_context",
    "convert_to_pdf",
    "decision_context",
    "document_path",
    "final_report_context",
    "issue_achievement_reports",
    "issue_certificates",
    "issue_decision_document",
    "issue_document",
    "issue_documents",
    "launch_context",
    "list_in_order",
    "list_order",
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
