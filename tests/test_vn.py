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


# --- Vietnamese collation (thidua.vn.sort_key / person_key) ----------------------------------


def test_collation_follows_the_vietnamese_alphabet() -> None:
    from thidua.vn import sort_key, sorted_vn

    words = ["Vũ", "Đỗ", "Em", "Ân", "Ăn", "An", "Dung", "Ba", "Ánh", "Anh"]
    got = sorted_vn(words)
    assert got.index("Dung") < got.index("Đỗ") < got.index("Em")  # đ after d, before e
    assert got.index("An") < got.index("Ăn") < got.index("Ân") < got.index("Ba")  # ă, â after a
    assert got.index("Anh") < got.index("Ánh")  # the bare letter before its tones
    assert got[-1] == "Vũ"
    assert sorted_vn(["Tổ 10", "Tổ 2", "Tổ 1"]) == ["Tổ 1", "Tổ 2", "Tổ 10"]  # numbers as numbers
    # NFD input (pasted from Word) sorts as its NFC form
    assert sort_key(unicodedata.normalize("NFD", "Đỗ")) == sort_key("Đỗ")


def test_people_by_given_name_then_full_name() -> None:
    from thidua.vn import person_key

    people = ["Lê Văn Nam", "Đỗ Thanh Mai", "Bùi Thanh Mai", "Vũ Anh", "Đặng Bích Vân", "Tạ Ân"]
    assert sorted(people, key=person_key) == [
        "Vũ Anh", "Tạ Ân", "Bùi Thanh Mai", "Đỗ Thanh Mai", "Lê Văn Nam", "Đặng Bích Vân",
    ]  # fmt: skip


def test_agency_names_inside_sentences() -> None:
    from thidua.vn import agency_name

    assert agency_name("SỞ CÔNG THƯƠNG") == "Sở Công Thương"
    assert agency_name("ỦY BAN NHÂN DÂN HUYỆN TAM ĐƯỜNG") == "Ủy ban nhân dân huyện Tam Đường"
    assert agency_name("UBND TỈNH HÀ NAM") == "Ủy ban nhân dân tỉnh Hà Nam"
    assert agency_name("SỞ KẾ HOẠCH VÀ ĐẦU TƯ") == "Sở Kế hoạch và Đầu tư"
    assert (
        agency_name("SỞ LAO ĐỘNG - THƯƠNG BINH VÀ XÃ HỘI TỈNH HÀ NAM")
        == "Sở Lao động - Thương binh và Xã hội tỉnh Hà Nam"
    )
    assert agency_name("Sở Công Thương tỉnh Hà Nam") == "Sở Công Thương tỉnh Hà Nam"  # kept


def test_same_order_on_sqlite_and_postgresql(session) -> None:
    """The order comes from the collator, not from the database: the names read back from
    either database sort the same, and the way a database orders them is not relied on."""
    from sqlmodel import select

    from models import Person, Unit
    from thidua.vn import person_key

    unit = Unit(code="DVX", name="Phòng Thử")
    session.add(unit)
    session.flush()
    names = ["Vũ Văn An", "Đỗ Thị Ân", "Dương Văn An", "Ông Ích Ăn", "Eng Văn Anh", "Bùi Đạt"]
    for i, name in enumerate(names):
        session.add(Person(code=f"P{i}", full_name=name, unit_id=unit.id))
    session.flush()
    got = [p.full_name for p in session.exec(select(Person).where(Person.unit_id == unit.id))]
    assert sorted(got, key=person_key) == [
        "Dương Văn An", "Vũ Văn An", "Eng Văn Anh", "Ông Ích Ăn", "Đỗ Thị Ân", "Bùi Đạt",
    ]  # fmt: skip
