"""Contact points from the organisation data: an email address, a Zalo phone (84xxxxxxxxx).

Each check returns the normalised value, or raises ValueError with the reason in Vietnamese,
which the ledger records as a permanent failure for that person and channel."""

import re

from thidua.vn import nfc

# Deliberately plain: one @, no spaces or control characters, a dotted domain. What the SMTP
# server then refuses is classified from its answer.
_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
# Vietnamese mobile numbers: 84 + 9 digits, the first one of 3, 5, 7, 8, 9 (since 2018).
_PHONE = re.compile(r"^84[35789][0-9]{8}$")  # ASCII digits: not "09١٢٣…" (Arabic-Indic)


def normalise_email(raw: str | None) -> str:
    value = nfc(raw or "")
    if not value:
        raise ValueError("chưa có địa chỉ email")
    if len(value) > 254 or not _EMAIL.match(value) or ".." in value:
        raise ValueError(f"địa chỉ email không hợp lệ: {value!r}")
    return value


def normalise_phone(raw: str | None) -> str:
    """ "0912 345 678", "+84 912-345-678", "84912345678" → "84912345678"."""
    value = nfc(raw or "")
    if not value:
        raise ValueError("chưa có số điện thoại Zalo")
    digits = re.sub(r"[\s.\-()]", "", value)
    if digits.startswith("+"):
        digits = digits[1:]
    if digits.startswith("0"):
        digits = "84" + digits[1:]
    if not _PHONE.match(digits):
        raise ValueError(f"số điện thoại Zalo không hợp lệ: {value!r}")
    return digits
