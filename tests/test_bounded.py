"""Bounded parsing: YAML alias bombs and deep nesting refused before they are expanded, text
that is only invisible or carries control characters refused, digits that are not ASCII
refused, and every workbook error reported with its sheet and row — never a traceback."""

import time
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlmodel import Session, select
from typer.testing import CliRunner

from models import Unit
from models.db import engine_for
from tests.test_orgdata import BLOCKS, PEOPLE, UNITS, fill
from thidua.errors import InvalidInput
from thidua.notify.contacts import normalise_phone
from thidua.orgdata import import_org
from thidua.rules import load_rule_set
from thidua.spec_load import check_spec

ROOT = Path(__file__).resolve().parent.parent
MINIMAL = ROOT / "tests" / "data" / "spec" / "minimal.yaml"

BOMB = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [" + ",".join([f"*{chr(97 + i)}"] * 9) + "]\n" for i in range(8)
)
DEEP_FLOW = "title: " + "[" * 2000 + "]" * 2000 + "\n"
DEEP_BLOCK = "".join("  " * i + f"k{i}:\n" for i in range(900)) + "  " * 900 + "v\n"


@pytest.mark.parametrize(
    "text, reason",
    [(BOMB, "bung ra quá"), (DEEP_FLOW, "lồng nhau quá"), (DEEP_BLOCK, "lồng nhau quá")],
    ids=["alias-bomb", "2000-brackets", "900-levels"],
)
def test_spec_bombs_are_refused_in_under_a_second(tmp_path: Path, text: str, reason: str):
    from thidua.cli.spec import app

    path = tmp_path / "bom.yaml"
    path.write_text(text)
    t = time.perf_counter()
    problems = check_spec(path)
    assert time.perf_counter() - t < 1.0
    assert len(problems) == 1 and reason in problems[0].reason
    assert problems[0].where.startswith(f"{path}:")  # with the line
    out = CliRunner().invoke(app, ["check", str(path)])
    assert out.exit_code == 1 and reason in out.output and "Traceback" not in out.output


def test_a_rule_set_alias_bomb_is_refused(tmp_path: Path):
    path = tmp_path / "bom.yaml"
    path.write_text(BOMB)
    t = time.perf_counter()
    with pytest.raises(InvalidInput, match="Bộ quy tắc không đọc được") as e:
        load_rule_set(path)
    assert time.perf_counter() - t < 1.0
    assert "bung ra quá" in str(e.value) and "bom.yaml:" in str(e.value)


@pytest.mark.parametrize(
    "value, reason",
    [
        ("\u200b", "để trống"),  # stripped like spaces: nothing is left
        ("\u200b\u200c \ufeff", "để trống"),
        ("\u200b\u00ad\u200b", "vô hình"),  # a soft hyphen between: still nothing visible
        ("Kế hoạch\x00 thi đua", "điều khiển"),
        ("Kế hoạch \u202e thi đua", "đảo chiều"),
    ],
)
def test_invisible_or_control_text_in_a_spec_is_refused_naming_the_field(
    tmp_path: Path, value: str, reason: str
):
    text = MINIMAL.read_text("utf-8")
    assert "\ntitle:" in text
    lines = [
        f'title: "{value.encode("unicode_escape").decode()}"' if ln.startswith("title:") else ln
        for ln in text.splitlines()
    ]
    path = tmp_path / "spec.yaml"
    path.write_text("\n".join(lines) + "\n", "utf-8")
    problems = check_spec(path)
    assert any(p.field == "title" and reason in p.reason for p in problems), problems


def test_phones_take_ascii_digits_only():
    assert normalise_phone("0912 345 678") == "84912345678"
    for bad in ("09١٢٣٤٥٦٧٨", "０９１２３４５６７８", "0912345６78"):
        with pytest.raises(ValueError, match="không hợp lệ"):
            normalise_phone(bad)


def _units_count(s: Session) -> int:
    return s.exec(select(func.count()).select_from(Unit)).one()


