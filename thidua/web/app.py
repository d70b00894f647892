"""The portal's application: sessions, CSRF, error pages, the routers, and the stage starter
its routes are given (by default the runtime's background starter: a vote completing a step
starts the next stage without holding the request).

    uvicorn --factory thidua.web.app:create_app   (or: thidua web --host H --port P)
"""

from urllib.parse import urlsplit

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware

from thidua.errors import NotFound, Problem, ThiduaError
from thidua.lifecycle import StartStage
from thidua.settings import PROJECT_ROOT, get_settings
from thidua.web import (
    auth,
    routes_admin,
    routes_admin_work,
    routes_block,
    routes_council,
    routes_dossiers,
    routes_head,
    routes_unit,
    sessions,
)
from thidua.web.csrf import CsrfRefused, csrf_check
from thidua.web.deps import Forbidden, LoginRequired, render

SESSION_COOKIE = "thidua_session"
MAX_BODY = 12 * 1024 * 1024  # one evidence file (10 MB) and the form around it
# Forms that carry only a name and passwords: nothing larger is read at all.
SMALL_FORMS = {"/login": 16 * 1024, "/password": 16 * 1024}
# No script at all, styles and images from us only, forms post only to us, never in a frame.
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
# The domain names fields by their keys; the user reads them as the form shows them.
FIELD_LABELS = {
    "person_id": "Cá nhân",
    "collective_unit_id": "Tập thể",
    "subject": "Đối tượng",
    "file": "Tệp minh chứng",
    "reason": "Lý do",
    "achievement": "Thành tích",
    "summary": "Tóm tắt báo cáo",
    "titles": "Danh hiệu",
    "points": "Điểm chấm",
    "username": "Tên đăng nhập",
    "password": "Mật khẩu",
    "nomination_id": "Số hồ sơ",
    "evidence_id": "Số tệp minh chứng",
    "doc_id": "Số văn bản",
    "report_id": "Số báo cáo",
    "decision_id": "Số quyết định",
    "unit_id": "Đơn vị",
    "number": "Đợt",
}
_VALIDATION = {
    "missing": "chưa nhập",
    "int_parsing": "phải là số nguyên",
    "decimal_parsing": "phải là số",
    "string_too_long": "quá dài",
    "less_than_equal": "vượt quá giới hạn cho phép",
    "greater_than_equal": "phải là số dương",
    "int_from_float": "phải là số nguyên",
    "bool_parsing": "phải là có hoặc không",
}


def _body_refused(request: Request):
    """Refuse a body larger than any form needs before anything reads it (an evidence file is
    at most 10 MB; the domain says so with its own message for sizes in between)."""
    if request.method not in {"POST", "PUT", "PATCH"}:
        return None
    length = request.headers.get("content-length")
    if length is None and request.headers.get("transfer-encoding"):
        message, status = "Yêu cầu phải nêu rõ dung lượng dữ liệu gửi lên.", 411
    elif length is not None and (not (length.isascii() and length.isdigit()) or len(length) > 12
                                 or int(length) > MAX_BODY):  # fmt: skip
        message = f"Dữ liệu gửi lên quá lớn (tối đa {MAX_BODY // (1024 * 1024)} MB mỗi lần gửi)."
        status = 413
    elif length is not None and int(length) > SMALL_FORMS.get(request.url.path, MAX_BODY):
        message, status = "Dữ liệu gửi lên quá lớn so với biểu mẫu này.", 413
    else:
        return None
    return render(request, "error.html", status_code=status, message=message, problems=[])


def _same_site_referer(request: Request) -> str | None:
    """The page to go back to, only if it is one of ours (never a link to another site)."""
    ref = urlsplit(request.headers.get("referer", ""))
    if ref.netloc != request.url.netloc or ref.scheme not in {"http", "https"}:
        return None
    return ref.path + (f"?{ref.query}" if ref.query else "")


def _status_of(exc: ThiduaError) -> int:
    if isinstance(exc, auth.TooManyAttempts):
        return 429
    if isinstance(exc, Forbidden | CsrfRefused):
        return 403
    if isinstance(exc, NotFound):
        return 404
    return 400


