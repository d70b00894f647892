"""Document numbers: one counter per agency, series and year, taken atomically.

INSERT … ON CONFLICT DO UPDATE … RETURNING is one statement that both SQLite (≥ 3.35) and
PostgreSQL run atomically: the row lock it takes is held until the caller's transaction ends,
so two transactions never get the same number, and a rolled-back one gives its number back."""

from sqlalchemy import text
from sqlmodel import Session

from models import Movement
from thidua.documents.kinds import LAUNCH_SERIES, Kind

_TAKE = text(
    "INSERT INTO documentcounter (agency, series, year, last) VALUES (:agency, :series, :year, :n)"
    " ON CONFLICT (agency, series, year)"
    " DO UPDATE SET last = documentcounter.last + :n RETURNING last"
)


def take_numbers(session: Session, *, agency: str, series: str, year: int, count: int) -> int:
    """Reserve `count` consecutive numbers; returns the last (the first is last - count + 1)."""
    if count < 1:
        raise ValueError("count must be at least 1")
    params = {"agency": agency, "series": series, "year": year, "n": count}
    return int(session.execute(_TAKE, params).scalar_one())


def next_number(session: Session, *, agency: str, series: str, year: int) -> int:
    """The next number of a series for an agency in a year (1 on the first use each year)."""
    return take_numbers(session, agency=agency, series=series, year=year, count=1)


def series_for(kind: Kind, movement: Movement) -> str:
    """The counter's series: the type code (KH, BC, TTr, QĐ, BB-HĐTĐKT…), or the kind's name
    for documents that carry no number."""
    if kind.name == "launch":
        return LAUNCH_SERIES.get(movement.doc_kind, "KH")
    return kind.series or kind.name


def format_symbol(kind: Kind, movement: Movement, number: int | None) -> str:
    """ "05/KH-SCT", a công văn "1888/SCT-VP", minutes "03/BB-HĐTĐKT"; numbers below 10
    take a leading zero. Without a number the space is left for the clerk: "     /BC-SCT"."""
    n = f"{number:02d}" if number is not None else "      "
    if kind.name == "launch":
        series = series_for(kind, movement)
        tail = movement.doc_symbol or f"{series}-{movement.agency_code}"
        return f"{n}/{tail}"
    if kind.series == "BB-HĐTĐKT":
        return f"{n}/BB-HĐTĐKT"
    return f"{n}/{kind.series or 'BC'}-{movement.agency_code}"
