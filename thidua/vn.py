"""Vietnamese text, dates and numbers as official documents write them."""

import re
import unicodedata
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from thidua import clock
from thidua.clock import TZ  # noqa: F401  (thidua.vn.TZ: what the rest reads)

# Invisible characters that ride along with pasted text: zero-width space/joiners, word joiner,
# byte-order mark. At either end of a value they are stripped like spaces.
_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff"
_EDGES = re.compile(f"^[\\s{_INVISIBLE}]+|[\\s{_INVISIBLE}]+$")


def nfc(value: Any) -> Any:
    """NFC-normalise every string inside value (text pasted from Word is often NFD), without
    the spaces and zero-width characters at its ends."""
    if isinstance(value, str):
        return _EDGES.sub("", unicodedata.normalize("NFC", value))
    if isinstance(value, dict):
        return {nfc(k): nfc(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(nfc(v) for v in value)
    return value


def text_problem(value: str) -> str | None:
    """Why a text value cannot be kept, in Vietnamese, or None: a control character (NUL, …;
    a line break or tab is fine), a bidirectional override, or nothing visible at all."""
    for ch in value:
        cat = unicodedata.category(ch)
        if cat == "Cc" and ch not in "\n\t\r":
            return f"có ký tự điều khiển không in được (U+{ord(ch):04X})"
        if "\u202a" <= ch <= "\u202e" or "\u2066" <= ch <= "\u2069":
            return f"có ký tự đảo chiều văn bản (U+{ord(ch):04X})"
    if value and all(ch.isspace() or unicodedata.category(ch) == "Cf" for ch in value):
        return "chỉ có ký tự vô hình, không có chữ"
    return None


def text_problems(data: Any, loc: tuple = ()) -> list[tuple[tuple, str]]:
    """(location, reason) of every string inside data (dicts, lists) that text_problem
    refuses, keys included."""
    if isinstance(data, str):
        why = text_problem(data)
        return [(loc, why)] if why else []
    out: list[tuple[tuple, str]] = []
    if isinstance(data, dict):
        for k, v in data.items():
            if isinstance(k, str) and (why := text_problem(k)):
                out.append(((*loc, k), f"tên trường {why}"))
            out += text_problems(v, (*loc, k))
    elif isinstance(data, list | tuple):
        for i, v in enumerate(data):
            out += text_problems(v, (*loc, i))
    return out


def ascii_int(value: str) -> int | None:
    """An integer written with ASCII digits only ("12"; not "²" nor "١٢"), or None."""
    value = value.strip()
    return int(value) if value.isascii() and value.isdigit() else None


def now() -> datetime:
    """Now in Vietnam time, from the movement clock (thidua.clock)."""
    return clock.now()


def today() -> date:
    return now().date()


def _dd(n: int) -> str:
    return f"{n:02d}"


def long_date(d: date, place: str | None = None) -> str:
    """ "Hà Nam, ngày 05 tháng 3 năm 2022": day below 10 and months 1–2 take a leading zero."""
    month = _dd(d.month) if d.month < 3 else str(d.month)
    text = f"ngày {_dd(d.day)} tháng {month} năm {d.year}"
    return f"{place}, {text}" if place else text


def partial_date(iso: str, place: str | None = None) -> str:
    """A date as written on a draft, where the day (or day and month) is left for the signer:
    "2022-03" → "ngày    tháng 3 năm 2022"."""
    parts = iso.split("-")
    if len(parts) == 3:
        return long_date(date.fromisoformat(iso), place)
    blank = "     "
    if len(parts) == 2:
        m = int(parts[1])
        text = f"ngày{blank}tháng {_dd(m) if m < 3 else m} năm {parts[0]}"
    else:
        text = f"ngày{blank}tháng{blank}năm {parts[0]}"
    return f"{place}, {text}" if place else text


def short_date(d: date) -> str:
    """ "07/4/2014", the form used when citing another document."""
    return f"{_dd(d.day)}/{d.month}/{d.year}"


def number(value: Decimal | float | int, decimals: int = 0) -> str:
    """ "174.186,0": dot for thousands, comma for decimals."""
    q = Decimal(value).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    sign = "-" if q < 0 else ""
    whole, _, frac = f"{abs(q):f}".partition(".")
    groups = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    text = ".".join(groups)
    return f"{sign}{text},{frac}" if frac else f"{sign}{text}"


_VN_NUMBER = re.compile(r"-?(\d{1,3}(\.\d{3})+|\d+)(,\d+)?")


def parse_number(text: str) -> Decimal:
    """Read "174.186,0", "4.401", "96,2" (Vietnamese form) into a Decimal. A dot must group
    thousands ("2.5" is refused rather than read as 25 or 2,5)."""
    cleaned = nfc(str(text)).replace(" ", "").replace("\u00a0", "")
    if not _VN_NUMBER.fullmatch(cleaned):
        raise ValueError(
            f"không phải là số viết theo kiểu Việt Nam (dấu chấm ngăn hàng nghìn, dấu phẩy "
            f"thập phân, ví dụ 174.186,0): {text!r}"
        )
    return Decimal(cleaned.replace(".", "").replace(",", "."))


def percent(value: Decimal | float, decimals: int = 1) -> str:
    return f"{number(value, decimals)}%"
