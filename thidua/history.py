"""Award history: the titles and awards people and collectives received in past years.

Imported from an office's Excel workbook (all or nothing), written when a decision is made,
read by the consecutive-year rules and shown with each nomination.

Workbook format: any number of sheets, each with a header row holding the columns
  Loại (Cá nhân | Tập thể) · Mã (mã cán bộ hoặc mã đơn vị) · Năm · Danh hiệu (mã hoặc tên)
  · Số quyết định (không bắt buộc)
A row whose cells are all empty is skipped. A row already in the history is left as it is, so
re-importing the same workbook changes nothing.
"""

import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from sqlalchemy import tuple_
from sqlmodel import Session, col, select

from models import AwardHistory, Person, Unit
from thidua.errors import InvalidInput, NotFound, Problem, Problems
from thidua.lifecycle import audit
from thidua.rules.ruleset import KNOWN_TITLES, TITLE_SUBJECTS
from thidua.vn import nfc, today

COLUMNS = {
    "kind": ("loai", "doi tuong", "ca nhan/tap the"),
    "code": ("ma", "ma doi tuong", "ma can bo", "ma don vi"),
    "year": ("nam",),
    "title": ("danh hieu", "hinh thuc", "danh hieu/hinh thuc"),
    "decision_ref": ("so quyet dinh", "quyet dinh", "so qd"),
}
LABELS = {
    "kind": "Loại",
    "code": "Mã",
    "year": "Năm",
    "title": "Danh hiệu",
    "decision_ref": "Số quyết định",
}
SUBJECT_NAMES = {"individual": "cá nhân", "collective": "tập thể"}
KINDS = {"ca nhan": "individual", "tap the": "collective", "individual": "individual",
         "collective": "collective"}  # fmt: skip


def _fold(text: object) -> str:
    """Lower case without diacritics, for matching headers and names as people type them."""
    s = unicodedata.normalize("NFD", str(text or "").strip().lower()).replace("đ", "d")
    return " ".join("".join(ch for ch in s if not unicodedata.combining(ch)).split())


def _title_key(text: object) -> str:
    """A title as offices write it, reduced to compare: "Chiến sỹ thi đua cơ sở",
    "Danh hiệu Chiến sĩ thi đua cơ sở", "CSTĐCS" all give the same key."""
    f = _fold(text).replace("chien sy", "chien si").replace("uy ban nhan dan", "ubnd")
    f = f.removeprefix("danh hieu ").replace(" cua ", " ").replace("-", " ")
    return " ".join(f.split())


ALIASES = {
    "tap the ldtt": "TTLDTT", "tap the ldxs": "TTLDXS", "cstd co so": "CSTDCS",
    "chien si thi dua co so": "CSTDCS", "cstd tinh": "CSTD_TINH", "cstd cap tinh": "CSTD_TINH",
    "bang khen tinh": "BANG_KHEN_TINH", "bang khen ubnd tinh": "BANG_KHEN_TINH",
    "bang khen chu tich ubnd tinh": "BANG_KHEN_TINH", "co thi dua ubnd tinh": "CO_THI_DUA",
    "htxsnv": "HTXSNV", "httnv": "HTTNV",
}  # fmt: skip
TITLE_BY_NAME = (
    {_title_key(name): code for code, name in KNOWN_TITLES.items()}
    | {_title_key(code): code for code in KNOWN_TITLES}
    | ALIASES
)


@dataclass(frozen=True)
class AwardItem:
    """One award to record: subject "person:ID" or "unit:ID", year, title code."""

    subject_key: str
    year: int
    title: str
    decision_ref: str | None = None


def _ids(subject_key: str) -> tuple[int | None, int | None]:
    kind, _, raw = subject_key.partition(":")
    if kind not in {"person", "unit"} or not raw.isdigit():
        raise InvalidInput(
            "Đối tượng khen thưởng không hợp lệ",
            [Problem("subject_key", f"'{subject_key}' phải có dạng person:ID hoặc unit:ID")],
        )
    return (int(raw), None) if kind == "person" else (None, int(raw))


