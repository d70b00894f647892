"""Benchmark: check 8,000 nominations of a 2,000-unit province with 5 years of history.

    uv run python bench/rules.py

Builds the province in a SQLite file in a temporary directory (bulk inserts), then times
check_all against a baseline measured in the same run: reading the same nominations as ORM
objects (what any per-nomination loop would start with). The check must take under 5 s.
Ends with one line: RESULT rules check_s=… nominations=… …
"""

import os
import random
import re
import shutil
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert, select
from sqlmodel import Session

from models import (
    AwardHistory,
    BlockMember,
    CriteriaTable,
    Criterion,
    Movement,
    Nomination,
    Participant,
    Person,
    Score,
    Unit,
)
from models.db import engine_for
from models.migrate import upgrade
from thidua.rules import check_all, check_nomination, rule_set_for
from thidua.settings import PROJECT_ROOT, reset_settings
from thidua.synthetic import generate_org

UNITS, BLOCKS, PEOPLE, YEAR, NOMINATIONS = 2000, 40, 8000, 2025, 8000
LIMIT_S = 5.0


def person_facts(rng: random.Random) -> dict:
    rating = rng.choices(["HTXSNV", "HTTNV", "HTNV", "KHTNV"], [30, 55, 12, 3])[0]
    initiatives = [
        {"level": rng.choice(["co_so", "co_so", "tinh"])} for _ in range(rng.randint(0, 2))
    ]
    return {
        "task_rating": rating,
        "months_worked": rng.choice([12, 12, 12, 11, 9, 6]),
        "maternity_leave_months": rng.choice([0, 0, 0, 0, 4]),
        "discipline": rng.choices(["none", "khien_trach", "canh_cao"], [95, 4, 1])[0],
        "initiatives": initiatives,
        "research": rng.choice([0, 0, 0, 1]),
        "achievement_kind": rng.choice(["phong_trao", "dot_xuat", "nhiem_vu"]),
    }


def unit_facts(rng: random.Random) -> dict:
    return {
        "task_rating": rng.choices(["HTXSNV", "HTTNV", "HTNV"], [40, 50, 10])[0],
        "all_members_completed": rng.random() < 0.8,
        "exceeded_targets": rng.random() < 0.5,
        "achievement_kind": "phong_trao",
    }


def build(session: Session, rng: random.Random) -> int:
    generate_org(session, units=UNITS, blocks=BLOCKS, people=PEOPLE, seed=7)
    session.add(
        m := Movement(
            code="PT-BENCH", year=YEAR, title="Phong trào thi đua năm 2025", doc_kind="ke_hoach",
            doc_symbol="KH-SCT", agency="Sở Công Thương", agency_code="SCT", place="Hà Nam",
            issued_date="2025-03-05", theme="Đoàn kết", signer_title="GIÁM ĐỐC",
            signer_name="Nguyễn Văn A", rule_set=RULE_SET,
        )
    )  # fmt: skip
    session.flush()
    members = session.execute(select(BlockMember.unit_id, BlockMember.block_id)).all()
    session.execute(
        insert(Participant),
        [{"movement_id": m.id, "unit_id": u, "block_id": b} for u, b in members],
    )
    persons = session.execute(select(Person.id, Person.unit_id)).all()
    units = [u for u, _ in members]
    parent = dict(session.execute(select(Unit.id, Unit.parent_id)).all())

    # Five years of history: ratings, LDTT, CSTDCS for people; collective titles for units.
    hist = []
    for pid, _ in persons:
        for y in range(YEAR - 5, YEAR):
            key = f"person:{pid}"
            if rng.random() < 0.6:
                hist.append({"subject_key": key, "person_id": pid, "year": y, "title": "LDTT"})
            if rng.random() < 0.3:
                hist.append({"subject_key": key, "person_id": pid, "year": y, "title": "HTXSNV"})
            if rng.random() < 0.25:
                hist.append({"subject_key": key, "person_id": pid, "year": y, "title": "CSTDCS"})
    for uid in units:
        for y in range(YEAR - 5, YEAR):
            title = rng.choice(["TTLDTT", "TTLDXS", "HTXSNV"])
            hist.append({"subject_key": f"unit:{uid}", "unit_id": uid, "year": y, "title": title})
    for i in range(0, len(hist), 5000):
        session.execute(insert(AwardHistory), hist[i : i + 5000])

    # 8,000 nominations: mostly LDTT, then CSTDCS and above; collectives and one flag a block.
    rng.shuffle(persons)
    noms, t = [], 0

    def add(kind: str, subject: int, unit_id: int, title: str, facts: dict) -> None:
        nonlocal t
        t += 1
        noms.append({
            "movement_id": m.id, "unit_id": unit_id, "subject_kind": kind,
            "person_id": subject if kind == "individual" else None,
            "collective_unit_id": subject if kind == "collective" else None,
            "subject_key": f"{'person' if kind == 'individual' else 'unit'}:{subject}",
            "title": title, "facts": facts, "status": "submitted", "submitted_by": "bench",
            "achievement": "",
        })  # fmt: skip

    plan = [("LDTT", 5000), ("CSTDCS", 900), ("CSTD_TINH", 200), ("BANG_KHEN_TINH", 300),
            ("GIAY_KHEN", 300)]  # fmt: skip
    for title, n in plan:
        for pid, uid in persons[:n]:
            add("individual", pid, uid, title, person_facts(rng))
    flagged = {}
    for u, b in members:
        flagged.setdefault(b, u)
    pool = rng.sample(units, 1260)
    for title, chosen in (("TTLDTT", pool[:800]), ("TTLDXS", pool[800:1100]),
                          ("GIAY_KHEN", pool[1100:1260])):  # fmt: skip
        for u in chosen:
            add("collective", u, parent.get(u) or u, title, unit_facts(rng))
    for u in flagged.values():
        add("collective", u, parent.get(u) or u, "CO_THI_DUA", unit_facts(rng))
    noms = noms[:NOMINATIONS]
    for i in range(0, len(noms), 2000):
        session.execute(insert(Nomination), noms[i : i + 2000])

    # One criteria table for every block, every unit scored by its block leader.
    session.add(table := CriteriaTable(movement_id=m.id, name="Bảng tiêu chí chung"))
    session.flush()
    crits = [Criterion(table_id=table.id, seq=i, code=f"TC{i}", text=f"Tiêu chí {i}",
                       max_points=Decimal(20)) for i in range(1, 6)]  # fmt: skip
    session.add_all(crits)
    session.flush()
    session.execute(
        insert(Score),
        [{"movement_id": m.id, "unit_id": u, "criterion_id": c.id, "scorer_kind": "leader",
          "points": Decimal(rng.randint(10, 20)), "scored_by": "bench"}
         for u in units for c in crits],
    )  # fmt: skip
    session.commit()
    return len(noms)


