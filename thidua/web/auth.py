"""Accounts and logging in: argon2 password hashes, a login rate limit per username and IP,
the session cookie holding only the account id and the CSRF token."""

import secrets
import threading
import time
from collections import deque

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse
from sqlmodel import Session, select

from models import Account, Movement, Person
from models.db import session_scope
from thidua.errors import InvalidInput, NotFound, Problem, ThiduaError
from thidua.lifecycle import audit
from thidua.vn import nfc
from thidua.web.deps import LoginRequired, current_user, flash, password_stamp, render

_hasher = PasswordHasher()
# Verifying against this when the username is unknown costs the same time as a real check,
# so timing does not tell which usernames exist.
_DUMMY = _hasher.hash(secrets.token_hex(8))

# Each argon2 check takes ~64 MB and a core for a fraction of a second: a burst of logins (the
# morning a deadline falls) waits its turn rather than exhausting the server's memory.
_VERIFY_SLOTS = threading.BoundedSemaphore(4)
MAX_FAILURES = 5
WINDOW_SECONDS = 15 * 60
MIN_PASSWORD = 8


class TooManyAttempts(ThiduaError):
    """Login refused for a while after repeated failures (HTTP 429)."""


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    with _VERIFY_SLOTS:
        try:
            return _hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False


class LoginLimiter:
    """Failures per (username, IP) in a sliding window, in memory (one process)."""

    def __init__(self, max_failures: int = MAX_FAILURES, window: float = WINDOW_SECONDS) -> None:
        self.max_failures, self.window = max_failures, window
        self._failures: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: tuple[str, str], now: float) -> deque[float]:
        q = self._failures.setdefault(key, deque())
        while q and q[0] <= now - self.window:
            q.popleft()
        return q

    def blocked(self, username: str, ip: str) -> bool:
        with self._lock:
            return len(self._recent((username, ip), time.monotonic())) >= self.max_failures

    def failed(self, username: str, ip: str) -> None:
        with self._lock:
            now = time.monotonic()
            if len(self._failures) > 10_000:  # forget keys whose failures have all expired
                for key in [
                    k for k, q in self._failures.items() if not q or q[-1] <= now - self.window
                ]:
                    del self._failures[key]
            self._recent((username, ip), now).append(now)

    def succeeded(self, username: str, ip: str) -> None:
        with self._lock:
            self._failures.pop((username, ip), None)


limiter = LoginLimiter()


def authenticate(username: str, password: str, *, ip: str = "?") -> int | None:
    """The account id if the password is right, else None; audited either way. The slow hash
    check runs outside any database transaction, so waiting logins hold no connection."""
    with session_scope() as s:
        row = s.exec(
            select(Account.id, Account.password_hash, Account.active).where(
                Account.username == username
            )
        ).first()
    if row is None or not row.active:
        verify_password(_DUMMY, password)
        account_id = None
    else:
        account_id = row.id if verify_password(row.password_hash, password) else None
    with session_scope() as s:
        if account_id is None:
            audit(s, actor=username[:100] or "?", entity="account", action="login.failed",
                  data={"ip": ip})  # fmt: skip
            return None
        if _hasher.check_needs_rehash(row.password_hash):
            account = s.get(Account, account_id)
            account.password_hash = hash_password(password)
            s.add(account)
        audit(s, actor=username, entity="account", entity_id=account_id, action="login",
              data={"ip": ip})  # fmt: skip
    return account_id


