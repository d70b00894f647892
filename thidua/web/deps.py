"""What every route needs: the logged-in user and his roles, refusals, flash messages and the
page renderer. Roles come from Person.roles; an account flagged is_admin is an admin too."""

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from fastapi import Form, Request
from fastapi import Path as PathParam
from fastapi.responses import FileResponse
from fastapi.templating import Jinja2Templates
from sqlmodel import Session

from models import Account, Person, Unit
from models.base import saved_id
from models.db import session_scope
from thidua import vn
from thidua.errors import Forbidden, InvalidInput, Problem
from thidua.lifecycle import StartStage
from thidua.settings import PROJECT_ROOT
from thidua.web import sessions

UNIT_ROLES = frozenset({"focal_point", "unit_head"})
COUNCIL_ROLES = frozenset({"council_member", "council_chair", "council_secretary"})
ROLE_LABELS = {
    "focal_point": "Đầu mối thi đua",
    "unit_head": "Thủ trưởng đơn vị",
    "council_member": "Thành viên Hội đồng",
    "council_chair": "Chủ tịch Hội đồng",
    "council_secretary": "Thư ký Hội đồng",
    "block_leader": "Khối trưởng",
    "head": "Thủ trưởng cơ quan",
    "admin": "Quản trị",
}

# Every id the portal takes is checked against the database's INTEGER before any query: a
# larger one names nothing, and would overflow the driver (HTTP 500) instead of a clear refusal.
MAX_ID = 2**31 - 1
DbId = Annotated[int, PathParam(ge=1, le=MAX_ID)]
FormId = Annotated[int, Form(ge=1, le=MAX_ID)]


def form_int(raw: object, label: str, *, minimum: int = 0, maximum: int = MAX_ID) -> int:
    """A whole number typed in a form: ASCII digits only ("²" and "٣" are digits to Python but
    not numbers here), within [minimum, maximum]; else a Vietnamese refusal naming the field."""
    text = str(raw or "").strip()
    if not (text.isascii() and text.isdigit()):
        raise InvalidInput("Dữ liệu gửi lên không hợp lệ", [Problem(label, "phải là số nguyên")])
    if len(text) > 12 or not minimum <= int(text) <= maximum:
        raise InvalidInput(
            "Dữ liệu gửi lên không hợp lệ",
            [Problem(label, f"phải từ {vn.number(minimum)} đến {vn.number(maximum)}")],
        )
    return int(text)


def stage_starter(request: Request) -> StartStage:
    """The app's StartStage (create_app's `start_stage`): what a step a route completes uses
    to start the next stage, and the admin's buttons to start one."""
    return request.app.state.start_stage


templates = Jinja2Templates(directory=str(PROJECT_ROOT / "templates" / "web"))
templates.env.filters["long_date"] = lambda d: vn.long_date(d) if d else ""
templates.env.filters["number"] = lambda v, d=0: vn.number(v, d) if v is not None else ""
templates.env.filters["percent"] = lambda v, d=1: vn.percent(v, d) if v is not None else ""
templates.env.filters["filesize"] = lambda n: (
    f"{n} byte" if n < 1024 else f"{vn.number(n / 1024, 0 if n >= 10240 else 1)} KB"
)
templates.env.filters["when"] = lambda t: (
    t.astimezone(vn.TZ).strftime("%H:%M %d/%m/%Y") if t is not None else ""
)


class LoginRequired(Exception):
    """No valid session: the user is sent to /login."""


@dataclass(frozen=True)
class User:
    account_id: int
    username: str
    is_admin: bool
    person_id: int | None = None
    full_name: str = ""
    unit_id: int | None = None
    unit_name: str = ""
    roles: frozenset[str] = field(default_factory=frozenset)
    is_head: bool = False  # the agency's head: unit_head of a unit at the top of the tree
    stamp: str = ""  # changes with the password: sessions from before a change end
    privileges: str = ""  # changes with the roles, the unit or admin: the session id rotates

    @property
    def own_unit_id(self) -> int:
        """The user's unit, behind a guard that requires one (unit_user, leader_user)."""
        if self.unit_id is None:
            raise Forbidden("Tài khoản không gắn với đơn vị nào.")
        return self.unit_id

    @property
    def own_person_id(self) -> int:
        """The user's person, behind a guard that requires one (council_user)."""
        if self.person_id is None:
            raise Forbidden("Tài khoản không gắn với cán bộ nào.")
        return self.person_id

    @property
    def is_unit(self) -> bool:
        return bool(self.roles & UNIT_ROLES) and self.unit_id is not None

    @property
    def is_council(self) -> bool:
        return bool(self.roles & COUNCIL_ROLES) and self.person_id is not None

    @property
    def is_leader(self) -> bool:
        return "block_leader" in self.roles and self.unit_id is not None

    @property
    def role_labels(self) -> list[str]:
        held = self.roles | ({"head"} if self.is_head else set())
        return [ROLE_LABELS[r] for r in ROLE_LABELS if r in held]


