"""Accounts and logging in: argon2 password hashes, a login rate limit per username and IP,
sessions held by the server (thidua.web.sessions); the cookie holds only the session token
and the CSRF token."""

import secrets
import threading
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse
from sqlalchemy import delete
from sqlmodel import Session, col, func, select
from zxcvbn import zxcvbn

from models import Account, LoginFailure, Movement, Person
from models.base import utcnow
from models.db import session_scope
from thidua.errors import InvalidInput, NotFound, Problem, ThiduaError
from thidua.lifecycle import audit
from thidua.vn import nfc
from thidua.web import sessions
from thidua.web.deps import LoginRequired, current_user, flash, load_user, render

_hasher = PasswordHasher()
# Verifying against this when the username is unknown costs the same time as a real check,
# so timing does not tell which usernames exist.
_DUMMY = _hasher.hash(secrets.token_hex(8))

# Each argon2 check takes ~64 MB and a core for a fraction of a second: a burst of logins (the
# morning a deadline falls) waits its turn rather than exhausting the server's memory.
_VERIFY_SLOTS = threading.BoundedSemaphore(4)
MAX_FAILURES = 5  # one account from one address
MAX_FAILURES_ACCOUNT = 10  # one account, from any address
MAX_FAILURES_ADDRESS = 10  # one address, any accounts
WINDOW_SECONDS = 15 * 60
MAX_USERNAME = 100  # Account.username's column; anything longer is refused before any work
MIN_PASSWORD = 8
MAX_PASSWORD = 256
MIN_STRENGTH = 3  # zxcvbn's score 0-4: 3 is "safely unguessable" against an online attack
# zxcvbn's warnings, as a user reads them; any other: the generic reason below.
STRENGTH_WARNINGS = {
    "This is a top-10 common password.": "là một trong những mật khẩu phổ biến nhất",
    "This is a top-100 common password.": "là một mật khẩu rất phổ biến",
    "This is a very common password.": "là một mật khẩu rất phổ biến",
    "This is similar to a commonly used password.": "giống một mật khẩu phổ biến",
    'Repeats like "aaa" are easy to guess.': "lặp lại một ký tự, dễ đoán",
    'Repeats like "abcabcabc" are only slightly harder to guess than "abc".': "lặp lại một cụm",
    "Sequences like abc or 6543 are easy to guess.": "là một dãy liên tiếp như abc, 1234",
    "Recent years are easy to guess.": "chứa năm gần đây, dễ đoán",
    "Dates are often easy to guess.": "chứa ngày tháng, dễ đoán",
    "Straight rows of keys are easy to guess.": "là một hàng phím liền nhau",
    "Short keyboard patterns are easy to guess.": "là một mẫu bàn phím ngắn",
}


TOO_MANY = "Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau 15 phút hoặc liên hệ quản trị viên."


class TooManyAttempts(ThiduaError):
    """Login refused for a while after repeated failures (HTTP 429)."""


def password_problems(
    password: str, *, username: str = "", field: str = "password"
) -> list[Problem]:
    """Why this password may not be used (empty: it may): at least MIN_PASSWORD characters,
    not only spaces, and hard to guess by zxcvbn's estimate (the username counts as known)."""
    password = password or ""
    if len(password) < MIN_PASSWORD:
        return [Problem(field, f"phải có ít nhất {MIN_PASSWORD} ký tự")]
    if len(password) > MAX_PASSWORD:
        return [Problem(field, f"dài quá {MAX_PASSWORD} ký tự")]
    if not password.strip():
        return [Problem(field, "không được chỉ gồm dấu cách")]
    # zxcvbn's time grows with length; the first 100 characters decide any real password.
    result = zxcvbn(password[:100], user_inputs=[username] if username else [])
    if result["score"] >= MIN_STRENGTH:
        return []
    why = STRENGTH_WARNINGS.get(result["feedback"]["warning"], "quá dễ đoán")
    score = f"độ mạnh {result['score']}/4, cần ít nhất {MIN_STRENGTH}/4"
    advice = "hãy dùng một cụm nhiều từ ít gặp, hoặc thêm chữ, số và ký hiệu"
    return [Problem(field, f"{why} ({score}): {advice}")]


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    with _VERIFY_SLOTS:
        try:
            return _hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False


