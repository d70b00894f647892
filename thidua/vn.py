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
    groups: list[str] = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    text = ".".join(groups)
    return f"{sign}{text},{frac}" if frac else f"{sign}{text}"


_VN_NUMBER = re.compile(r"-?(\d{1,3}(\.\d{3})+|\d+)(,\d+)?", re.ASCII)  # "١٢" is no number here


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


# --- Vietnamese collation -------------------------------------------------------------------
# Lists in documents, exports and the portal are ordered here, in Python, with ICU's Vietnamese
# collation (đ after d, ă and â after a, tones after the bare letter, "Tổ 2" before "Tổ 10"),
# never by the database: SQLite compares bytes and PostgreSQL follows the server's locale.

_COLLATOR: Any = None


def _collator() -> Any:
    global _COLLATOR
    if _COLLATOR is None:
        import icu

        c = icu.Collator.createInstance(icu.Locale("vi_VN"))
        c.setAttribute(icu.UCollAttribute.NUMERIC_COLLATION, icu.UCollAttributeValue.ON)
        _COLLATOR = c
    return _COLLATOR


def sort_key(text: str | None) -> bytes:
    """The collation key of a name, title or any label."""
    return _collator().getSortKey(unicodedata.normalize("NFC", text or "").strip())


def person_key(full_name: str | None) -> tuple[bytes, bytes]:
    """People as Vietnamese lists order them: by the given name (the last word), then by the
    full name ("Bùi Thanh Mai" before "Đỗ Thanh Mai" before "Lê Văn Nam")."""
    name = " ".join((full_name or "").split())
    return sort_key(name.rsplit(" ", 1)[-1]), sort_key(name)


def sorted_vn(items: Any, key: Any = None) -> list[Any]:
    """items sorted by the Vietnamese collation of key(item) (the item itself by default)."""
    return sorted(items, key=lambda x: sort_key(key(x) if key else x))


# --- agency names inside sentences ------------------------------------------------------------
# A header prints the agency in capitals ("SỞ CÔNG THƯƠNG"); a sentence writes it as a name
# (Nghị định 30/2020/NĐ-CP, Phụ lục II: capitals for the kind of agency and the first word of
# each field): "Sở Công Thương", "Ủy ban nhân dân huyện Tam Đường", "Sở Kế hoạch và Đầu tư".

AGENCY_KINDS = {  # the kind of agency, as written in a sentence
    "UBND": "Ủy ban nhân dân",
    "ỦY BAN NHÂN DÂN": "Ủy ban nhân dân",
    "UỶ BAN NHÂN DÂN": "Ủy ban nhân dân",
    "HĐND": "Hội đồng nhân dân",
    "HỘI ĐỒNG NHÂN DÂN": "Hội đồng nhân dân",
    "SỞ": "Sở",
    "BỘ": "Bộ",
    "BAN": "Ban",
    "CỤC": "Cục",
    "CHI CỤC": "Chi cục",
    "TRUNG TÂM": "Trung tâm",
    "PHÒNG": "Phòng",
    "VĂN PHÒNG": "Văn phòng",
    "THANH TRA": "Thanh tra",
    "TRƯỜNG": "Trường",
    "BỆNH VIỆN": "Bệnh viện",
}
AGENCY_FIELDS = {  # fields written otherwise than "first word of each part in capitals"
    "CÔNG THƯƠNG": "Công Thương",
}
_PLACES = ("THÀNH PHỐ", "TỈNH", "HUYỆN", "QUẬN", "THỊ XÃ", "XÃ", "PHƯỜNG", "THỊ TRẤN")


def _cap(word: str) -> str:
    return word[:1].upper() + word[1:]


def _field(text: str) -> str:
    if text in AGENCY_FIELDS:
        return AGENCY_FIELDS[text]
    parts = re.split(r"( VÀ |, | - )", text)
    return "".join(p.lower() if p in (" VÀ ", ", ", " - ") else _cap(p.lower()) for p in parts)


def _place(text: str) -> str:
    for kind in _PLACES:
        if text.startswith(kind + " "):
            rest = text[len(kind) + 1 :]
            return f"{kind.lower()} " + " ".join(_cap(w.lower()) for w in rest.split())
    return ""


def agency_name(text: str | None) -> str:
    """The agency's name as written inside a sentence. A name that is not all in capitals is
    the office's own spelling and is kept."""
    name = " ".join(nfc(text or "").split())
    if not name or name != name.upper():
        return name
    kind = next(
        (
            k
            for k in sorted(AGENCY_KINDS, key=len, reverse=True)
            if name == k or name.startswith(k + " ")
        ),
        None,
    )
    if kind is None:
        return _cap(name.lower())
    rest = name[len(kind) :].strip()
    out = AGENCY_KINDS[kind]
    if not rest:
        return out
    place = _place(rest)
    if place:
        return f"{out} {place}"
    # "SỞ CÔNG THƯƠNG TỈNH HÀ NAM": the field, then the place
    # ("XÃ" is left out here: "Lao động - Thương binh và Xã hội")
    m = re.search(r" (THÀNH PHỐ|TỈNH|HUYỆN|QUẬN|THỊ XÃ) ", f" {rest} ")
    if m and m.start() > 0:
        return f"{out} {_field(rest[: m.start() - 1])} {_place(rest[m.start() :])}"
    return f"{out} {_field(rest)}"
