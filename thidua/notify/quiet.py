"""Quiet hours (THIDUA_QUIET_HOURS, "21:00-07:00", local time): nothing is sent inside them;
what falls due waits until the window opens. Empty or "none" means no quiet hours."""

from datetime import UTC, datetime, time, timedelta

from thidua.settings import get_settings
from thidua.vn import TZ


def parse(spec: str) -> tuple[time, time] | None:
    spec = (spec or "").strip().lower()
    if not spec or spec in {"none", "off", "0"}:
        return None
    try:
        a, b = (time.fromisoformat(x.strip()) for x in spec.split("-"))
    except ValueError:
        raise ValueError(f"giờ yên lặng phải có dạng HH:MM-HH:MM, không phải {spec!r}") from None
    return (a, b) if a != b else None


def window() -> tuple[time, time] | None:
    from thidua.errors import InvalidInput, Problem

    try:
        return parse(get_settings().quiet_hours)
    except ValueError as e:
        raise InvalidInput(
            "Cấu hình giờ yên lặng không hợp lệ", [Problem("THIDUA_QUIET_HOURS", str(e))]
        ) from None


def is_quiet(now: datetime, quiet: tuple[time, time] | None = None) -> bool:
    quiet = quiet if quiet is not None else window()
    if not quiet:
        return False
    t = now.astimezone(TZ).time()
    start, end = quiet
    return start <= t < end if start < end else (t >= start or t < end)


def opens_at(now: datetime, quiet: tuple[time, time] | None = None) -> datetime:
    """When sending may start again: now if not quiet, else the next end of the window."""
    quiet = quiet if quiet is not None else window()
    if not quiet or not is_quiet(now, quiet):
        return now
    local = now.astimezone(TZ)
    at = local.replace(hour=quiet[1].hour, minute=quiet[1].minute, second=0, microsecond=0)
    if at <= local:
        at += timedelta(days=1)
    return at.astimezone(UTC)  # stored as UTC: SQLite keeps no offset
