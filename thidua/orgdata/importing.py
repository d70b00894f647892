"""Checking every row (all problems at once), then writing in bulk: all or nothing."""

import re
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import delete, insert, or_, update
from sqlmodel import Session, col, select

from models import Block, BlockMember, Person, Unit
from models.base import id_col
from thidua.errors import InvalidInput, Problem
from thidua.lifecycle import audit
from thidua.orgdata.columns import (
    CODE,
    COLUMNS,
    EMAIL,
    MAX_LENGTH,
    ROLES,
    ImportSummary,
    normalise_phone,
    parse_roles,
)
from thidua.orgdata.reading import read_rows
from thidua.sheets import Row
from thidua.vn import ascii_int, text_problem

MAX_HEADCOUNT = 1_000_000


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
            c: (i, p)
            for c, i, p in self.session.exec(select(Unit.code, id_col(Unit), Unit.parent_id))
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
                self.bad(row, key, f"dài quá {MAX_LENGTH.get(key, 10_000)} ký tự")
            elif why := text_problem(value):
                self.bad(row, key, why)
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
            n = row.values["headcount"]
            if n and ((k := ascii_int(n)) is None or k > MAX_HEADCOUNT):  # not "²", not 2^63
                self.bad(row, "headcount", f"số người phải là số nguyên từ 0 đến {MAX_HEADCOUNT:,}"
                         .replace(",", "."))  # fmt: skip
        # The tree as it will be: the file's parents over the database's.
        id_code: dict[int | None, str] = {i: c for c, (i, _) in self.db_units.items()}
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
        holders: dict[str, list[str]] = {"council_chair": [], "council_secretary": []}
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
            for role, seen in holders.items():
                if role in self.roles.get(code, []):
                    seen.append(code)
        # One chair and one secretary: holders already in the database, not re-imported, count.
        for role, seen in holders.items():
            if seen:
                held = self.session.exec(select(Person.code, Person.roles).where(Person.active))
                seen[:0] = [c for c, r in held if role in r and c not in self.people]
            for code in seen[1:]:
                self.bad(self.people[code], "roles",
                         f"chỉ một người là {ROLES[role][0]} ({seen[0]})")  # fmt: skip

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
                        col(BlockMember.block_id).in_(bids.values()),
                        col(BlockMember.unit_id).in_(member_ids),
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
            "headcount": ascii_int(v["headcount"]) if v["headcount"] else None, "active": True,
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
