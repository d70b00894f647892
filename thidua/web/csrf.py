"""CSRF protection: one random token per session, put in every form as `csrf_token` and
checked on every POST (an app-wide dependency, so a new route cannot forget it)."""

import hmac
import secrets

from fastapi import Request

from thidua.errors import ThiduaError

FIELD = "csrf_token"
HEADER = "x-csrf-token"


class CsrfRefused(ThiduaError):
    """The form did not carry this session's token (HTTP 403)."""


def csrf_token(request: Request) -> str:
    if "session" not in request.scope:
        return ""
    token = request.session.get("csrf")
    if not isinstance(token, str) or len(token) < 32:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


async def csrf_check(request: Request) -> None:
    if request.method not in {"POST", "PUT", "PATCH", "DELETE"}:
        return
    expected = request.session.get("csrf")
    sent = request.headers.get(HEADER)
    if sent is None:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            field = (await request.form()).get(FIELD)
            sent = field if isinstance(field, str) else None  # not a file
    if not (
        isinstance(expected, str)
        and isinstance(sent, str)
        and hmac.compare_digest(expected.encode(), sent.encode())
    ):
        raise CsrfRefused(
            "Biểu mẫu đã hết hạn hoặc không hợp lệ (thiếu mã chống giả mạo). "
            "Hãy tải lại trang rồi gửi lại."
        )
