"""What the command line says when something outside thidua fails: Prefect, the database, SMTP,
Zalo (ZNS), LibreOffice, the file system. One Vietnamese sentence naming what failed and what
to do, and the full detail (traceback included) appended to a log file whose path is printed.

The exception is classified by the names of its classes and of its causes', so that nothing
here imports sqlalchemy, httpx or prefect."""

import errno
import os
import sys
import tempfile
import traceback
from datetime import datetime
from pathlib import Path

LOG_NAME = "thidua-loi.log"


def _chain(e: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    cur: BaseException | None = e
    while cur is not None and cur not in seen:
        seen.append(cur)
        cur = cur.__cause__ or cur.__context__
    return seen


def _names(e: BaseException) -> set[str]:
    return {f"{c.__module__}.{c.__name__}" for c in type(e).__mro__}


def _any(chain: list[BaseException], *prefixes: str) -> BaseException | None:
    for e in chain:
        if any(n.startswith(prefixes) for n in _names(e)):
            return e
    return None


def _database_url() -> str:
    url = os.environ.get("THIDUA_DATABASE_URL", "")
    if not url:
        return "tệp SQLite trong thư mục dữ liệu"
    head, _, tail = url.rpartition("@")  # never print a password
    return url if not head else url.split("://", 1)[0] + "://…@" + tail


def _sentence(e: BaseException) -> str:
    chain = _chain(e)
    text = " ".join(str(c) for c in chain).lower()
    os_err = next((c for c in chain if isinstance(c, OSError) and c.errno), None)
    if (
        "readonly database" in text
        or "read-only file system" in text
        or (os_err is not None and os_err.errno in (errno.EACCES, errno.EPERM, errno.EROFS))
    ):
        where = f" {os_err.filename}" if os_err is not None and os_err.filename else ""
        return (
            f"Không ghi được vào thư mục dữ liệu{where} (chỉ đọc hoặc không có quyền): hãy cấp "
            "quyền ghi, hoặc chọn thư mục khác bằng --data-dir / THIDUA_DATA_DIR."
        )
    if os_err is not None and os_err.errno == errno.ENOSPC:
        return "Ổ đĩa đã đầy: hãy giải phóng dung lượng rồi chạy lại lệnh."
    if _any(chain, "smtplib.", "thidua.notify.smtp"):
        return (
            "Không gửi được thư qua máy chủ SMTP: kiểm tra THIDUA_EMAIL_URL (máy chủ, cổng, "
            "tài khoản, mật khẩu) và kết nối mạng, rồi chạy lại."
        )
    if _any(chain, "thidua.notify.zns"):
        return (
            "Không gửi được tin Zalo (ZNS): kiểm tra THIDUA_ZALO_URL (mã ứng dụng, mã mẫu, "
            "refresh token) và kết nối tới Zalo, rồi chạy lại."
        )
    if "libreoffice" in text or "soffice" in text:
        return (
            "LibreOffice không chuyển được văn bản sang PDF: kiểm tra LibreOffice đã cài "
            "(lệnh soffice), hoặc tắt PDF bằng THIDUA_PDF=false."
        )
    if _any(chain, "sqlalchemy.", "psycopg", "sqlite3.", "alembic."):
        return (
            f"Không làm việc được với cơ sở dữ liệu ({_database_url()}): kiểm tra máy chủ cơ sở "
            "dữ liệu đang chạy và THIDUA_DATABASE_URL, rồi chạy 'thidua db upgrade' nếu lược đồ "
            "chưa được tạo."
        )
    if _any(chain, "prefect.", "httpx.", "httpcore.", "flows.server."):
        url = os.environ.get("PREFECT_API_URL", "")
        where = f" tại {url}" if url else ""
        return (
            f"Không làm việc được với máy chủ Prefect{where}: nếu dùng máy chủ riêng "
            "(PREFECT_API_URL), hãy kiểm tra nó đang chạy; máy chủ cục bộ thì chạy "
            "'thidua server stop' rồi chạy lại lệnh."
        )
    if os_err is not None:
        where = f" {os_err.filename}" if os_err.filename else ""
        return f"Lỗi đọc/ghi tệp{where} ({os_err.strerror}): kiểm tra đường dẫn và quyền."
    return "Lỗi không lường trước khi chạy lệnh; hãy gửi tệp nhật ký dưới đây cho bộ phận kỹ thuật."


def _log_dir() -> list[Path]:
    data = os.environ.get("THIDUA_DATA_DIR") or "data"
    fallback = Path(tempfile.gettempdir()) / f"thidua-{os.getuid()}"
    return [Path(data).expanduser().resolve() / "logs", fallback]


def write_log(e: BaseException) -> Path | None:
    """Append the failure with its traceback; the data directory's logs/ first, /tmp if that
    cannot be written (a read-only data directory)."""
    detail = "".join(traceback.format_exception(e))
    stamp = datetime.now().astimezone().isoformat(timespec="seconds")
    for folder in _log_dir():
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / LOG_NAME
            with path.open("a", encoding="utf-8") as f:
                f.write(f"--- {stamp} thidua {' '.join(sys.argv[1:])}\n{detail}\n")
            return path
        except OSError:
            continue
    return None


def explain(e: BaseException) -> str:
    """The sentence to print, ending with where the details are."""
    sentence = _sentence(e)
    log = write_log(e)
    more = f" Chi tiết ghi ở {log}." if log else ""
    return f"Lỗi: {sentence}{more}"