def load_user(session: Session, account_id: int) -> User | None:
    account = session.get(Account, account_id)
    if account is None or not account.active:
        return None
    person = session.get(Person, account.person_id) if account.person_id else None
    if person is not None and not person.active:
        return None
    roles = set(person.roles or []) if person else set()
    is_admin = account.is_admin or "admin" in roles
    if is_admin:
        roles.add("admin")
    unit = session.get(Unit, person.unit_id) if person else None
    return User(
        account_id=saved_id(account),
        username=account.username,
        is_admin=is_admin,
        person_id=person.id if person else None,
        full_name=person.full_name if person else account.username,
        unit_id=person.unit_id if person else None,
        unit_name=unit.name if unit else "",
        roles=frozenset(roles),
        is_head="unit_head" in roles and unit is not None and unit.parent_id is None,
        stamp=password_stamp(account.password_hash),
        privileges=hashlib.sha256(
            repr((is_admin, sorted(roles), account.person_id, person and person.unit_id)).encode()
        ).hexdigest()[:16],
    )


def password_stamp(password_hash: str) -> str:
    return hashlib.sha256(password_hash.encode()).hexdigest()[:16]


def current_user(request: Request) -> User:
    """The logged-in user, read afresh each request from the server-side session: a session
    ended (logout, password change, disabled account, an admin), idle or too old stops at once;
    a change of roles rotates the session id."""
    token = request.session.get("sid")
    with session_scope() as s:
        row = sessions.find(s, token)
        user = load_user(s, row.account_id) if row is not None else None
        if row is not None and (user is None or row.password_stamp != user.stamp):
            s.delete(row)
            user = None
        elif user is not None and row is not None and row.privilege_stamp != user.privileges:
            request.session["sid"] = sessions.rotate(s, row, privilege_stamp=user.privileges)
    if user is None:
        request.session.clear()
        raise LoginRequired
    request.state.user = user
    return user


def _role(flag: str, refusal: str) -> Callable[[Request], User]:
    """A dependency that lets through only signed-in users for whom `flag` holds."""

    def guard(request: Request) -> User:
        user = current_user(request)
        if not getattr(user, flag):
            raise Forbidden(refusal)
        return user

    guard.__name__ = f"{flag.removeprefix('is_')}_user"
    return guard


unit_user = _role("is_unit", "Chỉ đầu mối thi đua hoặc thủ trưởng đơn vị được dùng chức năng này.")
council_user = _role(
    "is_council", "Chỉ thành viên Hội đồng Thi đua - Khen thưởng được dùng chức năng này."
)
admin_user = _role("is_admin", "Chỉ quản trị viên được vào trang quản trị.")
leader_user = _role("is_leader", "Chỉ đơn vị khối trưởng được chấm điểm các đơn vị trong khối.")
head_user = _role("is_head", "Chỉ Thủ trưởng cơ quan được phê duyệt quyết định khen thưởng.")


_MEDIA = {
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".pdf": "application/pdf",
}


def document_download(doc_id: int, user: "User", *, pdf: bool = False) -> FileResponse:
    """An issued document (or its PDF) to a reader with a right to it (views.document_file,
    thidua.access), always as a download, never shown in the browser."""
    from thidua import views

    path, name = views.document_file(doc_id, pdf=pdf, reader=user)
    return FileResponse(
        path, media_type=_MEDIA.get(Path(name).suffix), filename=name,
        content_disposition_type="attachment", headers={"X-Content-Type-Options": "nosniff"},
    )  # fmt: skip


def flash(request: Request, message: str, kind: str = "ok") -> None:
    request.session.setdefault("flash", []).append([kind, message])


def show(request: Request, done) -> None:
    """A step's answer (thidua.steps.Done) as a flash: a warning when it changed nothing."""
    flash(request, done.message, "ok" if done.changed else "warn")


def render(request: Request, name: str, status_code: int = 200, **context: Any):
    from thidua.web.csrf import csrf_token

    user = getattr(request.state, "user", None)
    flashes = request.session.pop("flash", []) if "session" in request.scope else []
    return templates.TemplateResponse(
        request,
        name,
        {"user": user, "csrf_token": csrf_token(request), "flashes": flashes, **context},
        status_code=status_code,
    )
