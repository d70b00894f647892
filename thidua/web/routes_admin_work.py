"""The admin's work lists: period reports and dossiers (each can be returned with a reason, or
put before the council on a recorded exception where it fails a rule),
every issued document for download, and the audit trail."""

import tempfile
import zipfile
from pathlib import Path

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import FileResponse, RedirectResponse, StreamingResponse
from sqlmodel import col, select
from starlette.concurrency import run_in_threadpool

from models import (
    AuditEvent,
    Evidence,
    IssuedDocument,
    Movement,
    Nomination,
    PeriodReport,
    Target,
    TargetResult,
    Unit,
)
from models.base import saved_id
from models.db import session_scope
from thidua import dossiers, exceptions, submissions
from thidua.documents import list_in_order
from thidua.errors import NotFound
from thidua.history import history_for
from thidua.rules.engine import check_all, rule_set_for
from thidua.settings import get_settings
from thidua.web.deps import DbId, User, admin_user, find_movement, flash, render, subject_names

router = APIRouter(prefix="/admin", dependencies=[Depends(admin_user)])


@router.get("/m/{code}/reports")
def reports(code: str, request: Request):
    with session_scope() as s:
        m = find_movement(s, code)
        rows = s.exec(
            select(PeriodReport, Unit.code, Unit.name)
            .join(Unit, col(Unit.id) == col(PeriodReport.unit_id))
            .where(PeriodReport.movement_id == m.id)
            .order_by(col(PeriodReport.period_number), col(Unit.code))
        ).all()
        targets = s.exec(
            select(Target).where(Target.movement_id == m.id).order_by(col(Target.seq))
        ).all()
        values: dict[int, dict[int, object]] = {}
        for tr in s.exec(
            select(TargetResult)
            .join(PeriodReport, col(PeriodReport.id) == col(TargetResult.report_id))
            .where(PeriodReport.movement_id == m.id)
        ):
            values.setdefault(tr.report_id, {})[tr.target_id] = tr.value
    return render(request, "admin/reports.html", m=m, rows=rows, targets=targets, values=values)


@router.post("/report/{report_id}/return")
def return_report(
    report_id: DbId, request: Request, reason: str = Form(""), user: User = Depends(admin_user)
):
    with session_scope() as s:
        report = submissions.return_report(s, report_id=report_id, reason=reason,
                                           actor=user.username)  # fmt: skip
        unit = s.get_one(Unit, report.unit_id)
        code = s.get_one(Movement, report.movement_id).code
    flash(request, f"Đã trả lại báo cáo Đợt {report.period_number} của {unit.name}.")
    return RedirectResponse(f"/admin/m/{code}/reports", status_code=303)


@router.get("/m/{code}/dossiers")
def dossier_list(code: str, request: Request):
    with session_scope() as s:
        m = find_movement(s, code)
        noms = list_in_order(
            s, s.exec(select(Nomination).where(Nomination.movement_id == m.id)).all()
        )
        checks = {c.nomination_id: c for c in check_all(s, m)} if noms else {}
        history = history_for(s, [n.subject_key for n in noms])
        names = subject_names(s, noms)
        units = dict(s.exec(select(Unit.id, Unit.name)).all())
        evidence: dict[int, list[Evidence]] = {}
        for ev in s.exec(
            select(Evidence)
            .join(Nomination, col(Nomination.id) == col(Evidence.nomination_id))
            .where(Nomination.movement_id == m.id)
        ):
            evidence.setdefault(ev.nomination_id, []).append(ev)
        rs = rule_set_for(m)
        excepted = _excepted(s, [saved_id(n) for n in noms])
        rows = [
            {"n": n, "subject": names[saved_id(n)], "unit": units.get(n.unit_id, ""),
             "title": rs.title_name(n.title), "check": checks.get(saved_id(n)),
             "excepted": excepted.get(saved_id(n), {}),
             "open_rules": [f for f in checks[n.id].failures
                            if f.rule_id not in excepted.get(n.id, {})]
             if n.id in checks and n.status in exceptions.OPEN_STATUSES else [],
             "history": history[n.subject_key], "evidence": evidence.get(saved_id(n), [])}
            for n in noms
        ]  # fmt: skip
    return render(request, "admin/dossiers.html", m=m, rows=rows)


def _excepted(s, nomination_ids: list[int]) -> dict[int, dict[str, exceptions.ExceptionView]]:
    """nomination → rule → the exception recorded for it."""
    out: dict[int, dict[str, exceptions.ExceptionView]] = {}
    for v in exceptions.for_nominations(s, nomination_ids):
        out.setdefault(v.nomination_id, {})[v.rule_id] = v
    return out


