"""Award dossiers from a unit: nominate a person or a collective with its facts, priority and
evidence, add evidence, resubmit or withdraw a returned dossier; evidence is served by database
id only, after an authorisation check (the uploader's file name never reaches the file
system). Each POST is one step (thidua.steps); each page one read (thidua.views). Also the
issued documents a notice links to (/document/ID), on the same terms."""

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from thidua import dossiers, steps, uploads, views
from thidua.errors import InvalidInput, Problem
from thidua.web.deps import (
    DbId,
    User,
    current_user,
    document_download,
    form_int,
    render,
    show,
    unit_user,
)

router = APIRouter()
MAX_READ = dossiers.MAX_EVIDENCE_BYTES + 1  # read one byte more than allowed, no further


@router.get("/unit/{code}/nominate")
def nominate_form(code: str, request: Request, user: User = Depends(unit_user)):
    return render(request, "unit/nominate.html", **views.nominate_form(code, user.own_unit_id))


async def _read_upload(form) -> steps.Upload | None:
    upload = form.get("evidence")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return None
    content = await upload.read(MAX_READ)
    return steps.Upload(upload.filename, content, upload.content_type or "")


def _id(raw, label: str) -> int | None:
    """A chosen id, or None when nothing was chosen (the step then says what is missing)."""
    return form_int(raw, label, minimum=1) if str(raw or "").strip() else None


def _priority(form) -> int | None:
    """The unit's order for this title: blank, or a whole number from 1."""
    text = str(form.get("priority") or "").strip()
    if not text:
        return None
    return form_int(text, "Thứ tự ưu tiên", minimum=1, maximum=9_999)  # ASCII, bounded


@router.post("/unit/{code}/nominate")
async def nominate(code: str, request: Request, user: User = Depends(unit_user)):
    form = await request.form()
    upload = await _read_upload(form)
    collective = form.get("subject_kind") == "collective"
    # the later of two fields of one name wins: a form's facts as the user left them
    facts = {k[2:]: str(v) for k, v in form.multi_items() if k.startswith("f:")}

    def work() -> steps.Done:
        chosen = form.get("collective_unit_id" if collective else "person_id")
        subject = _id(chosen, "Tập thể" if collective else "Cá nhân")
        return steps.nominate(
            code, actor=user.username, unit=user.own_unit_id, title=str(form.get("title") or ""),
            achievement=str(form.get("achievement") or ""), fact_text=facts,
            unticked_is_no=True, priority=_priority(form),
            subject_kind="collective" if collective else "individual",
            evidence=[upload] if upload is not None else [],
            person=None if collective else subject, collective=subject if collective else None,
        )  # fmt: skip

    done = await run_in_threadpool(work)
    show(request, done)
    return RedirectResponse(f"/dossier/{done.id}", status_code=303)


@router.get("/dossier/{nomination_id}")
def dossier(nomination_id: DbId, request: Request, user: User = Depends(unit_user)):
    return render(request, "unit/dossier.html", **views.dossier(nomination_id, user.own_unit_id))


@router.post("/dossier/{nomination_id}/evidence")
async def upload_evidence(nomination_id: DbId, request: Request, user: User = Depends(unit_user)):
    form = await request.form()
    upload = await _read_upload(form)

    def work() -> steps.Done:
        views.own_dossier(nomination_id, user.own_unit_id)  # who asks, before what he sent
        if upload is None:
            raise InvalidInput("Chưa có tệp", [Problem("Tệp minh chứng", "chưa chọn tệp")])
        return steps.add_evidence(
            actor=user.username, nomination_id=nomination_id, filename=upload.filename,
            content=upload.content, content_type=upload.content_type,
        )  # fmt: skip

    show(request, await run_in_threadpool(work))
    return RedirectResponse(f"/dossier/{nomination_id}", status_code=303)


@router.post("/dossier/{nomination_id}/resubmit")
async def resubmit(nomination_id: DbId, request: Request, user: User = Depends(unit_user)):
    form = await request.form()
    achievement = form.get("achievement")

    def work() -> steps.Done:
        views.own_dossier(nomination_id, user.own_unit_id)  # the unit's own dossier
        return steps.resubmit(
            actor=user.username, nomination_id=nomination_id,
            achievement=None if achievement is None else str(achievement),
        )  # fmt: skip

    show(request, await run_in_threadpool(work))
    return RedirectResponse(f"/dossier/{nomination_id}", status_code=303)


@router.post("/dossier/{nomination_id}/withdraw")
async def withdraw(nomination_id: DbId, request: Request, user: User = Depends(unit_user)):
    """The unit withdraws its dossier, e.g. one returned as failing a criterion or a quota."""
    form = await request.form()
    reason = str(form.get("reason") or "")

    def work() -> steps.Done:
        views.own_dossier(nomination_id, user.own_unit_id)  # the unit's own dossier
        return steps.withdraw(actor=user.username, nomination_id=nomination_id, reason=reason)

    show(request, await run_in_threadpool(work))
    return RedirectResponse(f"/dossier/{nomination_id}", status_code=303)


@router.get("/evidence/{evidence_id}")
def evidence_file(evidence_id: DbId, request: Request, user: User = Depends(current_user)):
    """The file, to those who may read its dossier (thidua.access); looked up by id, never by
    name, and always downloaded under a generated name, never shown in the browser."""
    path, ev = views.evidence_file(evidence_id, user)
    return FileResponse(
        path, media_type=ev.content_type, filename=uploads.download_name(ev),
        content_disposition_type="attachment", headers={"X-Content-Type-Options": "nosniff"},
    )  # fmt: skip


@router.get("/document/{doc_id}")
def document_file(doc_id: DbId, pdf: bool = False, user: User = Depends(current_user)):
    """An issued document a notice links to (too large to attach), to those who may read it
    (thidua.access: a participating unit's focal point or head reads what the office sent
    it); always downloaded, never shown in the browser."""
    return document_download(doc_id, user, pdf=pdf)
