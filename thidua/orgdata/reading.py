"""Rows from a workbook (.xlsx) or CSV files, with where each comes from (sheet/file, row)."""

from pathlib import Path

from thidua.errors import Problem
from thidua.orgdata.columns import ORG_SHEETS
from thidua.sheets import Row, read_workbook


def read_rows(path: str | Path | list[Path]) -> tuple[list[Row], list[Problem]]:
    """Rows of a workbook (.xlsx), a folder of CSV files, or a list of CSV files."""
    return read_workbook(path, ORG_SHEETS)
