"""The movement clock: the one place the system reads "now" from.

Unset, it is the real time. Set, every date and timestamp the system writes — a document's
date, an audit or ledger entry, a reminder's due day, quiet hours — is read from it, so a
movement's year can be replayed (`thidua demo`) or rehearsed (`thidua rehearse`).

It is set either by THIDUA_CLOCK (one process and its children) or by the file `clock` in the
data directory (`thidua clock set`), which every process using that directory reads: the CLI,
the portal, a Prefect worker. A file rather than a database row because `now()` is read for
every row written (models.base.utcnow) and must not need a database session. The clock is
frozen, not running: it reads the set instant until it is set again, so a replay is the same
every time.

Values: "2022-06-30" (07:00 that day, Vietnam time) or "2022-06-30T08:30" (Vietnam time unless
an offset is given)."""

import os
from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Asia/Ho_Chi_Minh")

ENV = "THIDUA_CLOCK"
FILE_NAME = "clock"
DAY_START = time(7, 0)  # a bare date means the start of that working day

_cache: tuple[Path, int, datetime | None] | None = None


def parse(text: str) -> datetime:
    """A clock value as an aware datetime; ValueError in Vietnamese when it is not one."""
    text = (text or "").strip()
    try:
        if len(text) == 10:
            at = datetime.combine(date.fromisoformat(text), DAY_START)
        else:
            at = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(
            f"'{text}' không phải ngày giờ hợp lệ; viết dạng 2022-06-30 hoặc 2022-06-30T08:30"
        ) from None
    return at if at.tzinfo else at.replace(tzinfo=TZ)


def clock_file(data_dir: Path | None = None) -> Path:
    if data_dir is None:
        from thidua.settings import get_settings

        data_dir = get_settings().data_dir
    return Path(data_dir) / FILE_NAME


def _from_file() -> datetime | None:
    """The data directory's clock, re-read only when the file changes (a stat per call)."""
    global _cache
    path = clock_file()
    try:
        mtime = path.stat().st_mtime_ns
    except OSError:
        return None
    if _cache and _cache[0] == path and _cache[1] == mtime:
        return _cache[2]
    try:
        value = parse(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        value = None  # a clock file being replaced or spoiled: the real time, not a crash
    _cache = (path, mtime, value)
    return value


def simulated() -> datetime | None:
    """The set movement time, or None when the clock follows the real time."""
    env = os.environ.get(ENV, "").strip()
    if env:
        return parse(env)
    return _from_file()


def now() -> datetime:
    """Now, in Vietnam time: the movement clock when set, the real time otherwise."""
    at = simulated()
    return at.astimezone(TZ) if at else datetime.now(TZ)


def set_clock(at: datetime | None, data_dir: Path | None = None) -> None:
    """Set the data directory's clock (None: back to the real time). Written whole, then
    renamed, so a process reading it never sees half a value."""
    path = clock_file(data_dir)
    if at is None:
        path.unlink(missing_ok=True)
        return
    from thidua.files import write_whole

    at = at if at.tzinfo else at.replace(tzinfo=TZ)
    write_whole(path, (at.astimezone(TZ).isoformat(timespec="minutes") + "\n").encode("utf-8"))


def check_year(at: datetime | date, year: int, movement: str) -> None:
    """The clock may only stand inside the movement's year."""
    from thidua.errors import InvalidInput, Problem

    d = at.astimezone(TZ).date() if isinstance(at, datetime) else at
    if d.year != year:
        raise InvalidInput(
            f"Ngày {d.day:02d}/{d.month:02d}/{d.year} nằm ngoài năm {year} của phong trào "
            f"{movement}; không thay đổi gì",
            [Problem("ngày", f"phải nằm trong năm {year}")],
        )
