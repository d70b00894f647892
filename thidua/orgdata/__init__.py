"""The organisation from a spreadsheet: units (a tree of any depth), emulation blocks, people.

An office fills `write_template`'s workbook (sheets "Đơn vị", "Khối thi đua", "Cán bộ") or
three CSV files in one folder — units.csv, blocks.csv, people.csv, UTF-8 with or without BOM,
the same column headers as the sheets (or the English keys in COLUMNS) — and runs
`import_org`. Rows are matched by code: a known code is updated, a new one added; units and
people absent from the file are left as they are. Everything is checked first and every row
error reported at once; nothing is written unless the whole file is right.
"""

from thidua.orgdata.columns import (
    COLUMNS,
    CSV_FILES,
    ROLES,
    SHEETS,
    ImportSummary,
    normalise_phone,
    parse_roles,
)
from thidua.orgdata.importing import import_org
from thidua.orgdata.reading import read_rows
from thidua.orgdata.workbook import export_org, write_template
from thidua.sheets import Row

__all__ = [
    "COLUMNS",
    "CSV_FILES",
    "ROLES",
    "SHEETS",
    "ImportSummary",
    "Row",
    "export_org",
    "import_org",
    "normalise_phone",
    "parse_roles",
    "read_rows",
    "write_template",
]
