"""A realistic synthetic organisation for demos and benchmarks, written in bulk.

    generate_org(session, units=40, blocks=4, people=600)       # the whole-movement demo
    generate_org(session, units=2000, blocks=40, people=8000)   # the benchmark

The tree is an agency (Sở) → its phòng and đơn vị → their tổ (three levels). Every non-root unit
belongs to one block; a block's leader is its first unit. Every unit has a unit head and a focal
point; the root also has the council (one chair, members) and one admin. Names are Vietnamese,
emails are on the reserved .test domain, Zalo numbers are 84 9xxxxxxxx. Same seed, same org.
"""

import random
from collections import Counter
from typing import Any

from sqlalchemy import func, insert, update
from sqlmodel import Session, col, select

from models import Block, BlockMember, Person, Unit
from models.base import id_col
from thidua.errors import InvalidInput
from thidua.lifecycle import audit

FAMILY = [
    "Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ",
    "Hồ", "Ngô", "Dương", "Lý", "Đinh", "Trịnh", "Mai", "Tạ",
]  # fmt: skip
MIDDLE_M = ["Văn", "Hữu", "Đức", "Minh", "Quang", "Thanh", "Công", "Xuân", "Mạnh", "Tiến"]
MIDDLE_F = ["Thị", "Thu", "Ngọc", "Minh", "Thanh", "Hồng", "Phương", "Thúy", "Kim", "Bích"]
GIVEN_M = [
    "An", "Bình", "Cường", "Dũng", "Đạt", "Hải", "Hùng", "Khánh", "Long", "Nam", "Phong", "Quân",
    "Sơn", "Thắng", "Toàn", "Trung", "Tuấn", "Việt", "Vinh", "Huy",
]  # fmt: skip
GIVEN_F = [
    "Anh", "Chi", "Dung", "Giang", "Hà", "Hạnh", "Hoa", "Hương", "Lan", "Linh", "Mai", "Nga",
    "Ngọc", "Nhung", "Phương", "Thảo", "Trang", "Vân", "Yến", "Hằng",
]  # fmt: skip
LEVEL1 = [
    ("Văn phòng Sở", "VP", "Văn phòng"),
    ("Thanh tra Sở", "TTr", "Thanh tra"),
    ("Phòng Kế hoạch - Tài chính", "KHTC", "Phòng"),
    ("Phòng Quản lý công nghiệp", "QLCN", "Phòng"),
    ("Phòng Quản lý thương mại", "QLTM", "Phòng"),
    ("Phòng Quản lý năng lượng", "QLNL", "Phòng"),
    ("Phòng Kỹ thuật an toàn - Môi trường", "KTAT", "Phòng"),
    ("Trung tâm Khuyến công và Tư vấn phát triển công nghiệp", "TTKC", "Trung tâm"),
    ("Trung tâm Xúc tiến thương mại", "TTXT", "Trung tâm"),
    ("Chi cục Quản lý thị trường", "QLTT", "Chi cục"),
]
HEAD = {
    "Văn phòng": "Chánh Văn phòng", "Thanh tra": "Chánh Thanh tra", "Phòng": "Trưởng phòng",
    "Trung tâm": "Giám đốc Trung tâm", "Chi cục": "Chi cục trưởng", "Tổ": "Tổ trưởng",
}  # fmt: skip
LEVEL2 = ["Tổ Tổng hợp", "Tổ Nghiệp vụ", "Tổ Hành chính", "Tổ Kiểm tra", "Tổ Kỹ thuật", "Đội"]
POSITIONS = ["Chuyên viên", "Chuyên viên chính", "Cán sự", "Kế toán", "Nhân viên", "Kỹ sư"]
BLOCK_NAMES = ["Khối các phòng quản lý nhà nước", "Khối các đơn vị sự nghiệp", "Khối Chi cục"]


