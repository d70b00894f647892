"""The organisation from a spreadsheet: units (a tree of any depth), emulation blocks, people.

An office fills `write_template`'s workbook (sheets "Đơn vị", "Khối thi đua", "Cán bộ") or
three CSV files in one folder — units.csv, blocks.csv, people.csv, UTF-8 with or without BOM,
the same column headers as the sheets (or the English keys in COLUMNS) — and runs
`import_org`. Rows are matched by code: a known code is updated, a new one added; units and
people absent from the file are left as they are. Everything is checked first and every row
error reported at once; nothing is written unless the whole file is right.
"""

import csv
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import delete, insert, or_, update
from sqlmodel import Session, select

from models import Block, BlockMember, Person, Unit
from thidua.errors import InvalidInput, Problem
from thidua.lifecycle import audit
from thidua.vn import nfc

# (key, header, required, width, example): the sheets' columns in order.
Column = tuple[str, str, bool, int, str]
COLUMNS: dict[str, list[Column]] = {
    "units": [
        ("code", "Mã đơn vị", True, 14, "SCT-VP"),
        ("name", "Tên đơn vị", True, 40, "Văn phòng Sở"),
        ("short_name", "Tên viết tắt", False, 14, "VP"),
        ("kind", "Loại", False, 16, "Phòng"),
        ("parent", "Mã đơn vị cấp trên", False, 18, "SCT"),
        ("email", "Email", False, 28, "vanphong@thidua.test"),
        ("headcount", "Số người", False, 10, "12"),
    ],
    "blocks": [
        ("code", "Mã khối", True, 12, "K1"),
        ("name", "Tên khối", True, 40, "Khối các phòng quản lý nhà nước"),
        ("leader", "Mã đơn vị trưởng khối", True, 20, "SCT-VP"),
        ("members", "Mã các đơn vị thành viên", True, 50, "SCT-VP, SCT-QLCN, SCT-QLTM"),
    ],
    "people": [
        ("code", "Mã cán bộ", True, 12, "CB0001"),
        ("full_name", "Họ và tên", True, 28, "Nguyễn Thị Hương"),
        ("position", "Chức vụ", False, 24, "Chánh Văn phòng"),
        ("unit", "Mã đơn vị", True, 14, "SCT-VP"),
        ("email", "Email", False, 28, "huong.nt@thidua.test"),
        ("zalo", "Số Zalo", False, 14, "0912345678"),
        ("roles", "Vai trò", False, 36, "thủ trưởng, đầu mối"),
    ],
}
SHEETS = {"units": "Đơn vị", "blocks": "Khối thi đua", "people": "Cán bộ"}
CSV_FILES = {"units": "units.csv", "blocks": "blocks.csv", "people": "people.csv"}
HEADER_ALIASES = {"code": "code", "mã": "code", "họ tên": "full_name", "tên": "name"}

ROLES = {
    "focal_point": ("đầu mối", "đầu mối đơn vị"),
    "unit_head": ("thủ trưởng", "thủ trưởng đơn vị"),
    "council_member": ("thành viên hội đồng", "thành viên hđtđkt"),
    "council_chair": ("chủ tịch hội đồng", "chủ tịch hđtđkt"),
    "block_leader": ("trưởng khối",),
    "admin": ("quản trị", "quản trị viên"),
}
_ROLE_WORDS = {w: r for r, words in ROLES.items() for w in (r, *words)}
CODE = re.compile(r"^[^\s,;]+$")  # codes are listed comma-separated in the blocks sheet
# The columns' sizes in models/org.py, so that a long value is a row error, not a failed write.
MAX_LENGTH = {
    "code": 64, "name": 300, "short_name": 100, "kind": 100, "email": 254, "full_name": 200,
    "position": 200, "parent": 64, "unit": 64, "leader": 64,
}  # fmt: skip
EMAIL = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$")


@dataclass
class Row:
    kind: str  # units | blocks | people
    where: str  # "Sheet 'Đơn vị', dòng 7" | "units.csv, dòng 7"
    values: dict[str, str]


