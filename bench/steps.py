"""Benchmark: what a step's own unit of work costs, and what a workbook import saves.

    uv run python bench/steps.py

Hà Nam 2022 on a generated organisation (40 units, 400 people) in a SQLite file in a temporary
directory. Times (1) registrations made one step at a time (thidua.steps.register: a unit of
work each, the writer lock, the actor and his right) against the baseline of the same domain
function called in one long transaction, as the demo does; (2) every unit's period report from
one workbook (thidua.bulk_steps.import_reports: one unit of work, a savepoint per row) against
the same reports sent one step at a time. Ends with one line: RESULT steps step_ms=… …
"""

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

UNITS, PEOPLE, PER_UNIT = 40, 400, 3


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="thidua-bench-steps-"))
    os.environ["THIDUA_DATA_DIR"] = str(work)
    os.environ["THIDUA_DATABASE_URL"] = url = f"sqlite:///{work / 'thidua.db'}"
    try:
        run(url, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run(url: str, work: Path) -> None:
    import openpyxl
    from sqlmodel import Session, select

    from models import Account, Participant, Person, Target, Unit
    from models.db import engine_for
    from models.migrate import upgrade
    from thidua import bulk_steps, spec, steps, submissions, synthetic
    from thidua.lifecycle import State
    from thidua.settings import PROJECT_ROOT, reset_settings

    reset_settings()
    upgrade(url)
    with Session(engine_for(url), expire_on_commit=False) as s:
        synthetic.generate_org(s, units=UNITS, blocks=4, people=PEOPLE, seed=7)
        m = spec.store_spec(s, spec.load_spec(PROJECT_ROOT / "examples" / "hanam-sct-2022.yaml"),
                            actor="bench")  # fmt: skip
        spec.enrol_participants(s, m)
        m.state = State.PERIOD1_OPEN.value
        s.add(m)
        s.add(Account(username="vanphong", password_hash="-", is_admin=True))
        s.commit()
        code, movement_id = m.code, m.id
        units = list(s.exec(select(Participant.unit_id).where(Participant.movement_id == m.id)))
        people = {
            u: list(s.exec(select(Person.id).where(Person.unit_id == u).limit(PER_UNIT)))
            for u in units
        }
        unit_codes = dict(s.exec(select(Unit.id, Unit.code)).all())
        target = s.exec(select(Target).order_by(Target.seq)).first()
    pairs = [(u, p) for u in units for p in people[u]]

    started = time.perf_counter()
    for u, p in pairs:
        steps.register(code, actor="vanphong", unit=u, titles=["LDTT"], person=p)
    step_s = time.perf_counter() - started
    with Session(engine_for(url)) as s:
        from models import Movement

        m = s.get(Movement, movement_id)
        started = time.perf_counter()
        for u, p in pairs:
            submissions.register(s, movement=m, unit_id=u, titles=["CSTDCS"], person_id=p,
                                 actor="vanphong")  # fmt: skip
        s.commit()
        body_s = time.perf_counter() - started

    book = bulk_steps.report_template(code, work / "bao-cao.xlsx", period=1)
    wb = openpyxl.load_workbook(book)
    ws = wb["Báo cáo"]
    column = next(c.column for c in ws[1] if str(c.value).startswith(target.label))
    for row in range(2, ws.max_row + 1):
        ws.cell(row, column, 1000 + row)
    wb.save(book)
    started = time.perf_counter()
    done = bulk_steps.import_reports(code, book, period=1, actor="vanphong")
    import_s = time.perf_counter() - started
    assert done.written == len(units), done
    started = time.perf_counter()
    for i, u in enumerate(units):
        steps.submit_report(code, actor="vanphong", unit=unit_codes[u], period=1,
                            values={target.code: 2000 + i})  # fmt: skip
    separate_s = time.perf_counter() - started

    n = len(pairs)
    print(f"{n} registrations: {step_s:.2f} s one step each, {body_s:.2f} s in one transaction")
    print(f"{len(units)} reports: {import_s:.2f} s from one workbook, {separate_s:.2f} s as steps")
    print(
        f"RESULT steps step_ms={step_s / n * 1000:.1f} body_ms={body_s / n * 1000:.1f} "
        f"ratio={step_s / body_s:.2f} import_s={import_s:.2f} separate_s={separate_s:.2f} "
        f"import_ratio={import_s / separate_s:.2f}"
    )


if __name__ == "__main__":
    main()
