"""Reports, scores and nominations in bulk, from the workbooks offices work in: a template to
fill (one row per unit, or per dossier), and an import that takes the whole file or nothing.

An import is the same steps as the portal's, row by row, in one unit of work: the actor's right
is checked for each row's unit (thidua.access), each row goes through the same domain function
(thidua.submissions, scoring, dossiers) and is audited as that step is. Every problem of every
row is collected — sheet, row, column and a Vietnamese reason — and if there is any, nothing is
written. A row that repeats what is stored changes nothing and is counted as such."""

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from models import (
    Block,
    Criterion,
    Movement,
    Participant,
    PeriodReport,
    Person,
    Score,
    Target,
    TargetResult,
    Unit,
)
from models.base import saved_id
from models.db import session_scope
from thidua import access, dossiers, scoring, submissions
from thidua.errors import Forbidden, InvalidInput, NotFound, Problem, TransitionRefused
from thidua.lifecycle import State, period_count, period_phrase, require_state
from thidua.movements import find_movement
from thidua.rules.engine import rule_set_for
from thidua.sheets import Column, Row, Sheet, plain_word, read_workbook, write_workbook
from thidua.steps import held_movement, unit_of_work
from thidua.vn import nfc, number

REPORTS, SCORES, NOMINATIONS = "Báo cáo", "Chấm điểm", "Hồ sơ đề nghị"
UNIT: Column = ("unit", "Mã đơn vị", True, 14, "SCT-VP")
UNIT_NAME: Column = ("unit_name", "Tên đơn vị", False, 36, "")  # to read by; not imported
KINDS = {  # how a workbook says who scored
    "self": ("tự chấm", "đơn vị tự chấm"),
    "leader": ("khối trưởng", "khối trưởng chấm", "trưởng khối"),
    "council": ("hội đồng", "hội đồng chấm"),
}
_KIND_WORDS = {plain_word(w): k for k, words in KINDS.items() for w in (k, *words)}


@dataclass(frozen=True)
class Imported:
    """What an import did."""

    message: str
    written: int  # rows that changed something
    unchanged: int  # rows that repeated what was stored

    def __str__(self) -> str:
        return self.message


# --- reading a workbook's rows through the steps ---------------------------------------------


def _text(value: object) -> str:
    """A cell as text a Vietnamese reader parses: a number the workbook typed keeps its decimal
    comma ("12,5"), not Python's point."""
    if isinstance(value, bool):
        return "có" if value else "không"
    if isinstance(value, int | float | Decimal):
        d = Decimal(str(value))
        return format(d.normalize() if d == d.to_integral() else d, "f").replace(".", ",")
    return "" if value is None else nfc(str(value)).strip()


def _number(row: Row, key: str) -> Decimal | str:
    """A figure as the workbook has it: its number, or its text (Vietnamese form)."""
    value = row.raw.get(key)
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return Decimal(str(value))
    return row.values.get(key, "")


def _each(
    s: Session,
    rows: list[Row],
    do: Callable[[Row], None],
    column: Callable[[Row, str], str],
) -> tuple[list[Problem], int]:
    """Run `do` for each row in its own savepoint: a row refused is undone and its problems
    kept, each named by the row and the column (`column` maps a domain field to the column's
    header); the others go on, so that every problem is found at once. Returns the problems
    and how many rows changed something (wrote an audit)."""
    problems: list[Problem] = []
    written = 0
    for row in rows:
        before = s.info.get("audited", 0)
        savepoint = s.begin_nested()
        try:
            do(row)
        except InvalidInput as e:
            savepoint.rollback()
            found = [Problem(column(row, p.field), p.reason, row.where) for p in e.problems]
            problems += found or [Problem("(dòng)", e.message, row.where)]
            continue
        except (Forbidden, NotFound, TransitionRefused) as e:
            savepoint.rollback()
            problems.append(Problem("(dòng)", e.message, row.where))
            continue
        savepoint.commit()
        written += s.info.get("audited", 0) > before
    return problems, written