@dataclass
class ImportSummary:
    units_created: int = 0
    units_updated: int = 0
    blocks_created: int = 0
    blocks_updated: int = 0
    block_members: int = 0
    people_created: int = 0
    people_updated: int = 0
    source: str = ""

    def as_dict(self) -> dict[str, int]:
        return {k: v for k, v in self.__dict__.items() if isinstance(v, int)}

    def __str__(self) -> str:
        return (
            f"Đơn vị: thêm {self.units_created}, cập nhật {self.units_updated}; "
            f"khối thi đua: thêm {self.blocks_created}, cập nhật {self.blocks_updated} "
            f"({self.block_members} đơn vị thành viên); "
            f"cán bộ: thêm {self.people_created}, cập nhật {self.people_updated}."
        )


def normalise_phone(text: str) -> str:
    """A Vietnamese mobile number as 84xxxxxxxxx; ValueError (Vietnamese) if it is not one."""
    digits = re.sub(r"[\s.\-()]", "", text)
    if digits.startswith("+84"):
        local = digits[3:]
    elif digits.startswith("84") and len(digits) == 11:
        local = digits[2:]
    elif digits.startswith("0"):
        local = digits[1:]
    else:
        local = digits  # Excel drops the leading 0 of a number typed as a number
    if not (local.isdigit() and len(local) == 9 and local[0] in "35789"):
        raise ValueError(
            f"'{text}' không phải số di động Việt Nam (10 chữ số, bắt đầu bằng 03, 05, 07, 08, "
            "09, hoặc dạng 84…)"
        )
    return "84" + local


def parse_roles(text: str) -> list[str]:
    """ "thủ trưởng, đầu mối" → ["unit_head", "focal_point"]; ValueError naming unknown ones."""
    out, unknown = [], []
    for word in re.split(r"[,;]", text):
        word = " ".join(word.split()).casefold()
        if not word:
            continue
        role = _ROLE_WORDS.get(word)
        (out if role else unknown).append(role or word)
    if unknown:
        known = ", ".join(f"{r} ({words[0]})" for r, words in ROLES.items())
        raise ValueError(f"vai trò không có: {', '.join(unknown)}. Dùng: {known}")
    return list(dict.fromkeys(out))


# --- the template -----------------------------------------------------------------------------

INSTRUCTIONS = [
    "HƯỚNG DẪN ĐIỀN DỮ LIỆU TỔ CHỨC",
    "",
    "1. Mỗi sheet có dòng tiêu đề (dòng 1) và một dòng ví dụ (dòng 2, chữ nghiêng màu xám). "
    "Điền từ dòng 3, hoặc ghi đè lên dòng ví dụ; dòng ví dụ để nguyên sẽ được bỏ qua.",
    "2. Cột có dấu * là bắt buộc. Mã (đơn vị, khối, cán bộ) viết không dấu, không trùng nhau.",
    "3. Sheet 'Đơn vị': đơn vị gốc (cơ quan) để trống 'Mã đơn vị cấp trên'; các đơn vị khác "
    "ghi mã đơn vị cấp trên. Cây đơn vị có thể nhiều cấp nhưng không được vòng lặp.",
    "4. Sheet 'Khối thi đua': mỗi khối một dòng; 'Mã các đơn vị thành viên' ghi các mã, cách "
    "nhau bằng dấu phẩy. Mỗi đơn vị chỉ thuộc một khối; đơn vị trưởng khối là một thành viên.",
    "5. Sheet 'Cán bộ': 'Số Zalo' là số di động (ví dụ 0912345678); 'Vai trò' ghi một hoặc "
    "nhiều vai trò, cách nhau bằng dấu phẩy: đầu mối, thủ trưởng, thành viên hội đồng, "
    "chủ tịch hội đồng, trưởng khối, quản trị (hoặc focal_point, unit_head, council_member, "
    "council_chair, block_leader, admin).",
    "6. Nhập lại tệp sẽ cập nhật theo mã; đơn vị, cán bộ không có trong tệp được giữ nguyên.",
    "7. Nếu có lỗi, không dữ liệu nào được ghi; chương trình liệt kê mọi lỗi (sheet, dòng, "
    "cột, lý do) để sửa một lần.",
    "",
    "Lệnh: thidua org import <tệp.xlsx>",
]


def write_template(path: str | Path) -> Path:
    """Write the empty workbook an office fills in: three sheets and a sheet of instructions."""
    return _save(_workbook(None), path)


