"""The admin's work lists: period reports and dossiers (each can be returned with a reason, or
put before the council on a recorded exception where it fails a rule),
every issued document for download, and the audit trail."""

import tempfile
import zipfile

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, StreamingResponse
from starlette.concurrency import run_in_threadpool

from thidua import steps, views
from thidua.web.deps import DbId, User, admin_user, document_download, render, show

router = APIRouter(prefix="/admin", dependencies=[Depends(admin_user)])


@router.get("/m/{code}/reports")
def reports(code: str, request: Request):
    return render(request, "admin/reports.html", **views.reports(code))


@router.post("/report/{report_id}/return")
def return_report(
    report_id: DbId, request: Request, reason: str = Form(""), user: User = Depends(admin_user)
):
    show(request, steps.return_report(actor=user.username, report_id=report_id, reason=reason))
    return RedirectResponse(f"/admin/m/{views.report_movement(report_id)}/reports", status_code=303)


@router.get("/m/{code}/dossiers")
def dossier_list(code: str, request: Request):
    return render(request, "admin/dossiers.html", **views.dossiers_page(code))


@router.post("/dossier/{nomination_id}/exception")
async def record_exception(nomination_id: DbId, request: Request, user: User = Depends(admin_user)):
    """The office puts a dossier failing a rule before the council, for a stated reason."""
    form = await request.form()
    rules, reason = [str(r) for r in form.getlist("rule")], str(form.get("reason") or "")

    def work() -> steps.Done:
        return steps.record_exception(actor=user.username, nomination_id=nomination_id,
                                      rules=rules, reason=reason)  # fmt: skip

    show(request, await run_in_threadpool(work))
    code = views.nomination_movement(nomination_id)
    return RedirectResponse(f"/admin/m/{code}/dossiers#ho-so-{nomination_id}", status_code=303)


@router.post("/dossier/{nomination_id}/return")
def return_dossier(
    nomination_id: DbId, request: Request, reason: str = Form(""), user: User = Depends(admin_user)
):
    done = steps.return_dossier(actor=user.username, nomination_id=nomination_id, reason=reason)
    show(request, done)
    code = views.nomination_movement(nomination_id)
    return RedirectResponse(f"/admin/m/{code}/dossiers", status_code=303)


@router.get("/m/{code}/documents")
def documents(code: str, request: Request):
    return render(request, "admin/documents.html", **views.documents(code))


@router.get("/m/{code}/documents.zip")
def documents_zip(code: str):
    """Every document of the movement (DOCX and PDF) in one archive, for the records office."""
    m, files = views.document_files(code)
    # Closed by stream() once sent: it outlives this function.
    spool = tempfile.SpooledTemporaryFile(max_size=32 * 1024 * 1024)  # noqa: SIM115
    with zipfile.ZipFile(spool, "w", zipfile.ZIP_DEFLATED) as z:
        for f in files:
            z.write(f.path, f.name)
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
def document(doc_id: DbId, user: User = Depends(admin_user)):
    return document_download(doc_id, user)


@router.get("/document/{doc_id}/pdf")
def document_pdf(doc_id: DbId, user: User = Depends(admin_user)):
    return document_download(doc_id, user, pdf=True)


@router.get("/m/{code}/audit")
def audit_log(code: str, request: Request):
    return render(request, "admin/audit.html", **views.audit_log(code))