def _unit(s: Session, m: Movement, row: Row, label: str, key: str = "unit") -> Unit:
    code = row.values.get(key, "").strip()
    unit = s.exec(select(Unit).where(Unit.code == code)).first() if code else None
    if unit is None:
        why = "chưa ghi mã đơn vị" if not code else f"không có đơn vị mã '{code}'"
        raise InvalidInput("Dòng không hợp lệ", [Problem(label, why)])
    return unit


def _repeated(rows: list[Row], key: Callable[[Row], object], what: str, column: str):
    """A problem for each row repeating an earlier row's key (the later would silently win)."""
    seen: dict[object, Row] = {}
    for row in rows:
        k = key(row)
        if k in seen:
            where = seen[k].where.rsplit(", ", 1)[-1]
            yield Problem(column, f"{what} đã có ở {where}", row.where)
        else:
            seen[k] = row


def _finish(
    rows: list[Row], problems: list[Problem], written: int, what: str, path: Path
) -> Imported:
    if problems:
        raise InvalidInput(f"Tệp {path.name} có {len(problems)} lỗi, chưa ghi gì", problems)
    unchanged = len(rows) - written
    same = f" ({unchanged} dòng không thay đổi so với đã ghi)" if unchanged else ""
    return Imported(f"Đã nhập {written} {what}{same}.", written, unchanged)


def _read(path: Path, sheets: list[Sheet]) -> list[Row]:
    rows, problems = read_workbook(path, sheets)
    if not rows and not problems:
        problems.append(
            Problem("(tệp)", "không có dòng dữ liệu nào (ngoài dòng tiêu đề)", str(path))
        )
    if problems:
        raise InvalidInput(f"Tệp {Path(path).name} có {len(problems)} lỗi, chưa ghi gì", problems)
    return rows


def _participants(s: Session, m: Movement) -> list[Unit]:
    return list(
        s.exec(
            select(Unit)
            .join(Participant, col(Participant.unit_id) == col(Unit.id))
            .where(Participant.movement_id == m.id)
            .order_by(col(Unit.code))
        )
    )


# --- period reports --------------------------------------------------------------------------


def _report_sheet(targets: list[Target]) -> Sheet:
    columns: list[Column] = [UNIT, UNIT_NAME]
    for t in targets:
        header = f"{t.label} ({t.unit})" if t.unit else t.label
        columns.append((f"v:{t.code}", header, False, 18, ""))
    for t in targets:
        if t.growth_pct is not None:
            columns.append((f"g:{t.code}", f"Tăng trưởng (%) — {t.label}", False, 16, ""))
    columns.append(("summary", "Tóm tắt kết quả", False, 50, ""))
    return Sheet("reports", REPORTS, columns)


def _targets(s: Session, m: Movement) -> list[Target]:
    return list(s.exec(select(Target).where(Target.movement_id == m.id).order_by(col(Target.seq))))


