"""Rows from a workbook (.xlsx) or CSV files, with where each comes from (sheet/file, row)."""

import csv
from collections.abc import Iterable, Sequence
from pathlib import Path

from thidua.errors import Problem
from thidua.orgdata.columns import COLUMNS, CSV_FILES, HEADER_ALIASES, SHEETS, Row, plain_word
from thidua.vn import nfc


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return nfc(str(value))


def _header_key(kind: str, header: str) -> str | None:
    """The column a header names, read with or without diacritics ("Ma don vi")."""
    h = plain_word(header.replace("*", ""))
    for key, label, *_ in COLUMNS[kind]:
        if h in (key, plain_word(label)):
            return key
    return HEADER_ALIASES.get(h)


def _rows(kind: str, table: Iterable[Sequence[object]], where: str, problems: list[Problem]):
    """Rows of one sheet or CSV file as Row objects. A missing required column, an unknown
    column (a misspelt header would silently drop its data) or a repeated one is a problem."""
    it = _guarded(iter(table), where, problems)
    _, header = next(it, (1, None))
    if header is None:
        return []
    keys = [_header_key(kind, _cell(h)) for h in header]
    at = f"{where}, dòng 1"
    labels = ", ".join(c[1] for c in COLUMNS[kind])
    for h, key in zip(header, keys, strict=True):
        if _cell(h) and key is None:
            problems.append(Problem(_cell(h), f"cột không dùng được; các cột: {labels}", at))
    for key, label, required, *_ in COLUMNS[kind]:
        if required and key not in keys:
            problems.append(Problem(label, "thiếu cột bắt buộc", at))
        if keys.count(key) > 1:
            problems.append(Problem(label, "cột có hai lần", at))
    example = {c[0]: c[4] for c in COLUMNS[kind]}
    rows = []
    for n, raw in it:
        values = {c[0]: "" for c in COLUMNS[kind]}
        for key, v in zip(keys, raw, strict=False):
            if key:
                values[key] = _cell(v)
        if not any(values.values()) or values == example:  # blank, or the template's example
            continue
        rows.append(Row(kind, f"{where}, dòng {n}", values))
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


def read_rows(path: str | Path | list[Path]) -> tuple[list[Row], list[Problem]]:
    """Rows of a workbook (.xlsx), a folder of CSV files, or a list of CSV files."""
    problems: list[Problem] = []
    paths = [Path(p) for p in path] if isinstance(path, list) else [Path(path)]
    if len(paths) == 1 and paths[0].is_dir():
        paths = [paths[0] / f for f in CSV_FILES.values() if (paths[0] / f).exists()]
        if not paths:
            names = ", ".join(CSV_FILES.values())
            return [], [Problem("(tệp)", f"thư mục không có tệp nào trong: {names}", str(path))]
    rows: list[Row] = []
    for p in paths:
        if not p.exists():
            problems.append(Problem("(tệp)", "không tìm thấy tệp", str(p)))
        elif p.suffix.lower() == ".xlsx":
            rows += _read_xlsx(p, problems)
        elif p.suffix.lower() == ".csv":
            kind = next((k for k, f in CSV_FILES.items() if f == p.name.lower()), None)
            if kind is None:
                names = ", ".join(CSV_FILES.values())
                problems.append(Problem("(tệp)", f"tên tệp CSV phải là một trong: {names}", str(p)))
                continue
            rows += _read_csv(p, kind, problems)
        else:
            problems.append(Problem("(tệp)", "chỉ nhận tệp .xlsx hoặc .csv", str(p)))
    return rows, problems


def _read_xlsx(path: Path, problems: list[Problem]) -> list[Row]:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a file that is not a workbook
        problems.append(Problem("(tệp)", "không mở được tệp Excel (.xlsx)", str(path)))
        return []
    rows: list[Row] = []
    titles = {plain_word(t): t for t in wb.sheetnames}
    found = False
    for kind, title in SHEETS.items():
        if plain_word(title) in titles:
            found = True
            ws = wb[titles[plain_word(title)]]
            rows += _rows(kind, ws.iter_rows(values_only=True), f"Sheet '{title}'", problems)
    wb.close()
    if not found:
        names = ", ".join(f"'{t}'" for t in SHEETS.values())
        problems.append(Problem("(tệp)", f"không có sheet nào trong: {names}", str(path)))
    return rows


def _read_csv(path: Path, kind: str, problems: list[Problem]) -> list[Row]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        problems.append(Problem("(tệp)", "tệp CSV phải lưu dạng UTF-8", str(path)))
        return []
    first = text.splitlines()[0] if text else ""
    delimiter = max(",;\t", key=first.count)  # Excel in a Vietnamese locale writes ";"
    return _rows(kind, csv.reader(text.splitlines(), delimiter=delimiter), path.name, problems)