class LoginLimiter:
    """Failed logins and password checks over a sliding window, in the database (table
    loginfailure), so every server process and worker sees the same counts. Blocked: one
    account from one address after `max_failures`; one account from anywhere after
    `per_account` (a slow guess spread over many addresses); one address after `per_address`
    whatever the usernames (spraying a common password over many accounts)."""

    def __init__(
        self,
        max_failures: int = MAX_FAILURES,
        window: float = WINDOW_SECONDS,
        per_account: int = MAX_FAILURES_ACCOUNT,
        per_address: int = MAX_FAILURES_ADDRESS,
    ) -> None:
        self.max_failures, self.window = max_failures, timedelta(seconds=window)
        self.per_account, self.per_address = per_account, per_address

    def blocked(self, username: str, ip: str) -> bool:
        username, ip = username[:MAX_USERNAME], ip[:45]
        since = utcnow() - self.window
        recent = LoginFailure.at >= since
        with session_scope() as s:

            def count(*where) -> int:
                return s.exec(select(func.count(col(LoginFailure.id))).where(recent, *where)).one()

            return (
                count(LoginFailure.username == username, LoginFailure.ip == ip) >= self.max_failures
                or count(LoginFailure.username == username) >= self.per_account
                or count(LoginFailure.ip == ip) >= self.per_address
            )

    def failed(self, username: str, ip: str) -> None:
        with session_scope() as s:
            # Rows past the window count for nothing: forgotten here, so the table stays small.
            s.exec(delete(LoginFailure).where(col(LoginFailure.at) < utcnow() - self.window))
            s.add(LoginFailure(username=username[:MAX_USERNAME], ip=ip[:45]))

    def succeeded(self, username: str, ip: str) -> None:
        with session_scope() as s:
            s.exec(
                delete(LoginFailure).where(
                    col(LoginFailure.username) == username[:MAX_USERNAME],
                    col(LoginFailure.ip) == ip[:45],
                )
            )


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
    account_id, password_hash, active = row if row is not None else (None, _DUMMY, False)
    if not active:  # no such account, or a disabled one: the same time spent, the same answer
        verify_password(_DUMMY, password)
        account_id = None
    elif not verify_password(password_hash, password):
        account_id = None
    with session_scope() as s:
        if account_id is None:
            audit(s, actor=username[:100] or "?", entity="account", action="login.failed",
                  data={"ip": ip})  # fmt: skip
            return None
        if _hasher.check_needs_rehash(password_hash):
            account = s.get_one(Account, account_id)
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
    problems += password_problems(password, username=username)
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
    ip = client_ip(request)
    # No name or password this long exists: refused before any lookup or hash, and only a
    # prefix is ever kept (the failure counts against the address).
    too_long = len(username) > MAX_USERNAME * 4 or len(password) > MAX_PASSWORD * 4
    username = nfc(username[: MAX_USERNAME * 4]).strip()
    if limiter.blocked(username, ip):
        raise TooManyAttempts(TOO_MANY)
    account_id = None if too_long else authenticate(username, password, ip=ip)
    if account_id is None:
        limiter.failed(username, ip)
        return render(
            request, "login.html", status_code=400, username=username[:MAX_USERNAME],
            error="Tên đăng nhập hoặc mật khẩu không đúng.",
        )  # fmt: skip
    limiter.succeeded(username, ip)
    old, wanted = request.session.get("sid"), str(request.session.get("next") or "")
    request.session.clear()  # a fresh session id (and CSRF token) for the new login
    with session_scope() as s:
        sessions.end(s, old)
        sessions.purge_expired(s)
        user = load_user(s, account_id)
        if user is not None:
            request.session["sid"] = sessions.start(
                s, account_id, password_stamp=user.stamp, privilege_stamp=user.privileges, ip=ip
            )
    if user is None:  # the account's person was just made inactive
        return render(
            request, "login.html", status_code=400, username=username,
            error="Tên đăng nhập hoặc mật khẩu không đúng.",
        )  # fmt: skip
    # The page asked for before logging in, if it is one of ours (a path, never another site)
    local = wanted.startswith("/") and not wanted.startswith("//") and "\\" not in wanted
    return RedirectResponse(wanted if local else "/", status_code=303)


