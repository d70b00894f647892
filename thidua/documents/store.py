"""Issuing documents: number, render, store, record — once per key.

The key (movement, kind, subject_key, version) makes every stage re-runnable: issuing again
returns the recorded document with its number. Files go under the configured document store
(get_settings().document_dir) at a path fixed by the key, so a retried run overwrites its own
file and leaves no stray copies."""

import ctypes
import functools
import hashlib
import re
from datetime import date
from pathlib import Path
from typing import Any

from jinja2 import TemplateError, UndefinedError
from sqlalchemy import event, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, col, select

from models import IssuedDocument, Movement
from models.base import saved_id
from thidua import vn
from thidua.documents.kinds import ISSUED, Kind, get_kind
from thidua.documents.numbering import format_symbol, series_for, take_numbers
from thidua.documents.render import CompiledTemplate
from thidua.documents.templates import check_context, load_template, undefined_name
from thidua.errors import InvalidInput, Problem, ThiduaError
from thidua.files import sweep_folder, write_whole
from thidua.settings import get_settings

_CHUNK = 500


def document_path(doc: IssuedDocument, pdf: bool = False) -> Path:
    """Where an issued document (or its PDF) lies in the document store."""
    rel = doc.pdf_path if pdf else doc.path
    if rel is None:
        raise FileNotFoundError(f"{doc.title}: chưa có bản PDF")
    return Path(get_settings().document_dir) / rel


def _year(issued_on: date | str) -> int:
    return issued_on.year if isinstance(issued_on, date) else int(str(issued_on)[:4])


def date_line(place: str, issued_on: date | str) -> str:
    """ "Hà Nam, ngày 05 tháng 3 năm 2022"; without a place, the date alone."""
    if isinstance(issued_on, date):
        return vn.long_date(issued_on, place or None)
    return vn.partial_date(str(issued_on), place or None)


def _relpath(movement: Movement, kind: str, subject_key: str, version: int) -> str:
    stem = re.sub(r"[^0-9A-Za-z_.-]+", "-", subject_key).strip("-") or kind
    return f"{movement.code}/{kind}/{stem}-v{version}.docx"


def _find(session: Session, movement_id: int, kind: str, keys: list[str], version: int):
    found: dict[str, IssuedDocument] = {}
    for i in range(0, len(keys), _CHUNK):
        stmt = select(IssuedDocument).where(
            IssuedDocument.movement_id == movement_id,
            IssuedDocument.kind == kind,
            IssuedDocument.version == version,
            col(IssuedDocument.subject_key).in_(keys[i : i + _CHUNK]),
        )
        found.update({d.subject_key: d for d in session.exec(stmt)})
    return found


def _fixed_number(kind: Kind, movement: Movement) -> int | None:
    """A launch document already numbered by hand (Movement.doc_number) keeps its number."""
    if kind.name == "launch" and movement.doc_number and movement.doc_number.isdigit():
        return int(movement.doc_number)
    return None


def _number_taken(session: Session, movement: Movement, series: str, year: int, n: int) -> bool:
    stmt = select(IssuedDocument.id).where(
        IssuedDocument.agency == movement.agency_code,
        IssuedDocument.series == series,
        IssuedDocument.year == year,
        IssuedDocument.number == n,
    )
    return session.exec(stmt).first() is not None


def _raise_counter(session: Session, agency: str, series: str, year: int, n: int) -> None:
    session.execute(
        text(
            "INSERT INTO documentcounter (agency, series, year, last) VALUES (:a, :s, :y, :n)"
            " ON CONFLICT (agency, series, year) DO UPDATE SET last = CASE WHEN"
            " documentcounter.last < :n THEN :n ELSE documentcounter.last END"
        ),
        {"a": agency, "s": series, "y": year, "n": n},
    )


def _give_back(session: Session, agency: str, series: str, year: int, n: int) -> None:
    """Return numbers taken for documents someone else issued meanwhile. Safe: this
    transaction still holds the counter's row lock, so nobody took a number after ours."""
    session.execute(
        text(
            "UPDATE documentcounter SET last = last - :n"
            " WHERE agency = :a AND series = :s AND year = :y"
        ),
        {"a": agency, "s": series, "y": year, "n": n},
    )