RULE_SET = "quy-che-bat"


def quy_che_rules(folder: Path) -> None:
    """The shipped rule set with the agency's own options switched on (the 15% CSTĐCS cap
    among them), so the unit quota is part of the work measured."""
    shipped = PROJECT_ROOT / "rules"
    folder.mkdir()
    for name in ("nd152-2025.yaml", "luong-co-so.yaml"):
        shutil.copy(shipped / name, folder / name)
    text = (shipped / "nd152-2025.yaml").read_text(encoding="utf-8")
    text = re.sub(r"(?m)^(\s+)enabled: false", r"\1enabled: true", text)
    (folder / f"{RULE_SET}.yaml").write_text(text.replace("name: nd152-2025", f"name: {RULE_SET}"))
    os.environ["THIDUA_RULES_DIR"] = str(folder)
    reset_settings()


def main() -> None:
    rng = random.Random(2025)
    with tempfile.TemporaryDirectory() as tmp:
        quy_che_rules(Path(tmp) / "rules")
        url = f"sqlite:///{tmp}/bench.db"
        upgrade(url)
        engine = engine_for(url)
        t0 = time.perf_counter()
        with Session(engine, expire_on_commit=False) as s:
            n = build(s, rng)
        build_s = time.perf_counter() - t0
        with Session(engine) as s:
            m = s.execute(select(Movement)).scalar_one()
            t0 = time.perf_counter()
            rows = s.execute(select(Nomination).where(Nomination.movement_id == m.id)).all()
            baseline_s = time.perf_counter() - t0
            assert len(rows) == n
        with Session(engine) as s:
            m = s.execute(select(Movement)).scalar_one()
            t0 = time.perf_counter()
            results = check_all(s, m)
            check_s = time.perf_counter() - t0
            one = s.get(Nomination, results[-1].nomination_id)
            t0 = time.perf_counter()
            check_nomination(s, one, rule_set_for(m))  # reads the whole movement (its quotas)
            one_s = time.perf_counter() - t0
        engine.dispose()
    failed = sum(1 for r in results if not r.ok)
    quota = sum(1 for r in results for f in r.failures if f.rule_id == "CSTDCS.ty_le_15")
    print(f"province: {UNITS} units, {PEOPLE} people, {BLOCKS} blocks, built in {build_s:.1f} s")
    print(f"baseline (read {n} nominations as ORM rows): {baseline_s:.3f} s")
    print(f"check_all: {check_s:.3f} s for {len(results)} nominations "
          f"({failed} with failures, {quota} over the CSTĐCS quota)")  # fmt: skip
    status = "ok" if check_s < LIMIT_S else "TOO_SLOW"
    print(
        f"RESULT rules check_s={check_s:.3f} nominations={len(results)} "
        f"baseline_s={baseline_s:.3f} ratio={check_s / baseline_s:.1f} one_s={one_s:.3f} "
        f"failed={failed} "
        f"limit_s={LIMIT_S} status={status}"
    )
    if check_s >= LIMIT_S:
        sys.exit(1)


if __name__ == "__main__":
    main()
