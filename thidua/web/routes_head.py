"""The agency's head: reads the drafted decisions and proposal memos and approves them. The
approval is a step (thidua.steps.approve), which starts the closing stage once the last one is
approved (in the portal, in a background thread)."""

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse

from thidua import steps, views
from thidua.errors import NotFound
from thidua.web.deps import DbId, User, document_download, head_user, render, show, stage_starter

router = APIRouter(prefix="/head")


@router.get("")
def head_home(request: Request, user: User = Depends(head_user)):
    return render(request, "head/home.html", **views.head_home())


@router.post("/{code}/decision/{decision_id}/approve")
def approve(code: str, decision_id: DbId, request: Request, user: User = Depends(head_user)):
    done = steps.approve(
        code, actor=user.username, decision_id=decision_id, start_stage=stage_starter(request)
    )
    show(request, done)
    return RedirectResponse("/head", status_code=303)


@router.get("/document/{doc_id}")
def decision_document(doc_id: DbId, pdf: bool = False, user: User = Depends(head_user)):
    """Only the documents put to the head for approval (a decision or a memo)."""
    if not views.is_decision_draft(doc_id):
        raise NotFound(f"Văn bản số {doc_id} không phải là dự thảo trình phê duyệt.")
    return document_download(doc_id, user, pdf=pdf)