@router.post("/dossier/{nomination_id}/exception")
async def record_exception(nomination_id: DbId, request: Request, user: User = Depends(admin_user)):
    """The office puts a dossier failing a rule before the council, for a stated reason."""
    form = await request.form()
    rules, reason = [str(r) for r in form.getlist("rule")], str(form.get("reason") or "")

    def work() -> str:
        with session_scope() as s:
            n = dossiers.get_nomination(s, nomination_id)
            m = s.get_one(Movement, n.movement_id)
            exceptions.record_exception(s, movement=m, nomination_id=saved_id(n), rule_ids=rules,
                                        reason=reason, actor=user.username)  # fmt: skip
            return m.code

    code = await run_in_threadpool(work)
    flash(request, f"Đã ghi nhận ngoại lệ cho hồ sơ số {nomination_id}.")
    return RedirectResponse(f"/admin/m/{code}/dossiers#ho-so-{nomination_id}", status_code=303)


@router.post("/dossier/{nomination_id}/return")
def return_dossier(
    nomination_id: DbId, request: Request, reason: str = Form(""), user: User = Depends(admin_user)
):
    with session_scope() as s:
        n = dossiers.get_nomination(s, nomination_id)
        dossiers.return_dossier(s, nomination=n, reason=reason, actor=user.username)
        code = s.get_one(Movement, n.movement_id).code
    flash(request, f"Đã trả lại hồ sơ số {nomination_id} cho đơn vị.")
    return RedirectResponse(f"/admin/m/{code}/dossiers", status_code=303)


@router.get("/m/{code}/documents")
def documents(code: str, request: Request):
    with session_scope() as s:
        m = find_movement(s, code)
        docs = s.exec(
            select(IssuedDocument)
            .where(IssuedDocument.movement_id == m.id)
            .order_by(col(IssuedDocument.created_at), col(IssuedDocument.id))
        ).all()
    return render(request, "admin/documents.html", m=m, docs=docs)


def document_file(doc_id: int, pdf: bool) -> tuple[Path, str]:
    with session_scope() as s:
        doc = s.get(IssuedDocument, doc_id)
        if doc is None:
            raise NotFound(f"Không có văn bản số {doc_id}.")
        rel = doc.pdf_path if pdf else doc.path
        if not rel:
            raise NotFound("Văn bản này chưa có bản PDF.")
    root = Path(get_settings().document_dir).resolve()
    path = (root / rel).resolve()
    # The path comes from our own database, but a file outside the store is never served.
    if not path.is_relative_to(root) or not path.is_file():
        raise NotFound("Tệp văn bản không còn trong kho văn bản.")
    return path, Path(rel).name


@router.get("/m/{code}/documents.zip")
def documents_zip(code: str):
    """Every document of the movement (DOCX and PDF) in one archive, for the records office."""
    with session_scope() as s:
        m = find_movement(s, code)
        docs = s.exec(
            select(IssuedDocument)
            .where(IssuedDocument.movement_id == m.id)
            .order_by(col(IssuedDocument.id))
        ).all()
    root = Path(get_settings().document_dir).resolve()
    # Closed by stream() once sent: it outlives this function.
    spool = tempfile.SpooledTemporaryFile(max_size=32 * 1024 * 1024)  # noqa: SIM115
    with zipfile.ZipFile(spool, "w", zipfile.ZIP_DEFLATED) as z:
        for d in docs:
            for rel in filter(None, [d.path, d.pdf_path]):
                path = (root / rel).resolve()
                if path.is_relative_to(root) and path.is_file():
                    z.write(path, f"{d.id:05d}-{d.kind}{path.suffix}")
    size = spool.tell()
    spool.seek(0)

    def stream():
        with spool:
            while chunk := spool.read(64 * 1024):
                yield chunk

    return StreamingResponse(
        stream(),
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{m.code}-van-ban.zip"',
                 "Content-Length": str(size)},
    )  # fmt: skip


@router.get("/document/{doc_id}")
def document(doc_id: DbId):
    path, name = document_file(doc_id, pdf=False)
    media = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    return FileResponse(path, media_type=media if name.endswith(".docx") else None, filename=name)


@router.get("/document/{doc_id}/pdf")
def document_pdf(doc_id: DbId):
    path, name = document_file(doc_id, pdf=True)
    return FileResponse(path, media_type="application/pdf", filename=name)


@router.get("/m/{code}/audit")
def audit_log(code: str, request: Request):
    with session_scope() as s:
        m = find_movement(s, code)
        events = s.exec(
            select(AuditEvent)
            .where(AuditEvent.movement_id == m.id)
            .order_by(col(AuditEvent.id).desc())
            .limit(300)
        ).all()
    return render(request, "admin/audit.html", m=m, events=events)