def record_awards(session: Session, items: Iterable[AwardItem | Mapping]) -> list[AwardHistory]:
    """Write the awards of a decision into the history (source "decision"), in the caller's
    transaction. An award already there (imported earlier, say) takes the decision's number."""
    wanted = [i if isinstance(i, AwardItem) else AwardItem(**dict(i)) for i in items]
    if not wanted:
        return []
    keys = sorted({(i.subject_key, i.year, i.title) for i in wanted})
    existing = {}
    for i in range(0, len(keys), 1000):  # stay under SQLite's bound-parameter limit
        columns = tuple_(AwardHistory.subject_key, AwardHistory.year, AwardHistory.title)
        for h in session.execute(
            select(AwardHistory).where(columns.in_(keys[i : i + 1000]))
        ).scalars():
            existing[(h.subject_key, h.year, h.title)] = h
    _check_subjects(session, [i.subject_key for i in wanted])
    out = []
    for item in wanted:
        if item.title not in KNOWN_TITLES:
            raise InvalidInput(f"Danh hiệu '{item.title}' không có trong danh mục")
        row = existing.get((item.subject_key, item.year, item.title))
        if row is None:
            person_id, unit_id = _ids(item.subject_key)
            row = AwardHistory(
                subject_key=item.subject_key,
                person_id=person_id,
                unit_id=unit_id,
                year=item.year,
                title=item.title,
                decision_ref=nfc(item.decision_ref),
                source="decision",
            )
            session.add(row)
            existing[(item.subject_key, item.year, item.title)] = row
        else:
            row.decision_ref = nfc(item.decision_ref) or row.decision_ref
            row.source = "decision"
        out.append(row)
    session.flush()
    return out


def _check_subjects(session: Session, keys: list[str]) -> None:
    """Every "person:ID" / "unit:ID" names someone in the database (refused, not a traceback)."""
    ids = [_ids(k) for k in keys]
    people = {p for p, _ in ids if p is not None}
    units = {u for _, u in ids if u is not None}
    known_people = set(
        session.execute(select(Person.id).where(col(Person.id).in_(people))).scalars()
    ) if people else set()  # fmt: skip
    known_units = set(
        session.execute(select(Unit.id).where(col(Unit.id).in_(units))).scalars()
    ) if units else set()  # fmt: skip
    missing = [f"person:{p}" for p in sorted(people - known_people)] + [
        f"unit:{u}" for u in sorted(units - known_units)
    ]
    if missing:
        raise InvalidInput(
            "Không ghi được lịch sử khen thưởng",
            [Problem("subject_key", f"không có đối tượng {k}") for k in missing],
        )


def history_for(session: Session, subject_keys: Iterable[str]) -> dict[str, list[AwardHistory]]:
    """Each subject's past titles and awards, oldest first (an empty list if none)."""
    keys = list(dict.fromkeys(subject_keys))
    out: dict[str, list[AwardHistory]] = {k: [] for k in keys}
    if not keys:
        return out
    for chunk in range(0, len(keys), 5000):  # stay under SQLite's bound-parameter limit
        rows = session.execute(
            select(AwardHistory)
            .where(col(AwardHistory.subject_key).in_(keys[chunk : chunk + 5000]))
            .order_by(col(AwardHistory.year), col(AwardHistory.title))
        ).scalars()
        for row in rows:
            out[row.subject_key].append(row)
    return out


