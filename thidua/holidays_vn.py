"""Working days in Viet Nam: weekends, public holidays (lunar ones included) and the public
sector's swapped days, in Asia/Ho_Chi_Minh.

The base calendar is the `holidays` package's Vietnam calendar: the Labour Code's holidays (Tết
Nguyên Đán computed on the Vietnamese lunar calendar, Giỗ Tổ Hùng Vương on 10/3 lunar), days
off in lieu when a holiday falls on a weekend, and the swaps the Government announces for civil
servants ("nghỉ hoán đổi", e.g. Mon 29/4/2024 off, Sat 4/5/2024 worked), each with its cited
dispatch. A swapped day off comes with a Saturday worked in exchange: the package records that
Saturday only inside the day's name, so we read it from the package's table of swaps and count
it as a working day. An office adjusts all of this as data (templates/calendar/holidays_vn.yaml,
or its own copy under THIDUA_TEMPLATE_DIR) when a new year's schedule is announced.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from pathlib import Path

import holidays
from ruamel.yaml import YAML

from thidua.settings import PROJECT_ROOT, get_settings

CALENDAR_FILE = Path("calendar") / "holidays_vn.yaml"


def _package_makeup_days() -> set[date]:
    """The Saturdays worked in exchange for the package's swapped days off."""
    try:
        from holidays.countries.vietnam import VietnamStaticHolidays

        table = VietnamStaticHolidays.special_public_holidays
    except (ImportError, AttributeError):  # a future package layout: fall back to the data file
        return set()
    out: set[date] = set()
    for year, entries in table.items():
        rows = entries if isinstance(entries[0], tuple) else (entries,)
        for row in rows:
            if isinstance(row, tuple) and len(row) >= 4:  # (to_m, to_d, from_m, from_d[, from_y])
                from_year = row[4] if len(row) == 5 else year
                out.add(date(from_year, row[2], row[3]))
    return out


@dataclass(frozen=True)
class WorkCalendar:
    """Which days an office works. Holidays come from the package year by year, lazily."""

    use_package: bool = True
    extra_days_off: frozenset[date] = frozenset()
    extra_working_days: frozenset[date] = frozenset()
    not_days_off: frozenset[date] = frozenset()

    def is_day_off(self, d: date) -> bool:
        if d in self.extra_working_days:
            return False
        if d in self.extra_days_off:
            return True
        if self.use_package and d in _package_holidays() and d not in self.not_days_off:
            return True
        if self.use_package and d in _makeup():
            return False
        return d.weekday() >= 5

    def is_working_day(self, d: date) -> bool:
        return not self.is_day_off(d)


@cache
def _package_holidays() -> holidays.HolidayBase:
    return holidays.country_holidays("VN")  # expands to each year on first lookup


@cache
def _makeup() -> frozenset[date]:
    return frozenset(_package_makeup_days())


def _dates(rows: list | None) -> frozenset[date]:
    out = set()
    for row in rows or []:
        value = row.get("date") if isinstance(row, dict) else row
        out.add(value if isinstance(value, date) else date.fromisoformat(str(value)))
    return frozenset(out)


@cache
def _load(path: Path, mtime: float) -> WorkCalendar:
    del mtime  # part of the cache key: an edited file is read again
    data = YAML(typ="safe").load(path.read_text(encoding="utf-8")) or {}
    return WorkCalendar(
        use_package=bool(data.get("use_package", True)),
        extra_days_off=_dates(data.get("days_off")),
        extra_working_days=_dates(data.get("working_days")),
        not_days_off=_dates(data.get("not_days_off")),
    )


def calendar_file() -> Path:
    own = get_settings().template_dir
    if own and (own / CALENDAR_FILE).is_file():
        return own / CALENDAR_FILE
    return PROJECT_ROOT / "templates" / CALENDAR_FILE


def work_calendar() -> WorkCalendar:
    """The calendar in force: the office's own file if there is one, else the shipped one."""
    path = calendar_file()
    if not path.is_file():
        return WorkCalendar()
    return _load(path, path.stat().st_mtime)


def is_working_day(d: date, cal: WorkCalendar | None = None) -> bool:
    return (cal or work_calendar()).is_working_day(d)


def add_working_days(d: date, n: int, cal: WorkCalendar | None = None) -> date:
    """The day n working days after d (before it when n < 0); d itself is not counted, and
    n = 0 returns d unchanged."""
    cal = cal or work_calendar()
    step = timedelta(days=1 if n > 0 else -1)
    left = abs(n)
    while left:
        d += step
        if cal.is_working_day(d):
            left -= 1
    return d


def working_days_between(a: date, b: date, cal: WorkCalendar | None = None) -> int:
    """Working days in (a, b] when b is after a; minus those in [b, a) when b is before a.
    So add_working_days(a, working_days_between(a, b)) == b for any working day b."""
    cal = cal or work_calendar()
    if b == a:
        return 0
    if b > a:
        lo, hi, sign = a, b, 1  # count (a, b]
    else:
        lo, hi, sign = b - timedelta(days=1), a - timedelta(days=1), -1  # count [b, a)
    count, d = 0, lo
    while d < hi:
        d += timedelta(days=1)
        count += cal.is_working_day(d)
    return sign * count