def report_template(code: str, path: Path, *, period: int) -> Path:
    """A workbook of the period's reports: one row per unit taking part, with what it has
    reported so far, a column per target (and its growth where the directive set one)."""
    with session_scope() as s:
        m = find_movement(s, code)
        phrase = period_phrase(s, m, period)
        targets = _targets(s, m)
        sheet = _report_sheet(targets)
        reports = {
            r.unit_id: r
            for r in s.exec(
                select(PeriodReport).where(
                    PeriodReport.movement_id == m.id, PeriodReport.period_number == period
                )
            )
        }
        values: dict[tuple[int, int], TargetResult] = {
            (r.report_id, r.target_id): r
            for r in s.exec(
                select(TargetResult).where(
                    col(TargetResult.report_id).in_([saved_id(r) for r in reports.values()])
                )
            )
        }
        rows: list[list[Any]] = []
        for u in _participants(s, m):
            rep = reports.get(saved_id(u))
            got = [values.get((saved_id(rep), saved_id(t))) if rep else None for t in targets]
            growth = [g for g, t in zip(got, targets, strict=True) if t.growth_pct is not None]
            rows.append(
                [u.code, u.name, *(g.value if g else None for g in got),
                 *(g.growth_pct if g else None for g in growth), rep.summary if rep else None]
            )  # fmt: skip
    guide = [
        f"BÁO CÁO KẾT QUẢ {phrase.upper()} — {m.title}",
        "",
        "1. Mỗi đơn vị một dòng (đã điền sẵn mã và tên các đơn vị tham gia). Điền số liệu thực "
        "hiện của từng chỉ tiêu; ô để trống là chưa báo cáo chỉ tiêu đó.",
        "2. Số viết như trong Excel (ô kiểu số), hoặc kiểu Việt Nam: dấu chấm ngăn hàng nghìn, "
        "dấu phẩy trước phần thập phân (ví dụ 1.234,5).",
        "3. Cột 'Tăng trưởng (%)' chỉ có ở chỉ tiêu đặt mức tăng trưởng: ghi phần trăm so với "
        "năm gốc, âm nếu giảm.",
        "4. Dòng không có số liệu nào được bỏ qua. Nhập lại tệp sẽ thay số liệu đã nộp của đơn vị "
        "(khi đợt còn nhận báo cáo hoặc báo cáo bị trả lại).",
        "5. Nếu có lỗi, không dữ liệu nào được ghi; chương trình liệt kê mọi lỗi (sheet, dòng, "
        "cột, lý do) để sửa một lần.",
        "",
        f"Lệnh: thidua report import {code} <tệp.xlsx> --period {period} --by <người nhập>",
    ]
    return write_workbook(path, guide, [sheet], {"reports": rows})


def import_reports(code: str, path: Path, *, period: int, actor: str) -> Imported:
    """Every unit's report for the period from the workbook: all or nothing."""
    with unit_of_work() as s:
        m = held_movement(s, code)
        who = access.actor(s, actor)
        phrase = period_phrase(s, m, period)
        require_state(s, m, submissions.REPORT_STATES.get(period, frozenset()),
                      f"nộp báo cáo {phrase}")  # fmt: skip
        targets = _targets(s, m)
        sheet = _report_sheet(targets)
        rows = [
            r for r in _read(path, [sheet])
            if any(v for k, v in r.values.items() if k not in ("unit", "unit_name"))
        ]  # fmt: skip
        header = {submissions.target_field(t): sheet.label(f"v:{t.code}") for t in targets}
        header |= {
            submissions.growth_field(t): sheet.label(f"g:{t.code}")
            for t in targets
            if t.growth_pct is not None
        }
        header["Tóm tắt kết quả"] = sheet.label("summary")

        def one(row: Row) -> None:
            u = _unit(s, m, row, UNIT[1])
            access.for_unit(s, who, saved_id(u), f"nộp báo cáo {phrase}", m)
            values = {t.code: _number(row, f"v:{t.code}") for t in targets
                      if row.values.get(f"v:{t.code}")}  # fmt: skip
            growth = {t.code: _number(row, f"g:{t.code}") for t in targets
                      if row.values.get(f"g:{t.code}")}  # fmt: skip
            submissions.submit_period_report(
                s, movement=m, unit_id=saved_id(u), period_number=period, values=values,
                actor=who.name, summary=row.values.get("summary", ""), growth=growth,
            )  # fmt: skip

        repeated = list(_repeated(rows, lambda r: r.values["unit"], "đơn vị", UNIT[1]))
        problems, written = _each(s, rows, one, lambda _r, f: header.get(f, f))
        done = _finish(rows, repeated + problems, written, f"báo cáo {phrase}", Path(path))
    return done


# --- block scores ----------------------------------------------------------------------------