def create_account(
    session: Session,
    *,
    username: str,
    password: str,
    person_code: str | None = None,
    is_admin: bool = False,
    actor: str = "cli",
) -> Account:
    """A new login; its person (by code) gives its roles. Audited."""
    username = nfc(username or "").strip()
    problems = []
    if not username:
        problems.append(Problem("username", "không được để trống"))
    if len(password or "") < MIN_PASSWORD:
        problems.append(Problem("password", f"phải có ít nhất {MIN_PASSWORD} ký tự"))
    if session.exec(select(Account.id).where(Account.username == username)).first():
        problems.append(Problem("username", f"tên đăng nhập '{username}' đã có"))
    person = None
    if person_code:
        person = session.exec(select(Person).where(Person.code == person_code)).first()
        if person is None:
            raise NotFound(f"Không có cán bộ mã '{person_code}'.")
    if problems:
        raise InvalidInput("Không tạo được tài khoản", problems)
    account = Account(
        username=username,
        password_hash=hash_password(password),
        person_id=person.id if person else None,
        is_admin=is_admin,
    )
    session.add(account)
    session.flush()
    audit(session, actor=actor, entity="account", entity_id=account.id, action="account.created",
          data={"username": username, "person": person_code, "is_admin": is_admin})  # fmt: skip
    return account


router = APIRouter()


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "?"


@router.get("/login")
def login_page(request: Request):
    return render(request, "login.html", username="")


@router.post("/login")
def login(request: Request, username: str = Form(""), password: str = Form("")):
    username = nfc(username).strip()
    ip = client_ip(request)
    if limiter.blocked(username, ip):
        raise TooManyAttempts(
            "Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau 15 phút hoặc liên hệ quản trị viên."
        )
    account_id = authenticate(username, password, ip=ip)
    if account_id is None:
        limiter.failed(username, ip)
        return render(
            request, "login.html", status_code=400, username=username,
            error="Tên đăng nhập hoặc mật khẩu không đúng.",
        )  # fmt: skip
    limiter.succeeded(username, ip)
    request.session.clear()  # a fresh session (and CSRF token) for the new login
    request.session["uid"] = account_id
    with session_scope() as s:
        request.session["stamp"] = password_stamp(s.get(Account, account_id).password_hash)
    return RedirectResponse("/", status_code=303)


@router.post("/logout")
def logout(request: Request):
    account_id = request.session.get("uid")
    if isinstance(account_id, int):
        with session_scope() as s:
            account = s.get(Account, account_id)
            if account is not None:
                audit(s, actor=account.username, entity="account", entity_id=account_id,
                      action="logout")  # fmt: skip
    request.session.clear()
    flash(request, "Đã đăng xuất.")
    return RedirectResponse("/login", status_code=303)


@router.get("/")
def home(request: Request):
    try:
        current_user(request)
    except LoginRequired:
        return RedirectResponse("/login", status_code=303)
    with session_scope() as s:
        movements = list(s.exec(select(Movement).order_by(Movement.year.desc(), Movement.code)))
    return render(request, "home.html", movements=movements)


@router.get("/password")
def password_page(request: Request):
    current_user(request)
    return render(request, "password.html")


@router.post("/password")
def change_password(
    request: Request,
    current: str = Form(""),
    new: str = Form(""),
    confirm: str = Form(""),
):
    """Everyone changes the password handed out to him (accounts-from-org makes random ones)."""
    user = current_user(request)
    problems = []
    if len(new) < MIN_PASSWORD:
        problems.append(Problem("Mật khẩu mới", f"phải có ít nhất {MIN_PASSWORD} ký tự"))
    if new != confirm:
        problems.append(Problem("Nhập lại mật khẩu mới", "không khớp với mật khẩu mới"))
    if problems:
        raise InvalidInput("Chưa đổi được mật khẩu", problems)
    with session_scope() as s:
        account = s.get(Account, user.account_id)
    if not verify_password(account.password_hash, current):
        raise InvalidInput("Chưa đổi được mật khẩu", [Problem("Mật khẩu hiện tại", "không đúng")])
    new_hash = hash_password(new)
    with session_scope() as s:
        account = s.get(Account, user.account_id)
        account.password_hash = new_hash
        s.add(account)
        audit(s, actor=user.username, entity="account", entity_id=account.id,
              action="password.changed")  # fmt: skip
    request.session["stamp"] = password_stamp(new_hash)  # this session stays, others end
    flash(request, "Đã đổi mật khẩu.")
    return RedirectResponse("/", status_code=303)