def _name(rng: random.Random) -> str:
    if rng.random() < 0.5:
        return f"{rng.choice(FAMILY)} {rng.choice(MIDDLE_M)} {rng.choice(GIVEN_M)}"
    return f"{rng.choice(FAMILY)} {rng.choice(MIDDLE_F)} {rng.choice(GIVEN_F)}"


def _phone(rng: random.Random) -> str:
    return f"849{rng.randrange(10**8):08d}"


def _ids(session: Session, model, codes: list[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for i in range(0, len(codes), 900):  # stay under SQLite's bound-parameter limit
        chunk = codes[i : i + 900]
        out.update(session.exec(select(model.code, model.id).where(model.code.in_(chunk))).all())
    return out


def generate_org(session: Session, *, units: int, blocks: int, people: int, seed: int = 1) -> None:
    """Write `units` units (root included), `blocks` blocks and `people` people, in bulk."""
    if units < 3 or blocks < 1 or blocks > units - 1 or people < 2 * units + 2:
        raise InvalidInput(
            "Tham số không hợp lệ: cần ít nhất 3 đơn vị, 1 ≤ số khối < số đơn vị, "
            "và số cán bộ ≥ 2 × số đơn vị + 2 (mỗi đơn vị có thủ trưởng và đầu mối)"
        )
    if session.exec(select(func.count()).select_from(Unit)).one():
        raise InvalidInput("Cơ sở dữ liệu đã có đơn vị: chỉ tạo tổ chức mẫu trên dữ liệu trống")
    rng = random.Random(seed)

    # Units: the root, then ~1 in 5 at level 1, the rest (tổ) spread under them.
    session.execute(
        insert(Unit),
        [{"code": "SCT", "name": "Sở Công Thương", "short_name": "SCT", "kind": "Sở",
          "email": "sct@thidua.test", "active": True}],
    )  # fmt: skip
    root_id = _ids(session, Unit, ["SCT"])["SCT"]
    n1 = max(1, (units - 1) // 5)
    level1: list[dict[str, Any]] = []
    for i in range(n1):
        name, short, kind = LEVEL1[i % len(LEVEL1)]
        suffix = f" {i // len(LEVEL1) + 1}" if i >= len(LEVEL1) else ""
        level1.append(
            {"code": f"DV{i + 1:04d}", "name": name + suffix, "short_name": short + suffix.strip(),
             "kind": kind, "parent_id": root_id, "email": f"donvi{i + 1}@thidua.test",
             "active": True}
        )  # fmt: skip
    session.execute(insert(Unit), level1)
    l1_ids = _ids(session, Unit, [u["code"] for u in level1])
    level2: list[dict[str, Any]] = []
    for j in range(units - 1 - n1):
        parent = level1[j % n1]
        k = j // n1 + 1
        level2.append(
            {"code": f"{parent['code']}-T{k:02d}",
             "name": f"{LEVEL2[k % len(LEVEL2)]} {k} - {parent['name']}",
             "short_name": f"T{k}-{parent['short_name']}", "kind": "Tổ",
             "parent_id": l1_ids[parent["code"]],
             "email": f"to{j + 1}@thidua.test", "active": True}
        )  # fmt: skip
    if level2:
        session.execute(insert(Unit), level2)
    ids = {"SCT": root_id, **l1_ids, **_ids(session, Unit, [u["code"] for u in level2])}

    # Blocks: units in tree order (a phòng, then its tổ), cut into `blocks` even runs, so a
    # subtree mostly stays in one block.
    children: dict[int, list[str]] = {}
    for t in level2:
        children.setdefault(t["parent_id"], []).append(t["code"])
    order = []
    for u in level1:
        order += [u["code"], *children.get(l1_ids[u["code"]], [])]
    cuts = [len(order) * b // blocks for b in range(blocks + 1)]
    chunks = [order[cuts[b] : cuts[b + 1]] for b in range(blocks)]
    session.execute(
        insert(Block),
        [{"code": f"K{b + 1:02d}", "name": f"{BLOCK_NAMES[b % len(BLOCK_NAMES)]} (khối {b + 1})",
          "leader_unit_id": ids[chunk[0]]} for b, chunk in enumerate(chunks)],
    )  # fmt: skip
    bids = _ids(session, Block, [f"K{b + 1:02d}" for b in range(len(chunks))])
    session.execute(
        insert(BlockMember),
        [{"block_id": bids[f"K{b + 1:02d}"], "unit_id": ids[c]}
         for b, chunk in enumerate(chunks) for c in chunk],
    )  # fmt: skip
    leaders = {chunk[0] for chunk in chunks}

    # People: a head and a focal point per unit, the council and an admin at the root, the rest
    # spread over the units.
    codes = ["SCT", *[u["code"] for u in level1], *[u["code"] for u in level2]]
    rows: list[dict] = []

    def person(unit: str, position: str, roles: list[str]) -> None:
        n = len(rows) + 1
        rows.append(
            {"code": f"CB{n:05d}", "full_name": _name(rng), "position": position,
             "unit_id": ids[unit], "email": f"canbo{n}@thidua.test", "zalo_phone": _phone(rng),
             "roles": roles, "active": True}
        )  # fmt: skip

    kind_of = {u["code"]: u["kind"] for u in level1 + level2}
    person("SCT", "Giám đốc", ["unit_head", "council_chair"])
    person("SCT", "Chuyên viên phụ trách thi đua, khen thưởng", ["focal_point", "admin",
           "council_secretary"])  # fmt: skip
    for c in codes[1:]:
        person(c, HEAD.get(kind_of[c], "Trưởng phòng"), ["unit_head"])
        person(c, "Chuyên viên", ["focal_point"] + (["block_leader"] if c in leaders else []))
    council = min(7, len(level1))
    for i in range(council):  # heads of the first level-1 units sit on the council
        rows[2 + 2 * i]["roles"] = [*rows[2 + 2 * i]["roles"], "council_member"]
    while len(rows) < people:
        person(rng.choice(codes), rng.choice(POSITIONS), [])
    for i in range(0, len(rows), 5000):
        session.execute(insert(Person), rows[i : i + 5000])
    headcount = Counter(r["unit_id"] for r in rows)  # số người: the people of each unit
    session.execute(update(Unit), [{"id": i, "headcount": n} for i, n in headcount.items()])
    audit(
        session, actor="synthetic", entity="org", action="org.generated",
        data={"units": units, "blocks": len(chunks), "people": len(rows), "seed": seed},
    )  # fmt: skip
    session.flush()


def generate_history(session: Session, *, year: int, years: int = 5, seed: int = 1) -> int:
    """`years` years of past titles before `year`, in bulk: for people, Lao động tiên tiến,
    hoàn thành xuất sắc nhiệm vụ and Chiến sĩ thi đua cơ sở at plausible rates; for units, one
    collective title a year. What the consecutive-year rules read. Returns the rows written."""
    from models import AwardHistory

    rng = random.Random(seed)
    rows: list[dict] = []
    people = session.execute(select(id_col(Person)).order_by(col(Person.id))).scalars().all()
    for pid in people:
        key = f"person:{pid}"
        for y in range(year - years, year):
            for title, p in (("LDTT", 0.6), ("HTXSNV", 0.3), ("CSTDCS", 0.1)):
                if rng.random() < p:
                    rows.append({"subject_key": key, "person_id": pid, "year": y,
                                 "title": title, "source": "import"})  # fmt: skip
    units = (
        session.execute(select(id_col(Unit)).where(col(Unit.parent_id).is_not(None)))
        .scalars()
        .all()
    )
    for uid in units:
        for y in range(year - years, year):
            title = rng.choice(["TTLDTT", "TTLDXS", "HTXSNV"])
            rows.append({"subject_key": f"unit:{uid}", "unit_id": uid, "year": y,
                         "title": title, "source": "import"})  # fmt: skip
    for i in range(0, len(rows), 5000):
        session.execute(insert(AwardHistory), rows[i : i + 5000])
    session.flush()
    return len(rows)