def _score_sheets(s: Session, m: Movement) -> list[tuple[Sheet, list[Criterion], list[Unit]]]:
    """One sheet per criteria table in force: the block's own, or the table of every block,
    with the units it scores."""
    tables = scoring.current_tables(s, saved_id(m))
    units = _participants(s, m)
    by_table: dict[int, list[Unit]] = {}
    for u in units:
        t = scoring.table_for(tables, scoring.block_of(s, saved_id(m), saved_id(u)))
        if t is not None:
            by_table.setdefault(saved_id(t), []).append(u)
    out = []
    for t in sorted(tables.values(), key=lambda t: (t.block_id is not None, t.id)):
        if t.id not in by_table:
            continue
        criteria = list(
            s.exec(select(Criterion).where(Criterion.table_id == t.id).order_by(col(Criterion.seq)))
        )
        block = s.get(Block, t.block_id) if t.block_id is not None else None
        title = f"{SCORES} {block.code}"[:31] if block else SCORES
        columns: list[Column] = [UNIT, UNIT_NAME, ("kind", "Người chấm", False, 14, "tự chấm")]
        for c in criteria:
            header = f"{c.code}. {c.text} (tối đa {number(c.max_points, 2)})"
            columns.append((c.code, header, False, 22, ""))
        out.append((Sheet(f"scores:{t.id}", title, columns), criteria, by_table[t.id]))
    return out


def score_template(code: str, path: Path) -> Path:
    """A workbook of block scores: a sheet per criteria table, one row per unit it scores with
    the unit's own points so far; a block leader or the council adds rows of its own."""
    with session_scope() as s:
        m = find_movement(s, code)
        sheets = _score_sheets(s, m)
        if not sheets:
            raise TransitionRefused(f"Phong trào {m.code} chưa có bảng tiêu chí chấm điểm.")
        own: dict[tuple[int | None, int | None], Decimal] = {
            (sc.unit_id, sc.criterion_id): sc.points
            for sc in s.exec(
                select(Score).where(Score.movement_id == m.id, Score.scorer_kind == "self")
            )
        }
        rows = {
            sheet.kind: [
                [u.code, u.name, "tự chấm", *(own.get((u.id, c.id)) for c in criteria)]
                for u in units
            ]
            for sheet, criteria, units in sheets
        }
    guide = [
        f"CHẤM ĐIỂM THI ĐUA THEO BẢNG TIÊU CHÍ — {m.title}",
        "",
        "1. Mỗi bảng tiêu chí một sheet; mỗi đơn vị một dòng, đã điền sẵn điểm tự chấm hiện có.",
        "2. Cột 'Người chấm': tự chấm, khối trưởng hoặc hội đồng (để trống là tự chấm). Khối "
        "trưởng, Hội đồng chấm thì thêm dòng mới cho đơn vị với người chấm tương ứng.",
        "3. Điểm từ 0 đến điểm tối đa của tiêu chí, tối đa 2 chữ số thập phân.",
        "4. Dòng không có điểm nào được bỏ qua. Nhập lại tệp sẽ sửa điểm đã ghi (trước khi tổng "
        "kết).",
        "5. Nếu có lỗi, không dữ liệu nào được ghi; chương trình liệt kê mọi lỗi để sửa một lần.",
        "",
        f"Lệnh: thidua score import {code} <tệp.xlsx> --by <người nhập>",
    ]
    return write_workbook(path, guide, [sh for sh, _c, _u in sheets], rows)