def import_history(session: Session, path: str | Path, *, actor: str) -> int:
    """Read the workbook and add its rows to the history: all of them, or none with every row
    error listed (sheet, row, column, reason). Returns the number of rows added."""
    path = Path(path)
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except FileNotFoundError:
        raise NotFound(f"Không tìm thấy tệp {path}") from None
    except Exception as e:
        raise InvalidInput(f"Không đọc được tệp Excel {path.name}: {e}") from None
    persons = dict(session.execute(select(Person.code, Person.id)).all())
    units = dict(session.execute(select(Unit.code, Unit.id)).all())
    problems = Problems()
    rows: dict[tuple[str, int, str], dict] = {}
    max_year = today().year
    for ws in wb.worksheets:
        cells = ws.iter_rows(values_only=True)
        header = next(cells, None)
        if header is None:
            continue
        cols = _columns(header)
        missing = [LABELS[k] for k in ("kind", "code", "year", "title") if k not in cols]
        if missing:
            problems.add("tiêu đề", f"thiếu cột {', '.join(missing)}", f"Sheet {ws.title}, dòng 1")
            continue
        for r, values in enumerate(cells, start=2):
            if not any(v not in (None, "") for v in values):
                continue

            def cell(k: str, values=values, cols=cols) -> object:
                i = cols.get(k)
                return values[i] if i is not None and i < len(values) else None

            def err(k: str, reason: str, r=r, ws=ws, cols=cols) -> None:
                col = get_column_letter(cols[k] + 1)
                problems.add(f"cột {LABELS[k]} ({col})", reason, f"Sheet {ws.title}, dòng {r}")

            kind = KINDS.get(_fold(cell("kind")))
            if kind is None:
                err("kind", f"'{cell('kind') or ''}' phải là Cá nhân hoặc Tập thể")
            raw_code = cell("code")
            if isinstance(raw_code, float) and raw_code.is_integer():
                raw_code = int(raw_code)  # a numeric code that Excel stored as a number
            code = nfc(str(raw_code if raw_code is not None else ""))
            key = None
            if not code:
                err("code", "thiếu mã")
            elif kind == "individual":
                key = f"person:{persons[code]}" if code in persons else None
                if key is None:
                    err("code", f"không có cán bộ mã '{code}'")
            elif kind == "collective":
                key = f"unit:{units[code]}" if code in units else None
                if key is None:
                    err("code", f"không có đơn vị mã '{code}'")
            year = _year(cell("year"))
            if year is None or not 1945 <= year <= max_year:
                err("year", f"'{cell('year') or ''}' không phải là năm (1945–{max_year})")
            title = TITLE_BY_NAME.get(_title_key(cell("title")))
            if title is None:
                err("title", f"'{cell('title') or ''}' không phải là danh hiệu đã biết")
            if title and kind and kind not in TITLE_SUBJECTS[title]:
                err("title", f"{KNOWN_TITLES[title]} không dành cho {SUBJECT_NAMES[kind]}")
                continue
            if key is None or year is None or title is None:
                continue
            if (key, year, title) in rows:
                err("title", f"trùng với {rows[(key, year, title)]['where']}")
                continue
            ref = cell("decision_ref")
            rows[(key, year, title)] = {
                "where": f"Sheet {ws.title}, dòng {r}",
                "decision_ref": nfc(str(ref)) if ref not in (None, "") else None,
            }
    wb.close()
    problems.raise_if_any(f"Tệp {path.name} có lỗi, chưa nhập dòng nào")
    subjects = sorted({k for k, _, _ in rows})
    have: set[tuple] = set()
    for i in range(0, len(subjects), 5000):  # stay under SQLite's bound-parameter limit
        have.update(
            session.execute(
                select(AwardHistory.subject_key, AwardHistory.year, AwardHistory.title).where(
                    col(AwardHistory.subject_key).in_(subjects[i : i + 5000])
                )
            ).all()
        )
    new = [
        AwardHistory(
            subject_key=key,
            person_id=int(key[7:]) if key.startswith("person:") else None,
            unit_id=int(key[5:]) if key.startswith("unit:") else None,
            year=year,
            title=title,
            decision_ref=info["decision_ref"],
            source="import",
        )
        for (key, year, title), info in rows.items()
        if (key, year, title) not in have
    ]
    session.add_all(new)
    audit(
        session,
        actor=actor,
        entity="award_history",
        action="history.import",
        reason=path.name,
        data={"rows": len(rows), "added": len(new), "already_there": len(rows) - len(new)},
    )
    session.flush()
    return len(new)


def _columns(header: tuple) -> dict[str, int]:
    cols: dict[str, int] = {}
    for i, name in enumerate(header):
        folded = _fold(name)
        for key, names in COLUMNS.items():
            if folded in names and key not in cols:
                cols[key] = i
    return cols


def _year(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    text = str(value or "").strip()
    return int(text) if text.isdigit() else None
