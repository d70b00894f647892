"""Award dossiers from a unit: nominate a person or a collective with its facts, priority and
evidence, add evidence, resubmit or withdraw a returned dossier; evidence is served by database
id only, after an authorisation check (the uploader's file name never reaches the file
system)."""

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, RedirectResponse
from sqlmodel import col, select
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from models import Evidence, Movement, Nomination, Person, Unit
from models.base import saved_id
from models.db import session_scope
from thidua import dossiers, uploads, vn
from thidua.access import may_read_dossier
from thidua.errors import InvalidInput, NotFound, Problem, Problems, ThiduaError
from thidua.history import history_for
from thidua.rules.engine import rule_set_for
from thidua.vn import number, parse_number
from thidua.web.deps import (
    DbId,
    Forbidden,
    User,
    current_user,
    flash,
    form_int,
    own_participation,
    render,
    unit_user,
)

router = APIRouter()
# What a plain form can ask for (counts by title are left to the rule set's own defaults).
FACT_TYPES = {"enum", "number", "integer", "boolean", "initiatives"}
MAX_READ = dossiers.MAX_EVIDENCE_BYTES + 1  # read one byte more than allowed, no further


def _facts_for(rs, kind: str) -> list:
    return [f for f in rs.facts.values() if f.type in FACT_TYPES and f.subject in {kind, "both"}]


@router.get("/unit/{code}/nominate")
def nominate_form(code: str, request: Request, user: User = Depends(unit_user)):
    with session_scope() as s:
        movement, _ = own_participation(s, user, code)
        own = dossiers.subtree(s, user.own_unit_id)
        people = sorted(  # Vietnamese collation, the same on every database
            s.exec(select(Person).where(col(Person.unit_id).in_(own), Person.active)).all(),
            key=lambda p: vn.person_key(p.full_name),
        )
        units = s.exec(select(Unit).where(col(Unit.id).in_(own)).order_by(Unit.code)).all()
        rs = rule_set_for(movement)
    return render(
        request, "unit/nominate.html", m=movement, people=people,
        units=units, titles=list(rs.titles.values()),
        facts=[f for f in rs.facts.values() if f.type in FACT_TYPES],
    )  # fmt: skip


def _parse_facts(rs, kind: str, form) -> dict:
    problems = Problems()
    facts: dict[str, Any] = {}
    for f in _facts_for(rs, kind):
        if f.type == "initiatives":  # a count per level of recognition
            counts = {}
            for level, label in f.values.items():
                raw = str(form.get(f"f:{f.key}:{level}") or "").strip()
                if raw and not (raw.isascii() and raw.isdigit() and len(raw) <= 6):
                    problems.add(f"{f.label} {label}", f"phải là số nguyên không âm: {raw[:20]}")
                elif raw and int(raw):
                    counts[level] = int(raw)
            if counts:
                facts[f.key] = counts
            continue
        raw = str(form.get(f"f:{f.key}") or "").strip()
        if f.type == "boolean":
            facts[f.key] = raw in {"on", "1", "true"}
            continue
        if not raw:
            continue
        if f.type == "enum":
            if raw not in f.values:
                problems.add(f.label, "giá trị không có trong danh sách")
                continue
            facts[f.key] = raw
            continue
        try:
            value = parse_number(raw)
        except ValueError:
            problems.add(f.label, f"không phải là số: {raw}")
            continue
        if f.type == "integer" and value != int(value):
            problems.add(f.label, "phải là số nguyên")
            continue
        if (f.minimum is not None and value < f.minimum) or (
            f.maximum is not None and value > f.maximum
        ):
            problems.add(f.label, _range_text(f))
            continue
        facts[f.key] = int(value) if f.type == "integer" else float(value)
    problems.raise_if_any("Hồ sơ đề nghị không hợp lệ")
    return facts


def _range_text(f) -> str:
    if f.minimum is not None and f.maximum is not None:
        return f"phải từ {number(f.minimum)} đến {number(f.maximum)}"
    if f.minimum is not None:
        return f"không được nhỏ hơn {number(f.minimum)}"
    return f"không được lớn hơn {number(f.maximum)}"


async def _read_upload(form) -> tuple[str, bytes, str] | None:
    upload = form.get("evidence")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return None
    content = await upload.read(MAX_READ)
    return upload.filename, content, upload.content_type or ""


def _store_evidence(s, nomination, upload, actor: str) -> Evidence:
    """add_evidence writes the file first; if the transaction then fails, remove it again."""
    filename, content, content_type = upload
    return dossiers.add_evidence(
        s, nomination=nomination, filename=filename, content=content,
        content_type=content_type, actor=actor,
    )  # fmt: skip