def export_org(session: Session, path: str | Path) -> Path:
    """Write the organisation as it is, in the template's form: edit it, import it back."""
    units = session.exec(select(Unit).order_by(Unit.id)).all()
    code = {u.id: u.code for u in units}
    members: dict[int, list[str]] = {}
    for m in session.exec(select(BlockMember).order_by(BlockMember.id)):
        members.setdefault(m.block_id, []).append(code[m.unit_id])
    word = {r: words[0] for r, words in ROLES.items()}
    rows = {
        "units": [
            [u.code, u.name, u.short_name, u.kind, code.get(u.parent_id), u.email, u.headcount]
            for u in units
        ],
        "blocks": [
            [b.code, b.name, code.get(b.leader_unit_id), ", ".join(members.get(b.id, []))]
            for b in session.exec(select(Block).order_by(Block.id))
        ],
        "people": [
            [p.code, p.full_name, p.position, code[p.unit_id], p.email,
             "0" + p.zalo_phone[2:] if p.zalo_phone else None,
             ", ".join(word.get(r, r) for r in p.roles)]
            for p in session.exec(select(Person).where(Person.active).order_by(Person.id))
        ],
    }  # fmt: skip
    return _save(_workbook(rows), path)


def _save(wb, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def _workbook(rows: dict[str, list[list]] | None):
    """The template; with `rows`, filled with them instead of the grey example row."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    guide = wb.active
    guide.title = "Hướng dẫn"
    guide.column_dimensions["A"].width = 110
    for i, line in enumerate(INSTRUCTIONS, 1):
        cell = guide.cell(row=i, column=1, value=line)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        cell.font = Font(bold=i == 1, size=13 if i == 1 else 11)
    fill = PatternFill("solid", fgColor="DDEBF7")
    for kind, title in SHEETS.items():
        ws = wb.create_sheet(title)
        for col, (_key, header, required, width, example) in enumerate(COLUMNS[kind], 1):
            h = ws.cell(row=1, column=col, value=f"{header} *" if required else header)
            h.font, h.fill = Font(bold=True), fill
            ws.column_dimensions[get_column_letter(col)].width = width
            if rows is None:
                ex = ws.cell(row=2, column=col, value=example)
                ex.font = Font(italic=True, color="808080")
                ex.number_format = "@"  # text: keeps the 0 of a phone number, the 001 of a code
        for row in rows[kind] if rows else []:
            ws.append(row)
        ws.freeze_panes = "A2"
    return wb


# --- reading ----------------------------------------------------------------------------------


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return nfc(str(value))


def _header_key(kind: str, header: str) -> str | None:
    h = nfc(header).replace("*", "").strip().casefold()
    for key, label, *_ in COLUMNS[kind]:
        if h in (key, label.casefold()):
            return key
    return HEADER_ALIASES.get(h)


def _rows(kind: str, table: Iterable[list[object]], where: str, problems: list[Problem]):
    """Rows of one sheet or CSV file as Row objects. A missing required column, an unknown
    column (a misspelt header would silently drop its data) or a repeated one is a problem."""
    it = iter(table)
    header = next(it, None)
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
    for n, raw in enumerate(it, 2):
        values = {c[0]: "" for c in COLUMNS[kind]}
        for key, v in zip(keys, raw, strict=False):
            if key:
                values[key] = _cell(v)
        if not any(values.values()) or values == example:  # blank, or the template's example
            continue
        rows.append(Row(kind, f"{where}, dòng {n}", values))
    return rows


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
    titles = {nfc(t).casefold(): t for t in wb.sheetnames}
    found = False
    for kind, title in SHEETS.items():
        if title.casefold() in titles:
            found = True
            ws = wb[titles[title.casefold()]]
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


# --- checking, then writing -------------------------------------------------------------------


def import_org(session: Session, path: str | Path | list[Path], *, actor: str) -> ImportSummary:
    """Import (upsert by code) units, blocks and people; InvalidInput with every row error and
    nothing written if any row is wrong. Records one audit event "org.imported"."""
    rows, problems = read_rows(path)
    if not rows and not problems:
        problems.append(
            Problem("(tệp)", "không có dòng dữ liệu nào (ngoài dòng tiêu đề)", str(path))
        )
    plan = _Plan(session, rows, problems)
    plan.check()
    if problems:
        raise InvalidInput(f"Dữ liệu tổ chức có {len(problems)} lỗi, chưa ghi gì", problems)
    summary = plan.write()
    summary.source = str(path if not isinstance(path, list) else ", ".join(map(str, path)))
    audit(
        session, actor=actor, entity="org", action="org.imported", reason=summary.source,
        data=summary.as_dict(),
    )  # fmt: skip
    session.flush()
    return summary


def _code_ids(session: Session, model, codes: list[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for i in range(0, len(codes), 900):  # stay under SQLite's bound-parameter limit
        q = select(model.code, model.id).where(model.code.in_(codes[i : i + 900]))
        out.update(session.exec(q).all())
    return out


@dataclass
class _Plan:
    session: Session
    rows: list[Row]
    problems: list[Problem]
    units: dict[str, Row] = field(default_factory=dict)
    blocks: dict[str, Row] = field(default_factory=dict)
    people: dict[str, Row] = field(default_factory=dict)
    db_units: dict[str, tuple[int, int | None]] = field(default_factory=dict)  # code → id, parent
    block_of: dict[str, str] = field(default_factory=dict)  # unit code → block code (file)
    members: dict[str, list[str]] = field(default_factory=dict)
    phones: dict[str, str] = field(default_factory=dict)
    roles: dict[str, list[str]] = field(default_factory=dict)

    def bad(self, row: Row, column: str, reason: str) -> None:
        label = next(c[1] for c in COLUMNS[row.kind] if c[0] == column)
        self.problems.append(Problem(label, reason, row.where))

    def check(self) -> None:
        for row in self.rows:
            self._required(row)
            target = getattr(self, row.kind)
            code = row.values["code"]
            if code and code in target:
                self.bad(row, "code", f"mã '{code}' trùng với {target[code].where}")
            elif code:
                target[code] = row
        self.db_units = {
            c: (i, p) for c, i, p in self.session.exec(select(Unit.code, Unit.id, Unit.parent_id))
        }
        self._check_units()
        self._check_blocks()
        self._check_people()

    def _required(self, row: Row) -> None:
        for key, _label, required, *_ in COLUMNS[row.kind]:
            value = row.values[key]
            if required and not value:
                self.bad(row, key, "thiếu giá trị bắt buộc")
            elif len(value) > MAX_LENGTH.get(key, 10_000):
                self.bad(row, key, f"dài quá {MAX_LENGTH[key]} ký tự")
        if not CODE.match(row.values["code"] or "x"):
            self.bad(row, "code", "mã không được có khoảng trắng, dấu phẩy hay chấm phẩy")
        if row.values.get("email") and not EMAIL.match(row.values["email"]):
            self.bad(row, "email", f"'{row.values['email']}' không phải địa chỉ email hợp lệ")

    def _known_unit(self, code: str) -> bool:
        return code in self.units or code in self.db_units

    def _check_units(self) -> None:
        for row in self.units.values():
            parent = row.values["parent"]
            if parent and not self._known_unit(parent):
                self.bad(row, "parent", f"không có đơn vị mã '{parent}' (trong tệp hoặc đã nhập)")
            if row.values["headcount"] and not row.values["headcount"].isdigit():
                self.bad(row, "headcount", "số người phải là số nguyên không âm")
        # The tree as it will be: the file's parents over the database's.
        id_code = {i: c for c, (i, _) in self.db_units.items()}
        parent_of = {c: id_code.get(p) for c, (_, p) in self.db_units.items()}
        parent_of.update({c: r.values["parent"] or None for c, r in self.units.items()})
        reported: set[str] = set()
        for start in self.units:
            path, node = [start], parent_of.get(start)
            while node and node not in path and len(path) <= len(parent_of):
                path.append(node)
                node = parent_of.get(node)
            if node == start and start not in reported:
                cycle = " → ".join([*path, start])
                for c in path:
                    reported.add(c)
                self.bad(self.units[start], "parent", f"cây đơn vị bị vòng lặp: {cycle}")

    def _check_blocks(self) -> None:
        for code, row in self.blocks.items():
            members = list(
                dict.fromkeys(m for m in re.split(r"[,;\s]+", row.values["members"]) if m)
            )
            self.members[code] = members
            for m in members:
                if not self._known_unit(m):
                    self.bad(row, "members", f"không có đơn vị mã '{m}'")
                elif m in self.block_of:
                    self.bad(row, "members", f"đơn vị '{m}' đã thuộc khối '{self.block_of[m]}'")
                else:
                    self.block_of[m] = code
            leader = row.values["leader"]
            if leader and not self._known_unit(leader):
                self.bad(row, "leader", f"không có đơn vị mã '{leader}'")
            elif leader and members and leader not in members:
                self.bad(row, "leader", f"đơn vị trưởng khối '{leader}' không là thành viên khối")

    def _check_people(self) -> None:
        chairs = []
        for code, row in self.people.items():
            unit = row.values["unit"]
            if unit and not self._known_unit(unit):
                self.bad(row, "unit", f"không có đơn vị mã '{unit}'")
            if row.values["zalo"]:
                try:
                    self.phones[code] = normalise_phone(row.values["zalo"])
                except ValueError as e:
                    self.bad(row, "zalo", str(e))
            try:
                self.roles[code] = parse_roles(row.values["roles"])
            except ValueError as e:
                self.bad(row, "roles", str(e))
            if "council_chair" in self.roles.get(code, []):
                chairs.append(code)
        if chairs:  # a chair already in the database, not re-imported, still counts
            held = self.session.exec(select(Person.code, Person.roles).where(Person.active))
            chairs = [c for c, r in held if "council_chair" in r and c not in self.people] + chairs
        for code in chairs[1:]:
            self.bad(
                self.people[code], "roles", f"chỉ một người là chủ tịch hội đồng ({chairs[0]})"
            )

    # --- writing (only after every check passed) ---------------------------------------------

    def write(self) -> ImportSummary:
        s, out = self.session, ImportSummary()
        if self.units:
            ids = self._upsert(Unit, self.units, self._unit_values, out, "units", {})
            all_ids = {c: i for c, (i, _) in self.db_units.items()} | ids
            s.execute(
                update(Unit),
                [
                    {"id": ids[c], "parent_id": all_ids.get(r.values["parent"])}
                    for c, r in self.units.items()
                ],
            )
            self.db_units.update({c: (i, None) for c, i in ids.items()})
        unit_id = {c: i for c, (i, _) in self.db_units.items()}
        if self.blocks:
            bids = self._upsert(Block, self.blocks, self._block_values, out, "blocks", unit_id)
            member_ids = [unit_id[m] for ms in self.members.values() for m in ms]
            s.execute(
                delete(BlockMember).where(
                    or_(
                        BlockMember.block_id.in_(bids.values()), BlockMember.unit_id.in_(member_ids)
                    )
                )
            )
            rows = [
                {"block_id": bids[b], "unit_id": unit_id[m]}
                for b, ms in self.members.items()
                for m in ms
            ]
            if rows:
                s.execute(insert(BlockMember), rows)
            out.block_members = len(rows)
        if self.people:
            self._upsert(Person, self.people, self._person_values, out, "people", unit_id)
        s.flush()
        return out

    def _upsert(self, model, rows: dict[str, Row], values, out, name: str, unit_id: dict):
        """Insert the new codes, update the known ones, in bulk; returns code → id."""
        s = self.session
        existing = _code_ids(s, model, list(rows))
        new = [values(c, r, unit_id) for c, r in rows.items() if c not in existing]
        old = [
            {"id": existing[c], **values(c, r, unit_id)} for c, r in rows.items() if c in existing
        ]
        if new:
            s.execute(insert(model), new)
        if old:
            s.execute(update(model), old)
        setattr(out, f"{name}_created", len(new))
        setattr(out, f"{name}_updated", len(old))
        return _code_ids(s, model, list(rows))

    @staticmethod
    def _unit_values(code: str, row: Row, _unit_id: dict) -> dict:
        v = row.values
        return {
            "code": code, "name": v["name"], "short_name": v["short_name"] or None,
            "kind": v["kind"] or None, "email": v["email"] or None,
            "headcount": int(v["headcount"]) if v["headcount"] else None, "active": True,
        }  # fmt: skip

    @staticmethod
    def _block_values(code: str, row: Row, unit_id: dict) -> dict:
        leader = unit_id.get(row.values["leader"])
        return {"code": code, "name": row.values["name"], "leader_unit_id": leader}

    def _person_values(self, code: str, row: Row, unit_id: dict) -> dict:
        v = row.values
        return {
            "code": code, "full_name": v["full_name"], "position": v["position"] or None,
            "unit_id": unit_id[v["unit"]], "email": v["email"] or None,
            "zalo_phone": self.phones.get(code), "roles": self.roles.get(code, []),
            "active": True,
        }  # fmt: skip