def import_scores(code: str, path: Path, *, actor: str) -> Imported:
    """Block scores from the workbook: every sheet, every row, all or nothing."""
    with unit_of_work() as s:
        m = held_movement(s, code)
        who = access.actor(s, actor)
        require_state(s, m, scoring.SCORING_STATES, "ghi điểm chấm")
        sheets = _score_sheets(s, m)
        if not sheets:
            raise TransitionRefused(f"Phong trào {m.code} chưa có bảng tiêu chí chấm điểm.")
        by_kind = {sh.kind: (sh, criteria) for sh, criteria, _u in sheets}
        rows = [
            r for r in _read(path, [sh for sh, _c, _u in sheets])
            if any(r.values.get(c.code) for c in by_kind[r.kind][1])
        ]  # fmt: skip

        def kind_of(row: Row) -> str:
            word = plain_word(row.values.get("kind", ""))
            if not word:
                return "self"
            if word not in _KIND_WORDS:
                known = ", ".join(words[0] for words in KINDS.values())
                why = f"'{row.values['kind']}' không có (có: {known})"
                raise InvalidInput("Dòng không hợp lệ", [Problem("Người chấm", why)])
            return _KIND_WORDS[word]

        def one(row: Row) -> None:
            u = _unit(s, m, row, UNIT[1])
            kind = kind_of(row)
            if kind == "self":
                access.for_unit(s, who, saved_id(u), "tự chấm điểm", m)
            elif kind == "leader":
                access.block_leader(s, who, scoring.block_of(s, saved_id(m), saved_id(u)), u.name)
            else:
                access.council_scorer(who)
            criteria = by_kind[row.kind][1]
            points = {c.code: _number(row, c.code) for c in criteria if row.values.get(c.code)}
            scoring.submit_scores(s, movement=m, unit_id=saved_id(u), scorer_kind=kind,
                                  points=points, actor=who.name)  # fmt: skip

        def column(row: Row, field: str) -> str:
            sheet = by_kind[row.kind][0]
            code = field.removeprefix("tiêu chí ")
            return sheet.label(code) if any(c[0] == code for c in sheet.columns) else field

        def key(row: Row) -> object:
            try:
                return (row.values["unit"], kind_of(row))
            except InvalidInput:
                return (row.values["unit"], row.values.get("kind"))

        repeated = list(_repeated(rows, key, "đơn vị và người chấm", UNIT[1]))
        problems, written = _each(s, rows, one, column)
        done = _finish(rows, repeated + problems, written, "bảng điểm", Path(path))
    return done


# --- nominations -----------------------------------------------------------------------------


def _nomination_sheet(m: Movement) -> Sheet:
    rs = rule_set_for(m)
    columns: list[Column] = [
        ("unit", "Mã đơn vị đề nghị", True, 16, "SCT-VP"),
        ("title", "Danh hiệu", True, 26, "Lao động tiên tiến"),
        ("person", "Mã cán bộ (đề nghị cá nhân)", False, 16, "CB0001"),
        ("collective", "Mã đơn vị (đề nghị tập thể)", False, 16, ""),
        ("priority", "Thứ tự ưu tiên", False, 10, ""),
        ("achievement", "Tóm tắt thành tích", False, 50, "Hoàn thành xuất sắc nhiệm vụ"),
    ]
    for f in rs.facts.values():
        if f.type not in dossiers.TEXT_FACT_TYPES:
            continue
        if f.type == "initiatives":
            for level, label in f.values.items():
                columns.append((f"{f.key}:{level}", f"{f.label} {label} (số lượng)", False, 14,
                                ""))  # fmt: skip
        else:
            example = next(iter(f.values.values()), "") if f.type == "enum" else ""
            columns.append(
                (f.key, f.label, False, 22, example if f.subject != "collective" else "")
            )
    return Sheet("nominations", NOMINATIONS, columns)


def nomination_template(code: str, path: Path) -> Path:
    """A workbook of dossiers to fill: one row per dossier, a column per fact the rule set
    checks; the guide lists the titles and the values each fact takes."""
    with session_scope() as s:
        m = find_movement(s, code)
        sheet = _nomination_sheet(m)
    rs = rule_set_for(m)
    whom = {"individual": "cá nhân", "collective": "tập thể", "both": "cá nhân, tập thể"}
    titles = [f"   {t.code}: {t.name} ({whom[t.subject]})" for t in rs.titles.values()]
    choices = [f"   {f.label}: {', '.join(f.values.values())}"
               for f in rs.facts.values() if f.type == "enum"]  # fmt: skip
    guide = [
        f"HỒ SƠ ĐỀ NGHỊ KHEN THƯỞNG — {m.title}",
        "",
        "1. Mỗi hồ sơ một dòng: mã đơn vị đề nghị, danh hiệu (mã hoặc tên), và mã cán bộ (đề nghị "
        "cá nhân) hoặc mã đơn vị được đề nghị (đề nghị tập thể) — chỉ một trong hai.",
        "2. Dòng 2 là ví dụ (chữ nghiêng màu xám): ghi đè hoặc xóa đi.",
        "3. Các cột thông tin xét tiêu chuẩn: bỏ trống nếu không có; cột có/không ghi 'có' hoặc "
        "để trống (là 'không').",
        "4. Nhập lại một dòng giống hệt hồ sơ đã gửi không ghi thêm gì.",
        "5. Nếu có lỗi, không dữ liệu nào được ghi; chương trình liệt kê mọi lỗi để sửa một lần.",
        "",
        "Danh hiệu:",
        *titles,
        "Giá trị các cột chọn:",
        *choices,
        "",
        f"Lệnh: thidua dossier import {code} <tệp.xlsx> --by <người nhập>",
    ]
    return write_workbook(path, guide, [sheet])