def _render(tpl: CompiledTemplate, kind: str, context: dict[str, Any]) -> bytes:
    check_context(kind, context)
    try:
        return tpl.render(context)
    except UndefinedError as exc:
        name = undefined_name(str(exc))
        raise InvalidInput(
            f"Thiếu dữ liệu cho văn bản '{kind}': {name}",
            [Problem(name, "chưa có giá trị", tpl.path.name)],
        ) from None
    except TemplateError as exc:
        raise InvalidInput(
            f"Không điền được mẫu {tpl.path.name}",
            [Problem("template", str(exc), str(tpl.path))],
        ) from None


def _write_file(rel: str, data: bytes, *, swept: bool = False) -> None:
    """Write one document whole (temp file, then rename); `swept`: the caller already removed
    what killed writes left in its folder (a batch does it once, not once per file)."""
    from thidua.errors import os_reason

    try:
        write_whole(Path(get_settings().document_dir) / rel, data, swept=swept)
    except OSError as e:
        raise ThiduaError(
            f"Không ghi được văn bản {rel}: {os_reason(e)}. Chưa ghi gì; chạy lại giai đoạn sau "
            "khi khắc phục."
        ) from None


def _write_files(session: Session, made: list[tuple[bytes, IssuedDocument]]) -> None:
    """The batch's files, all or none: a write that fails removes those written before it, and
    so does a rollback of the transaction that was to record them (_forget_unrecorded)."""
    store = Path(get_settings().document_dir)
    written: list[Path] = []
    for folder in {(store / doc.path).parent for _, doc in made}:
        sweep_folder(folder)
    try:
        for data, doc in made:
            _write_file(doc.path, data, swept=True)
            written.append(store / doc.path)
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise
    session.info.setdefault(_UNRECORDED, []).extend(written)


_UNRECORDED = "thidua.documents.unrecorded"  # session.info: files whose rows are not committed


@event.listens_for(OrmSession, "after_commit")
def _recorded(session: OrmSession) -> None:
    if session.get_nested_transaction() is None:  # the transaction itself, not a savepoint
        session.info.pop(_UNRECORDED, None)


@event.listens_for(OrmSession, "after_rollback")
def _forget_unrecorded(session: OrmSession) -> None:
    """Files of new documents whose rows will not be committed: no file without its record.
    A savepoint's rollback keeps them (a document another run issued meanwhile has the path)."""
    if session.get_nested_transaction() is None:
        for path in session.info.pop(_UNRECORDED, []):
            path.unlink(missing_ok=True)


def _make(
    session: Session,
    movement: Movement,
    kind: Kind,
    tpl: CompiledTemplate,
    subject_key: str,
    version: int,
    context: dict[str, Any],
    number: int | None,
    series: str,
    year: int,
) -> tuple[bytes, IssuedDocument]:
    ctx = dict(context)
    ctx["number"] = number
    ctx["symbol"] = format_symbol(kind, movement, number)
    ctx["date_line"] = date_line(ctx.get("place") or movement.place, ctx["issued_on"])
    ctx["date_text"] = date_line("", ctx["issued_on"])
    data = _render(tpl, kind.name, ctx)
    rel = _relpath(movement, kind.name, subject_key, version)
    return data, IssuedDocument(
        movement_id=saved_id(movement),
        kind=kind.name,
        subject_key=subject_key,
        version=version,
        agency=movement.agency_code,
        series=series,
        year=year,
        number=number,
        symbol=ctx["symbol"] if number is not None else None,
        title=f"{kind.label}: {ctx['summary']}"[:500],
        content_hash=hashlib.sha256(data).hexdigest(),
        path=rel,
    )


def issue_document(
    session: Session,
    movement: Movement,
    kind: str,
    *,
    context: dict[str, Any],
    subject_key: str = "",
    version: int = 1,
) -> IssuedDocument:
    """Issue one document (idempotent by key): number it if its kind is numbered, render the
    template, store the .docx and record it. Re-running returns the same document."""
    docs = _issue(session, movement, kind, [(subject_key, context)], version)
    return docs[0]


