"""Vietnamese forms: dates, numbers, NFC."""

import unicodedata
from datetime import date
from decimal import Decimal

import pytest

from thidua.vn import long_date, nfc, number, parse_number, partial_date, short_date


def test_dates_as_documents_write_them() -> None:
    assert long_date(date(2022, 3, 5), "Hà Nam") == "Hà Nam, ngày 05 tháng 3 năm 2022"
    assert long_date(date(2022, 2, 15)) == "ngày 15 tháng 02 năm 2022"  # months 1-2: zero
    assert long_date(date(2021, 12, 9)) == "ngày 09 tháng 12 năm 2021"
    assert partial_date("2022-03") == "ngày     tháng 3 năm 2022"
    assert short_date(date(2014, 4, 7)) == "07/4/2014"


@pytest.mark.parametrize(
    ("value", "decimals", "text"),
    [(Decimal("174186"), 1, "174.186,0"), (4401, 0, "4.401"), (Decimal("96.2"), 1, "96,2"),
     (Decimal("-1234567.891"), 2, "-1.234.567,89"), (0, 0, "0")],
)  # fmt: skip
def test_numbers_round_trip(value: Decimal, decimals: int, text: str) -> None:
    assert number(value, decimals) == text
    assert parse_number(text) == Decimal(value).quantize(Decimal(1).scaleb(-decimals))


@pytest.mark.parametrize("bad", ["2.5", "1,000.5", "12a", "", "1.00"])
def test_ambiguous_or_foreign_numbers_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="kiểu Việt Nam"):
        parse_number(bad)


def test_nfc_everywhere_inside() -> None:
    nfd = unicodedata.normalize("NFD", "Lao động tiên tiến")
    assert nfd != "Lao động tiên tiến"
    assert nfc({"a": [nfd, {"b": nfd}]}) == {
        "a": ["Lao động tiên tiến", {"b": "Lao động tiên tiến"}]
    }
