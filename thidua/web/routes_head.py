"""The agency's head: reads the drafted decisions and proposal memos and approves them. The
approval goes through thidua.council.approve, which starts the closing stage once the last
one is approved (in the portal, in a background thread)."""

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, RedirectResponse
from sqlmodel import col, select

from models import Decision, DecisionItem, IssuedDocument, Movement
from models.db import session_scope
from thidua import council
from thidua.errors import NotFound
from thidua.lifecycle import movement_state_label
from thidua.web.deps import DbId, User, find_movement, flash, head_user, render, stage_starter
from thidua.web.routes_admin_work import document_file

router = APIRouter(prefix="/head")


@router.get("")
def head_home(request: Request, user: User = Depends(head_user)):
    with session_scope() as s:
        rows = []
        for m in s.exec(select(Movement).order_by(col(Movement.year).desc(), Movement.code)):
            decisions = s.exec(
                select(Decision).where(Decision.movement_id == m.id).order_by(col(Decision.id))
            ).all()
            items = {
                d.id: len(
                    s.exec(select(DecisionItem.id).where(DecisionItem.decision_id == d.id)).all()
                )
                for d in decisions
            }
            docs = {d.id: s.get(IssuedDocument, d.document_id) for d in decisions if d.document_id}
            rows.append((m, movement_state_label(s, m), decisions, items, docs))
    return render(request, "head/home.html", rows=rows)


@router.post("/{code}/decision/{decision_id}/approve")
def approve(code: str, decision_id: DbId, request: Request, user: User = Depends(head_user)):
    with session_scope() as s:
        m = find_movement(s, code)
        d = s.get(Decision, decision_id)
        if d is None or d.movement_id != m.id:
            raise NotFound(f"Không có quyết định số {decision_id} của phong trào {code}.")
    last = council.approve(
        code, decision_id=decision_id, actor=user.username, start_stage=stage_starter(request)
    )
    flash(request, f"Đã phê duyệt văn bản số {decision_id}.")
    if last:
        flash(request, "Đã phê duyệt tất cả: bắt đầu giai đoạn kết thúc phong trào.")
    return RedirectResponse("/head", status_code=303)


@router.get("/document/{doc_id}")
def decision_document(doc_id: DbId, pdf: bool = False, user: User = Depends(head_user)):
    """Only the documents put to the head for approval (a decision or a memo)."""
    with session_scope() as s:
        if s.exec(select(Decision.id).where(Decision.document_id == doc_id)).first() is None:
            raise NotFound(f"Văn bản số {doc_id} không phải là dự thảo trình phê duyệt.")
    path, name = document_file(doc_id, pdf=pdf)
    return FileResponse(path, filename=name)