def create_app(start_stage: StartStage | None = None) -> FastAPI:
    """The portal. `start_stage` starts the stages its routes ask for (the admin's buttons, the
    last ballot, the last approval); by default the runtime's, in a background thread."""
    if start_stage is None:
        from flows.start import start_stage_in_background as start_stage
    settings = get_settings()
    app = FastAPI(
        title="thidua",
        dependencies=[Depends(csrf_check)],
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret_key,
        session_cookie=SESSION_COOKIE,
        max_age=int(sessions.ABSOLUTE.total_seconds()),
        same_site="lax",
        https_only=settings.environment != "development",
    )
    app.state.start_stage = start_stage

    @app.middleware("http")
    async def _headers(request: Request, call_next):
        refused = _body_refused(request)
        if refused is not None:
            return refused
        response = await call_next(request)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Cache-Control", "no-store")
        response.headers.setdefault("Content-Security-Policy", CSP)
        return response

    @app.exception_handler(LoginRequired)
    async def _login_required(request: Request, _exc: LoginRequired):
        if request.method == "GET":  # after logging in, back to it (a notice's link)
            request.session["next"] = request.url.path
        return RedirectResponse("/login", status_code=303)

    @app.exception_handler(ThiduaError)
    async def _refused(request: Request, exc: ThiduaError):
        return render(
            request, "error.html", status_code=_status_of(exc), message=exc.message,
            problems=[Problem(FIELD_LABELS.get(p.field, p.field), p.reason, p.where)
                      for p in exc.problems],
            back=_same_site_referer(request),
        )  # fmt: skip

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError):
        problems = [
            Problem(
                FIELD_LABELS.get(str(e.get("loc", ["?"])[-1]), str(e.get("loc", ["?"])[-1])),
                _VALIDATION.get(e.get("type"), "không hợp lệ"),
            )
            for e in exc.errors()
        ]
        return render(
            request, "error.html", status_code=400, message="Dữ liệu gửi lên không hợp lệ.",
            problems=problems,
        )  # fmt: skip

    @app.exception_handler(IntegrityError)
    async def _conflict(request: Request, _exc: IntegrityError):
        # Two people wrote the same thing at the same moment: the transaction was rolled back.
        return render(
            request, "error.html", status_code=409, problems=[],
            message="Dữ liệu vừa được người khác gửi cùng lúc nên chưa được ghi. "
            "Hãy tải lại trang, kiểm tra rồi gửi lại.",
        )  # fmt: skip

    @app.exception_handler(DataError)
    async def _out_of_range(request: Request, _exc: DataError):
        # A value the database cannot hold (a number too large, a NUL in text): nothing stored.
        return render(
            request, "error.html", status_code=400, problems=[],
            message="Dữ liệu gửi lên có giá trị vượt quá giới hạn hoặc ký tự không hợp lệ; "
            "chưa ghi gì.",
        )  # fmt: skip

    @app.exception_handler(OperationalError)
    async def _db_down(request: Request, _exc: OperationalError):
        return render(
            request, "error.html", status_code=503, problems=[],
            message="Cơ sở dữ liệu đang bận hoặc không kết nối được. Vui lòng thử lại sau ít phút.",
        )  # fmt: skip

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        messages = {404: "Không tìm thấy trang.", 405: "Phương thức không được hỗ trợ."}
        return render(
            request, "error.html", status_code=exc.status_code,
            message=messages.get(exc.status_code, "Yêu cầu không hợp lệ."), problems=[],
        )  # fmt: skip

    @app.exception_handler(Exception)
    async def _crash(request: Request, _exc: Exception):
        # Logged by uvicorn; the user sees a plain Vietnamese page, never a traceback.
        return render(
            request, "error.html", status_code=500, problems=[],
            message="Hệ thống gặp lỗi khi xử lý yêu cầu. Vui lòng thử lại hoặc báo quản trị viên.",
        )  # fmt: skip

    app.mount(
        "/static", StaticFiles(directory=PROJECT_ROOT / "templates" / "web" / "static"), "static"
    )
    app.include_router(auth.router)
    app.include_router(routes_unit.router)
    app.include_router(routes_dossiers.router)
    app.include_router(routes_block.router)
    app.include_router(routes_head.router)
    app.include_router(routes_council.router)
    app.include_router(routes_admin.router)
    app.include_router(routes_admin_work.router)
    return app
