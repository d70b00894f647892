"""Workbooks an office fills in: a template (a guide sheet, then one sheet per kind of row with
a header row and a grey example row), and its rows read back with where each comes from —
sheet or CSV file, row — so that every problem names sheet, row and column.

The organisation import (thidua.orgdata) and the bulk steps (thidua.bulk_steps: reports,
scores, nominations) are both built on it."""

import csv
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from thidua.errors import Problem
from thidua.vn import nfc

# key, header, required, width, example
Column = tuple[str, str, bool, int, str]


@dataclass(frozen=True)
class Sheet:
    kind: str  # the rows' kind: "units", "reports"…
    title: str  # the sheet's name in the workbook
    columns: list[Column]
    csv_name: str | None = None  # the same rows as a CSV file, where offered
    aliases: dict[str, str] = field(default_factory=dict)  # plain header → key

    def label(self, key: str) -> str:
        return next(c[1] for c in self.columns if c[0] == key)


@dataclass
class Row:
    kind: str
    where: str  # "Sheet 'Đơn vị', dòng 7" | "units.csv, dòng 7"
    values: dict[str, str]  # each cell as text
    raw: dict[str, object] = field(default_factory=dict)  # as the workbook typed it: a number


def plain_word(text: str) -> str:
    """Lower case without diacritics: "Thủ trưởng" and "thu truong" read alike."""
    text = unicodedata.normalize("NFD", text.casefold().replace("đ", "d"))
    return " ".join("".join(c for c in text if not unicodedata.combining(c)).split())


# --- writing ---------------------------------------------------------------------------------