def _int(raw, label: str) -> int:
    if not str(raw or "").strip():
        raise InvalidInput("Hồ sơ đề nghị không hợp lệ", [Problem(label, "chưa chọn")])
    return form_int(raw, label, minimum=1)


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
    kind = "collective" if form.get("subject_kind") == "collective" else "individual"

    def work() -> int:
        written: list[Evidence] = []
        try:
            with session_scope() as s:
                movement, _ = own_participation(s, user, code)
                rs = rule_set_for(movement)
                title = str(form.get("title") or "")
                if title not in rs.titles:
                    raise InvalidInput(
                        "Hồ sơ đề nghị không hợp lệ", [Problem("Danh hiệu", "chưa chọn")]
                    )
                if rs.titles[title].subject not in {kind, "both"}:
                    whom = "cá nhân" if kind == "collective" else "tập thể"
                    raise InvalidInput(
                        "Hồ sơ đề nghị không hợp lệ",
                        [Problem("Danh hiệu", f"{rs.titles[title].name} chỉ xét cho {whom}")],
                    )
                who = (
                    {"collective_unit_id": _int(form.get("collective_unit_id"), "Tập thể")}
                    if kind == "collective"
                    else {"person_id": _int(form.get("person_id"), "Cá nhân")}
                )
                nomination = dossiers.nominate(
                    s, movement=movement, unit_id=user.own_unit_id, title=title,
                    actor=user.username,
                    achievement=str(form.get("achievement") or ""),
                    facts=_parse_facts(rs, kind, form), priority=_priority(form), **who,
                )  # fmt: skip
                if upload is not None:
                    written.append(_store_evidence(s, nomination, upload, user.username))
                return saved_id(nomination)
        except BaseException:
            for ev in written:  # nothing half-written: no file without its row
                dossiers.evidence_path(ev).unlink(missing_ok=True)
            raise

    nid = await run_in_threadpool(work)
    flash(request, f"Đã gửi hồ sơ đề nghị số {nid}.")
    return RedirectResponse(f"/dossier/{nid}", status_code=303)


def _own_nomination(s, user: User, nomination_id: int) -> Nomination:
    nomination = dossiers.get_nomination(s, nomination_id)
    if not (user.is_unit and nomination.unit_id == user.unit_id):
        raise Forbidden("Hồ sơ này không thuộc đơn vị của bạn.")
    return nomination


@router.get("/dossier/{nomination_id}")
def dossier(nomination_id: DbId, request: Request, user: User = Depends(unit_user)):
    with session_scope() as s:
        n = _own_nomination(s, user, nomination_id)
        evidence = s.exec(select(Evidence).where(Evidence.nomination_id == n.id)).all()
        subject = (
            s.get_one(Person, n.person_id).full_name
            if n.person_id
            else s.get_one(Unit, n.collective_unit_id).name
        )
        history = history_for(s, [n.subject_key])[n.subject_key]
        movement = s.get_one(Movement, n.movement_id)
        title_name = rule_set_for(movement).title_name(n.title)
    return render(
        request, "unit/dossier.html", n=n, m=movement, evidence=evidence, subject=subject,
        history=history, title_name=title_name,
    )  # fmt: skip


@router.post("/dossier/{nomination_id}/evidence")
async def upload_evidence(nomination_id: DbId, request: Request, user: User = Depends(unit_user)):
    form = await request.form()
    upload = await _read_upload(form)

    def work() -> None:
        written: list[Evidence] = []
        try:
            with session_scope() as s:
                n = _own_nomination(s, user, nomination_id)  # who asks, before what he sent
                if upload is None:
                    raise InvalidInput("Chưa có tệp", [Problem("Tệp minh chứng", "chưa chọn tệp")])
                if n.status not in {"submitted", "returned"}:
                    raise ThiduaError(
                        f"Hồ sơ đang ở trạng thái '{n.status}': không bổ sung minh chứng được."
                    )
                written.append(_store_evidence(s, n, upload, user.username))
        except BaseException:
            for ev in written:
                dossiers.evidence_path(ev).unlink(missing_ok=True)
            raise

    await run_in_threadpool(work)
    flash(request, "Đã tải lên tệp minh chứng.")
    return RedirectResponse(f"/dossier/{nomination_id}", status_code=303)


@router.post("/dossier/{nomination_id}/resubmit")
async def resubmit(nomination_id: DbId, request: Request, user: User = Depends(unit_user)):
    form = await request.form()
    achievement = form.get("achievement")

    def work() -> None:
        with session_scope() as s:
            n = _own_nomination(s, user, nomination_id)
            dossiers.resubmit(
                s, nomination=n, actor=user.username,
                achievement=None if achievement is None else str(achievement),
            )  # fmt: skip

    await run_in_threadpool(work)
    flash(request, f"Đã gửi lại hồ sơ số {nomination_id}.")
    return RedirectResponse(f"/dossier/{nomination_id}", status_code=303)


@router.post("/dossier/{nomination_id}/withdraw")
async def withdraw(nomination_id: DbId, request: Request, user: User = Depends(unit_user)):
    """The unit withdraws its dossier, e.g. one returned as failing a criterion or a quota."""
    form = await request.form()
    reason = str(form.get("reason") or "")

    def work() -> None:
        with session_scope() as s:
            n = _own_nomination(s, user, nomination_id)
            dossiers.withdraw(s, nomination=n, reason=reason, actor=user.username)

    await run_in_threadpool(work)
    flash(request, f"Đã rút hồ sơ số {nomination_id}.")
    return RedirectResponse(f"/dossier/{nomination_id}", status_code=303)


@router.get("/evidence/{evidence_id}")
def evidence_file(evidence_id: DbId, request: Request, user: User = Depends(current_user)):
    """The file, to those who may read its dossier (thidua.access); looked up by id, never by
    name, and always downloaded under a generated name, never shown in the browser."""
    with session_scope() as s:
        ev = s.get(Evidence, evidence_id)
        if ev is None:
            raise NotFound(f"Không có tệp minh chứng số {evidence_id}.")
        if not may_read_dossier(s, user, s.get_one(Nomination, ev.nomination_id)):
            raise Forbidden("Bạn không được xem tệp minh chứng của hồ sơ này.")
    path = dossiers.evidence_path(ev)
    if not path.is_file():
        raise NotFound("Tệp minh chứng không còn trên máy chủ.")
    return FileResponse(
        path, media_type=ev.content_type, filename=uploads.download_name(ev),
        content_disposition_type="attachment", headers={"X-Content-Type-Options": "nosniff"},
    )  # fmt: skip