@pytest.mark.parametrize(
    "headcount", ["²", "١٢", str(2**63), "1e30", "-3"], ids=["sup2", "arabic", "2^63", "exp", "neg"]
)
def test_a_headcount_that_is_not_plain_digits_is_a_row_error(
    sqlite_url: str, tmp_path: Path, headcount: str
):
    units = [list(u) for u in UNITS]
    units[1][6] = headcount
    path = fill(tmp_path / "org.xlsx", units=units)
    with Session(engine_for(sqlite_url)) as s:
        with pytest.raises(InvalidInput) as e:
            import_org(s, path, actor="t")
        (p,) = e.value.problems
        assert p.field == "Số người" and p.where == "Sheet 'Đơn vị', dòng 4"
        assert _units_count(s) == 0


def test_codes_lose_a_trailing_zero_width_space_and_refuse_one_inside(
    sqlite_url: str, tmp_path: Path
):
    units = [list(u) for u in UNITS]
    units[0][0] = "SCT\u200b"  # pasted: the same code as SCT
    path = fill(tmp_path / "org.xlsx", units=units)
    with Session(engine_for(sqlite_url)) as s:
        import_org(s, path, actor="t")
        assert "SCT" in set(s.exec(select(Unit.code)))
        s.rollback()
    units[0][0] = "S\u200bCT"
    people = [list(p) for p in PEOPLE]
    path = fill(tmp_path / "org2.xlsx", units=units, people=people)
    with Session(engine_for(sqlite_url)) as s, pytest.raises(InvalidInput) as e:
        import_org(s, path, actor="t")
    assert any(p.field == "Mã đơn vị" and "dòng 3" in p.where for p in e.value.problems)


def test_a_csv_cell_over_the_csv_limit_names_its_row(sqlite_url: str, tmp_path: Path):
    d = tmp_path / "csv"
    d.mkdir()
    (d / "units.csv").write_text(
        "code,name\nSCT,Sở Công Thương\nSCT-VP," + "x" * 200_000 + "\n", "utf-8"
    )
    with Session(engine_for(sqlite_url)) as s:
        with pytest.raises(InvalidInput) as e:
            import_org(s, d, actor="t")
        assert any(
            "131.072" in p.reason and p.where == "units.csv, dòng 3" for p in e.value.problems
        )
        assert _units_count(s) == 0


def test_a_sheet_whose_xml_is_cut_names_the_sheet_and_row(sqlite_url: str, tmp_path: Path):
    good = fill(tmp_path / "org.xlsx", units=UNITS * 1, blocks=BLOCKS, people=PEOPLE)
    bad = tmp_path / "hong.xlsx"
    with zipfile.ZipFile(good) as zin, zipfile.ZipFile(bad, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item)
            if item.filename == "xl/worksheets/sheet2.xml":  # 'Đơn vị'
                cut = data.index(b'<row r="4"')
                data = data[: cut + 12] + b"\x00garbage"
            zout.writestr(item, data)
    with Session(engine_for(sqlite_url)) as s:
        with pytest.raises(InvalidInput) as e:
            import_org(s, bad, actor="t")
        assert any(
            p.where.startswith("Sheet 'Đơn vị', dòng") and "tệp hỏng" in p.reason
            for p in e.value.problems
        ), e.value.problems
        assert _units_count(s) == 0


def test_an_authority_profile_with_an_alias_bomb_is_refused_before_expansion(tmp_path, monkeypatch):
    """An office edits the authority profiles too: the same bounds as specs and rule sets."""
    from thidua import authority

    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{c}: &{c} [{', '.join(['*' + p] * 10)}]\n"
        for p, c in zip("abcdefgh", "bcdefghi", strict=True)
    )
    (tmp_path / "bom.yaml").write_text(bomb, encoding="utf-8")
    monkeypatch.setattr(authority, "profiles_dir", lambda: tmp_path)
    started = time.monotonic()
    with pytest.raises(InvalidInput) as e:
        authority._load_profile(tmp_path / "bom.yaml")
    assert time.monotonic() - started < 1
    assert "không đọc được" in str(e.value)