def import_nominations(code: str, path: Path, *, actor: str) -> Imported:
    """Dossiers from the workbook, each as the portal's nomination step: all or nothing."""
    with unit_of_work() as s:
        m = held_movement(s, code)
        who = access.actor(s, actor)
        require_state(s, m, dossiers.NOMINATION_STATES, "gửi hồ sơ đề nghị khen thưởng")
        rs = rule_set_for(m)
        sheet = _nomination_sheet(m)
        rows = _read(path, [sheet])
        by_name = {plain_word(t.name): t.code for t in rs.titles.values()}
        fields = {"Danh hiệu": "title", "Cá nhân": "person", "Tập thể": "collective",
                  "Thứ tự ưu tiên": "priority", "Tóm tắt thành tích": "achievement",
                  "Đối tượng": "person"}  # fmt: skip
        labels = {f.label: f.key for f in rs.facts.values()}

        def column(_row: Row, field: str) -> str:
            key = fields.get(field) or labels.get(field)
            return sheet.label(key) if key else field

        def one(row: Row) -> None:
            v = row.values
            u = _unit(s, m, row, "Mã đơn vị đề nghị")
            access.for_unit(s, who, saved_id(u), "gửi hồ sơ đề nghị khen thưởng", m)
            person = collective = None
            if v["person"]:
                person = s.exec(select(Person.id).where(Person.code == v["person"])).first()
                if person is None:
                    why = f"không có cán bộ mã '{v['person']}'"
                    raise InvalidInput("Dòng không hợp lệ", [Problem("Cá nhân", why)])
            if v["collective"]:
                collective = _unit(s, m, row, "Tập thể", "collective").id
            priority = None
            if v["priority"]:
                text = _text(row.raw.get("priority"))
                if not (text.isascii() and text.isdigit() and len(text) <= 4):
                    why = f"phải là số nguyên từ 1 trở lên, không phải '{v['priority']}'"
                    raise InvalidInput("Dòng không hợp lệ", [Problem("Thứ tự ưu tiên", why)])
                priority = int(text)
            kind = "collective" if collective is not None else "individual"
            facts_text = {k: _text(row.raw.get(k)) for k in v if k.split(":")[0] in rs.facts}
            facts = dossiers.read_facts(rs, kind, facts_text, unticked_is_no=True)
            dossiers.nominate(
                s, movement=m, unit_id=saved_id(u),
                title=by_name.get(plain_word(v["title"]), v["title"]),
                actor=who.name, person_id=person, collective_unit_id=collective,
                achievement=v["achievement"], facts=facts, priority=priority,
            )  # fmt: skip

        def key(row: Row) -> object:
            v = row.values
            subject = f"p:{v['person']}" if v["person"] else f"u:{v['collective']}"
            return (subject, by_name.get(plain_word(v["title"]), v["title"]))

        repeated = list(_repeated(rows, key, "hồ sơ cùng đối tượng và danh hiệu", "Danh hiệu"))
        problems, written = _each(s, rows, one, column)
        done = _finish(rows, repeated + problems, written, "hồ sơ đề nghị", Path(path))
    return done


def open_period(session: Session, movement: Movement) -> int:
    """The period whose reports are taken now (1 when none is)."""
    stage = State(movement.state)
    for n, stages in submissions.REPORT_STATES.items():
        if stage in stages and n <= max(period_count(session, movement), 1):
            return n
    return 1