@router.post("/logout")
def logout(request: Request):
    token = request.session.get("sid")
    with session_scope() as s:
        row = sessions.find(s, token)
        account = s.get(Account, row.account_id) if row is not None else None
        sessions.end(s, token)
        if account is not None:
            audit(s, actor=account.username, entity="account", entity_id=account.id,
                  action="logout")  # fmt: skip
    request.session.clear()
    flash(request, "Đã đăng xuất.")
    return RedirectResponse("/login", status_code=303)


def end_sessions(
    session: Session, *, actor: str, account_id: int | None = None, keep: object = None
) -> int:
    """End every session of one account or of everyone (an admin's "end all sessions"),
    except the token `keep`; audited. Returns how many ended."""
    ended = sessions.end_all(session, account_id, keep=keep)
    audit(session, actor=actor, entity="account", entity_id=account_id,
          action="sessions.ended", data={"count": ended})  # fmt: skip
    return ended


def set_active(session: Session, *, username: str, active: bool, actor: str) -> Account:
    """Disable (or enable again) a login; disabling ends its sessions at once. Audited."""
    account = session.exec(select(Account).where(Account.username == nfc(username))).first()
    if account is None:
        raise NotFound(f"Không có tài khoản '{username}'.")
    account.active = active
    session.add(account)
    if not active:
        sessions.end_all(session, account.id)
    audit(session, actor=actor, entity="account", entity_id=account.id,
          action="account.enabled" if active else "account.disabled")  # fmt: skip
    return account


@router.get("/")
def home(request: Request):
    try:
        current_user(request)
    except LoginRequired:
        return RedirectResponse("/login", status_code=303)
    with session_scope() as s:
        movements = list(
            s.exec(select(Movement).order_by(col(Movement.year).desc(), Movement.code))
        )
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
    problems = password_problems(new, username=user.username, field="Mật khẩu mới")
    if new != confirm:
        problems.append(Problem("Nhập lại mật khẩu mới", "không khớp với mật khẩu mới"))
    if problems:
        raise InvalidInput("Chưa đổi được mật khẩu", problems)
    ip = client_ip(request)
    if limiter.blocked(user.username, ip):  # the current password is guessed no faster here
        raise TooManyAttempts(
            "Nhập sai mật khẩu hiện tại quá nhiều lần. Vui lòng thử lại sau 15 phút."
        )
    with session_scope() as s:
        account = s.get_one(Account, user.account_id)
    if len(current) > MAX_PASSWORD * 4 or not verify_password(account.password_hash, current):
        limiter.failed(user.username, ip)
        raise InvalidInput("Chưa đổi được mật khẩu", [Problem("Mật khẩu hiện tại", "không đúng")])
    limiter.succeeded(user.username, ip)
    new_hash = hash_password(new)
    with session_scope() as s:
        account = s.get_one(Account, user.account_id)
        account.password_hash = new_hash
        s.add(account)
        audit(s, actor=user.username, entity="account", entity_id=account.id,
              action="password.changed")  # fmt: skip
    # Every session of the account ends, this one included; this browser goes on under a new
    # session id.
    with session_scope() as s:
        sessions.end_all(s, user.account_id)
        fresh = load_user(s, user.account_id)
        if fresh is None:  # disabled meanwhile: signed out like every other session
            raise LoginRequired
        request.session["sid"] = sessions.start(
            s, user.account_id, password_stamp=fresh.stamp, privilege_stamp=fresh.privileges,
            ip=client_ip(request),
        )  # fmt: skip
    flash(request, "Đã đổi mật khẩu.")
    return RedirectResponse("/", status_code=303)