def issue_documents(
    session: Session, movement: Movement, kind: str, items: list[tuple[str, dict[str, Any]]]
) -> list[IssuedDocument]:
    """Many documents of one kind (subject_key, context): one template load, one counter
    update for the whole batch, one bulk insert. Returned in the order of items."""
    return _issue(session, movement, kind, items, 1)


def _issue(
    session: Session,
    movement: Movement,
    kind_name: str,
    items: list[tuple[str, dict[str, Any]]],
    version: int,
) -> list[IssuedDocument]:
    kind = get_kind(kind_name)
    keys = [k for k, _ in items]
    if len(set(keys)) != len(keys):
        raise InvalidInput(
            "Trùng khóa văn bản trong cùng một lần phát hành",
            [Problem("subject_key", "mỗi văn bản một khóa riêng")],
        )
    found = _find(session, saved_id(movement), kind.name, keys, version)
    todo = [(k, c) for k, c in items if k not in found]
    if todo:
        tpl = load_template(kind.name, movement.doc_kind)
        try:
            if session.get_bind().dialect.name == "postgresql":
                # A savepoint, so that losing a race to the same key gives the number back.
                with session.begin_nested():
                    _issue_new(session, movement, kind, tpl, todo, version, found)
            else:  # SQLite serialises writers; pysqlite's savepoints would commit early
                _issue_new(session, movement, kind, tpl, todo, version, found)
        except IntegrityError:
            if session.get_bind().dialect.name != "postgresql":
                raise
            found.update(_find(session, saved_id(movement), kind.name, keys, version))
            missing = [k for k in keys if k not in found]
            if missing:
                raise
        trim_heap()  # the batch's trees and bytes are freed by now
    return [found[k] for k in keys]


@functools.cache
def _malloc_trim():
    try:
        return ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):  # not glibc (musl, macOS): nothing to give back this way
        return None


def trim_heap() -> None:
    """Give back to the OS the heap a batch of documents grew. A big document's XML tree and a
    batch's bytes are freed in many small blocks that glibc keeps for later: after the
    appraisal's achievement reports the process held ~750 MB it no longer used, which the
    decision and the close then added their own peaks to."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


def _issue_new(session, movement, kind, tpl, todo, version, found) -> None:
    series = series_for(kind, movement)
    for _key, ctx in todo:  # refuse an incomplete context before taking any number
        check_context(kind.name, {**ctx, **dict.fromkeys(ISSUED)})
    by_year: dict[int, list[tuple[str, dict]]] = {}
    for key, ctx in todo:
        by_year.setdefault(_year(ctx.get("issued_on") or movement.year), []).append((key, ctx))
    made: list[tuple[bytes, IssuedDocument]] = []
    for year, group in by_year.items():
        numbers: list[int | None] = [None] * len(group)
        fixed = _fixed_number(kind, movement)
        if fixed is not None and _number_taken(session, movement, series, year, fixed):
            fixed = None  # a later version of a hand-numbered letter is a new document
        if kind.numbered and fixed is not None:
            _raise_counter(session, movement.agency_code, series, year, fixed)
            numbers = [fixed] * len(group)
        elif kind.numbered:
            last = take_numbers(
                session, agency=movement.agency_code, series=series, year=year, count=len(group)
            )
            # Under the counter's lock: did another run issue some of these meanwhile?
            late = _find(session, movement.id, kind.name, [k for k, _ in group], version)
            if late:
                found.update(late)
                _give_back(session, movement.agency_code, series, year, len(late))
                last -= len(late)
                group = [(k, c) for k, c in group if k not in late]
            numbers = list(range(last - len(group) + 1, last + 1))
        try:
            for (key, ctx), number in zip(group, numbers, strict=True):
                made.append(
                    _make(session, movement, kind, tpl, key, version, ctx, number, series, year)
                )
        except Exception:
            if kind.numbered and fixed is None and group:
                # still under the counter's lock: the numbers go back, leaving no gap
                _give_back(session, movement.agency_code, series, year, len(group))
            raise
    # Files only once every document has rendered: a refused context leaves no partial batch.
    _write_files(session, made)
    new = [doc for _, doc in made]
    session.add_all(new)
    session.flush()
    found.update({d.subject_key: d for d in new})