def write_workbook(
    path: str | Path,
    guide: list[str],
    sheets: list[Sheet],
    rows: dict[str, list[list[Any]]] | None = None,
) -> Path:
    """The workbook: the guide (its first line a title), then each sheet with its header row;
    with `rows`, the sheets of those kinds filled with them instead of the grey example row."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    first = wb.worksheets[0]  # a new workbook's one sheet
    first.title = "Hướng dẫn"
    first.column_dimensions["A"].width = 110
    for i, line in enumerate(guide, 1):
        cell = first.cell(row=i, column=1, value=line)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        cell.font = Font(bold=i == 1, size=13 if i == 1 else 11)
    fill = PatternFill("solid", fgColor="DDEBF7")
    for sheet in sheets:
        ws = wb.create_sheet(sheet.title)
        for col, (_key, header, required, width, example) in enumerate(sheet.columns, 1):
            h = ws.cell(row=1, column=col, value=f"{header} *" if required else header)
            h.font, h.fill = Font(bold=True), fill
            h.alignment = Alignment(wrap_text=True, vertical="top")
            ws.column_dimensions[get_column_letter(col)].width = width
            if rows is None or sheet.kind not in rows:
                ex = ws.cell(row=2, column=col, value=example)
                ex.font = Font(italic=True, color="808080")
                ex.number_format = "@"  # text: keeps the 0 of a phone number, the 001 of a code
        for row in (rows or {}).get(sheet.kind, []):
            ws.append(row)
        ws.freeze_panes = "A2"
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


# --- reading ---------------------------------------------------------------------------------


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return nfc(str(value))


def _header_key(sheet: Sheet, header: str) -> str | None:
    """The column a header names, read with or without diacritics ("Ma don vi")."""
    h = plain_word(header.replace("*", ""))
    for key, label, *_ in sheet.columns:
        if h in (plain_word(key), plain_word(label)):
            return key
    return sheet.aliases.get(h)


def _rows(sheet: Sheet, table: Iterable, where: str, problems: list[Problem]) -> list[Row]:
    """Rows of one sheet or CSV file. A missing required column, an unknown column (a misspelt
    header would silently drop its data) or a repeated one is a problem."""
    it = _guarded(iter(table), where, problems)
    _, header = next(it, (1, None))
    if header is None:
        return []
    keys = [_header_key(sheet, _cell(h)) for h in header]
    at = f"{where}, dòng 1"
    labels = ", ".join(c[1] for c in sheet.columns)
    for h, key in zip(header, keys, strict=True):
        if _cell(h) and key is None:
            problems.append(Problem(_cell(h), f"cột không dùng được; các cột: {labels}", at))
    for key, label, required, *_ in sheet.columns:
        if required and key not in keys:
            problems.append(Problem(label, "thiếu cột bắt buộc", at))
        if keys.count(key) > 1:
            problems.append(Problem(label, "cột có hai lần", at))
    example = {c[0]: c[4] for c in sheet.columns}
    rows = []
    for n, raw in it:
        values = {c[0]: "" for c in sheet.columns}
        typed: dict[str, object] = {}
        for key, v in zip(keys, raw, strict=False):
            if key:
                values[key], typed[key] = _cell(v), v
        if not any(values.values()) or values == example:  # blank, or the template's example
            continue
        rows.append(Row(sheet.kind, f"{where}, dòng {n}", values, typed))
    return rows


def _guarded(it, where: str, problems: list[Problem]):
    """(row number, cells) until the end, or until the file turns out unreadable half-way (a
    corrupt sheet, a CSV cell over the csv module's limit): that is one problem naming the row,
    not an exception."""
    n = 0
    while True:
        n += 1
        try:
            raw = next(it)
        except StopIteration:
            return
        except csv.Error as e:
            why = (
                "có ô dài quá 131.072 ký tự" if "field larger" in str(e) else f"sai dạng CSV ({e})"
            )
            problems.append(Problem("(dòng)", why, f"{where}, dòng {n}"))
            return
        except Exception as e:  # openpyxl and the XML parser raise many kinds
            why = f"tệp hỏng từ dòng này, không đọc tiếp được ({type(e).__name__})"
            problems.append(Problem("(sheet)", why, f"{where}, dòng {n}"))
            return
        yield n, raw


def read_workbook(
    path: str | Path | list[Path], sheets: list[Sheet]
) -> tuple[list[Row], list[Problem]]:
    """Rows of a workbook (.xlsx) with these sheets, a folder of their CSV files, or a list of
    CSV files; and every problem found reading them."""
    problems: list[Problem] = []
    paths = [Path(p) for p in path] if isinstance(path, list) else [Path(path)]
    csv_names = {s.csv_name: s for s in sheets if s.csv_name}
    if len(paths) == 1 and paths[0].is_dir():
        paths = [paths[0] / f for f in csv_names if (paths[0] / f).exists()]
        if not paths:
            names = ", ".join(csv_names)
            return [], [Problem("(tệp)", f"thư mục không có tệp nào trong: {names}", str(path))]
    rows: list[Row] = []
    for p in paths:
        if not p.exists():
            problems.append(Problem("(tệp)", "không tìm thấy tệp", str(p)))
        elif p.suffix.lower() == ".xlsx":
            rows += _read_xlsx(p, sheets, problems)
        elif p.suffix.lower() == ".csv" and csv_names:
            sheet = csv_names.get(p.name.lower())
            if sheet is None:
                names = ", ".join(csv_names)
                problems.append(Problem("(tệp)", f"tên tệp CSV phải là một trong: {names}", str(p)))
                continue
            rows += _read_csv(p, sheet, problems)
        else:
            wanted = "tệp .xlsx hoặc .csv" if csv_names else "tệp Excel .xlsx"
            problems.append(Problem("(tệp)", f"chỉ nhận {wanted}", str(p)))
    return rows, problems


def _read_xlsx(path: Path, sheets: list[Sheet], problems: list[Problem]) -> list[Row]:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a file that is not a workbook
        problems.append(Problem("(tệp)", "không mở được tệp Excel (.xlsx)", str(path)))
        return []
    rows: list[Row] = []
    titles = {plain_word(t): t for t in wb.sheetnames}
    found = False
    for sheet in sheets:
        if plain_word(sheet.title) in titles:
            found = True
            ws = wb[titles[plain_word(sheet.title)]]
            rows += _rows(sheet, ws.iter_rows(values_only=True), f"Sheet '{sheet.title}'", problems)
    wb.close()
    if not found:
        names = ", ".join(f"'{s.title}'" for s in sheets)
        problems.append(Problem("(tệp)", f"không có sheet nào trong: {names}", str(path)))
    return rows


def _read_csv(path: Path, sheet: Sheet, problems: list[Problem]) -> list[Row]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        problems.append(Problem("(tệp)", "tệp CSV phải lưu dạng UTF-8", str(path)))
        return []
    first = text.splitlines()[0] if text else ""
    delimiter = max(",;\t", key=first.count)  # Excel in a Vietnamese locale writes ";"
    return _rows(sheet, csv.reader(text.splitlines(), delimiter=delimiter), path.name, problems)
