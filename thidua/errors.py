"""Errors a user sees: each names where (file, line, sheet, row, field) and why, in Vietnamese."""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Problem:
    """One thing wrong with some input: where it is and why it is wrong."""

    field: str
    reason: str
    where: str = ""  # "examples/hanam.yaml:12" or "Sheet Đơn vị, dòng 7"

    def __str__(self) -> str:
        prefix = f"{self.where}: " if self.where else ""
        return f"{prefix}{self.field}: {self.reason}"


class ThiduaError(Exception):
    """A refusal with a reason a user can act on. The CLI and the portal print it, never a
    traceback."""

    def __init__(self, message: str, problems: list[Problem] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.problems = problems or []

    def __str__(self) -> str:
        if not self.problems:
            return self.message
        return "\n".join([self.message, *(f"  - {p}" for p in self.problems)])


class InvalidInput(ThiduaError):
    """Input (a spec, a workbook, a form, an argument) that cannot be accepted as it is."""


class NotFound(ThiduaError):
    pass


class TransitionRefused(ThiduaError):
    """A step that is not allowed now — the movement's stage, a dossier's or a sitting's status —
    the message says why. Every "not now" refusal is this one type, so callers handle them alike."""


class AlreadyDone(TransitionRefused):
    """The step had already been taken — by the same person a moment ago, in another request
    perhaps — so nothing was written. A step answers it as "done before", not as a failure."""


class Forbidden(ThiduaError):
    """The actor may not take this step: his role or his unit does not allow it (HTTP 403)."""


@dataclass
class Problems:
    """Collects every problem before refusing, so the user fixes them all in one go."""

    items: list[Problem] = field(default_factory=list)

    def add(self, field_name: str, reason: str, where: str = "") -> None:
        self.items.append(Problem(field_name, reason, where))

    def __bool__(self) -> bool:
        return bool(self.items)

    def raise_if_any(self, message: str) -> None:
        if self.items:
            raise InvalidInput(message, list(self.items))


def os_reason(e: OSError) -> str:
    """An operating-system error as a few Vietnamese words."""
    import errno

    return {
        errno.ENOSPC: "hết chỗ trống trên đĩa",
        errno.EDQUOT: "hết hạn mức dung lượng đĩa",
        errno.EACCES: "không có quyền ghi",
        errno.EPERM: "không có quyền ghi",
        errno.EROFS: "ổ đĩa chỉ cho đọc",
    }.get(e.errno or 0, e.strerror or type(e).__name__)


def database_reason(e: BaseException) -> str | None:
    """One Vietnamese sentence for a database error a user can act on (a lock held by another
    process, a timeout, a full disk, no connection), or None for anything else."""
    import sqlalchemy.exc as sa_exc

    if not isinstance(e, sa_exc.DBAPIError):
        return None
    code = getattr(e.orig, "sqlstate", None)  # PostgreSQL (psycopg)
    text = str(e.orig).lower()
    # SQLite on a full disk: "database or disk is full" when writing, or a bare "disk I/O
    # error" when WAL mode cannot grow its -shm file (SQLite: "may indicate … out of space").
    if getattr(e.orig, "sqlite_errorname", "") in ("SQLITE_FULL", "SQLITE_IOERR_SHMSIZE"):
        code = "53100"
    if code == "55P03" or "database is locked" in text or "lock timeout" in text:
        return (
            "Cơ sở dữ liệu đang bị một tiến trình khác giữ khóa quá lâu: chưa ghi gì, hãy chạy "
            "lại sau ít phút."
        )
    if code == "57014" or "statement timeout" in text:
        return "Thao tác trên cơ sở dữ liệu chạy quá thời hạn cho phép nên đã dừng: chưa ghi gì."
    if code in ("53100", "53200") or "disk is full" in text or "no space left" in text:
        return "Đĩa của cơ sở dữ liệu đã đầy: chưa ghi gì, hãy giải phóng chỗ rồi chạy lại."
    if code == "40P01" or "deadlock" in text:
        return "Hai tiến trình tranh nhau cùng dữ liệu: chưa ghi gì, hãy chạy lại."
    if isinstance(e, sa_exc.OperationalError):
        return (
            "Không kết nối được cơ sở dữ liệu hoặc lược đồ chưa được tạo (chạy 'thidua db "
            f"upgrade'). Chi tiết: {str(e.orig).splitlines()[0] if e.orig else e}"
        )
    return None
