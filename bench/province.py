"""Benchmark: a province's year — 2,000 units in 40 blocks, 60,000 people, 5 years of award
history, 8,000 nominations — through the real flows on one reused local Prefect server, on
SQLite and on PostgreSQL.

    uv run python bench/province.py

Each run (a database, a scale) is a child process of its own, so that its peak RSS is its own.
It replays the movement's year (Hà Nam 2022) day by day on the movement clock, as `thidua demo`
does: the daily sweep (every reminder, the periods opening and closing), the office's stages
(launch, sơ kết, tổng kết, call for proposals, appraisal), and the people's part through the
domain's bulk calls (registrations, period reports, scores, nominations), the council's secret
ballot (whose last paper starts the decision) and the head's approval (which starts the close:
certificates, notices). Every stage prints its time and its peak RSS. PDF conversion is off
during the year and measured after it (`thidua documents pdf`), outside the total.

The same year is also run at 1/4 scale (the ratio per stage shows how each grows; linear is
4.0), and the naive way on a 1/20 sample: one Prefect task per unit and per message, ORM
objects loaded one by one, a template loaded per document (bench/naive_year.py). Its time per
item, times the full scale's items, is the baseline of ratio_vs_naive.

Ends with: RESULT province sqlite_s=… postgres_s=… peak_rss_mb=… ratio_vs_naive=…
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# (units, blocks, people, nominations)
SCALES = {
    "full": (2000, 40, 60000, 8000),
    "quarter": (500, 10, 15000, 2000),
    "naive": (100, 2, 3000, 400),
}
PG = os.environ.get("THIDUA_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432")
GOAL_S, GOAL_RSS_MB = 180.0, 1024.0
SWEEP = "reminders (daily sweep)"


def _pg_database(name: str, *, drop: bool = False) -> str:
    """A fresh database of our own on the local PostgreSQL server."""
    import sqlalchemy as sa

    engine = sa.create_engine(f"{PG}/postgres", isolation_level="AUTOCOMMIT")
    with engine.connect() as c:
        c.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not drop:
            c.exec_driver_sql(f'CREATE DATABASE "{name}"')
    engine.dispose()
    return f"{PG}/{name}"


def _child(db: str, scale: str, work: Path, api_url: str) -> dict:
    """Run one year in a child process; returns its figures."""
    data = work / f"{db}-{scale}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "THIDUA_"))}
    env.update(
        THIDUA_DATA_DIR=str(data),
        PREFECT_API_URL=api_url,  # the one server every run reuses
        PREFECT_LOGGING_LEVEL="WARNING",
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        THIDUA_EMAIL_URL="",
        THIDUA_ZALO_URL="",
        THIDUA_QUIET_HOURS="21:00-07:00",
    )
    dbname = f"thidua_province_{scale}_{os.getpid()}"
    if db == "postgres":
        env["THIDUA_DATABASE_URL"] = _pg_database(dbname)
    mode = "naive" if scale == "naive" else "year"
    args = [sys.executable, str(Path(__file__).resolve()), "--run", mode, scale]
    try:
        proc = subprocess.run(args, env=env, cwd=ROOT, capture_output=True, text=True)
    finally:
        if db == "postgres":
            _pg_database(dbname, drop=True)
        shutil.rmtree(data, ignore_errors=True)  # a full year's outbox is gigabytes
    out = [ln for ln in proc.stdout.splitlines() if ln.startswith("FIGURES ")]
    for ln in proc.stdout.splitlines():
        if not ln.startswith("FIGURES "):
            print(f"    {ln}", flush=True)
    if proc.returncode or not out:
        print(proc.stderr[-4000:], file=sys.stderr)
        raise SystemExit(f"the {db} {scale} run failed (exit {proc.returncode})")
    return json.loads(out[-1].removeprefix("FIGURES "))


# --- One run, in its own process ------------------------------------------------------------


def _peak_mb() -> float:
    """This process's peak RSS since the last reset (VmHWM)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _reset_peak() -> None:
    import contextlib

    with contextlib.suppress(OSError):  # Linux: VmHWM starts again from now
        Path("/proc/self/clear_refs").write_text("5")


class Recorder:
    """Time, peak RSS and items (documents, messages, records written) per stage. A stage run
    inside another (the sweep's, the vote's) counts for itself, not for the one around it."""

    def __init__(self, code_of=None) -> None:
        self.stages: dict[str, dict] = {}
        self.stack: list[list[float]] = []  # [inner seconds, inner items, peak so far]
        self.code = None

    def items(self) -> int:
        from sqlalchemy import func, select

        from models import (
            IssuedDocument,
            Nomination,
            Notification,
            PeriodReport,
            Registration,
            Score,
            VoteReceipt,
        )
        from models.db import session_scope

        with session_scope() as s:
            return sum(  # rows written so far: the highest id, from the index (no count)
                s.execute(select(func.max(t.id))).scalar_one() or 0
                for t in (IssuedDocument, Nomination, Notification, PeriodReport, Registration,
                          Score, VoteReceipt)
            )  # fmt: skip

    def __call__(self, name: str):
        import contextlib

        @contextlib.contextmanager
        def timed():
            before = self.items()
            peak = _peak_mb()
            for frame in self.stack:  # the frames around keep their own peak
                frame[2] = max(frame[2], peak)
            _reset_peak()
            self.stack.append([0.0, 0, 0.0])
            t = time.perf_counter()
            try:
                yield
            finally:
                elapsed = time.perf_counter() - t
                inner_s, inner_items, inner_peak = self.stack.pop()
                peak = max(inner_peak, _peak_mb())
                made = self.items() - before
                if self.stack:
                    self.stack[-1][0] += elapsed
                    self.stack[-1][1] += made
                    self.stack[-1][2] = max(self.stack[-1][2], peak)
                st = self.stages.setdefault(name, {"s": 0.0, "rss_mb": 0.0, "items": 0, "n": 0})
                st["s"] += elapsed - inner_s
                st["items"] += made - inner_items
                st["rss_mb"] = max(st["rss_mb"], peak)
                st["n"] += 1
                if name != SWEEP or elapsed - inner_s > 1:
                    print(f"  {name:<24} {elapsed - inner_s:7.2f} s  {peak:5.0f} MB  "
                          f"{made - inner_items:>7} items", flush=True)  # fmt: skip

        return timed()


def _nomination_items(s, code: str, target: int) -> list[dict]:
    """`target` nominations spread over the participating units, four a unit: two people for
    Lao động tiên tiến, one of them also for Chiến sĩ thi đua cơ sở (every other unit) or a
    Giấy khen, and the unit itself for a Giấy khen. One LĐTT in twenty is rated only "hoàn
    thành nhiệm vụ", so the appraisal returns it."""
    from sqlmodel import select

    from models import Person
    from thidua.demo import _participants

    units = _participants(s, code)
    people: dict[int, list[int]] = {}
    for pid, uid, roles in s.exec(select(Person.id, Person.unit_id, Person.roles)
                                  .order_by(Person.id)):  # fmt: skip
        if "council_member" not in (roles or []) and "council_chair" not in (roles or []):
            people.setdefault(uid, []).append(pid)
    good = {"task_rating": "HTXSNV", "months_worked": 12, "discipline": "none"}
    items: list[dict] = []
    for i, u in enumerate(units):
        mine = people.get(u.id, [])[:2]
        actor = f"unit:{u.code}"
        for j, pid in enumerate(mine):
            rating = "HTNV" if (2 * i + j) % 20 == 7 else "HTXSNV"
            items.append({"unit_id": u.id, "person_id": pid, "title": "LDTT", "actor": actor,
                          "facts": {**good, "task_rating": rating},
                          "achievement": "Hoàn thành xuất sắc nhiệm vụ được giao."})  # fmt: skip
        if mine and i % 2 == 0:
            items.append({"unit_id": u.id, "person_id": mine[0], "title": "CSTDCS",
                          "actor": actor, "priority": 1,
                          "facts": {**good, "initiatives": [{"name": f"Sáng kiến {i}",
                                                             "level": "co_so"}]},
                          "achievement": "Có sáng kiến được công nhận cấp cơ sở."})  # fmt: skip
        elif mine:
            items.append({"unit_id": u.id, "person_id": mine[-1], "title": "GIAY_KHEN",
                          "actor": actor, "facts": {**good, "achievement_kind": "phong_trao"},
                          "achievement": "Có thành tích trong phong trào thi đua."})  # fmt: skip
        items.append({"unit_id": u.id, "collective_unit_id": u.id, "title": "GIAY_KHEN",
                      "actor": actor, "facts": {"task_rating": "HTTNV",
                                                "achievement_kind": "phong_trao"},
                      "achievement": f"{u.name} có thành tích trong phong trào."})  # fmt: skip
    return items[:target]


def _register_all(code: str, rng, *, late: bool) -> None:
    """As thidua.demo._register (every unit but the last two, those two late; each unit for a
    collective title and three of its people for Lao động tiên tiến), in one bulk call."""
    from sqlmodel import select

    from models import Person
    from models.db import session_scope
    from thidua import submissions
    from thidua.demo import _participants
    from thidua.movements import find_movement

    with session_scope() as s:
        m = find_movement(s, code)
        units = _participants(s, code)
        units = units[-2:] if late else units[:-2]
        first: dict[int, list[int]] = {}
        for pid, uid in s.exec(select(Person.id, Person.unit_id).order_by(Person.id)):
            if len(first.setdefault(uid, [])) < 3:
                first[uid].append(pid)
        items = []
        for u in units:
            title = "TTLDXS" if rng.random() < 0.3 else "TTLDTT"
            actor = f"unit:{u.code}"
            items.append({"unit_id": u.id, "titles": [title], "actor": actor})
            items += [{"unit_id": u.id, "person_id": pid, "titles": ["LDTT"], "actor": actor}
                      for pid in first.get(u.id, [])]  # fmt: skip
        submissions.register_many(s, movement=m, items=items, actor="unit")


def _report_all(code: str, number: int, rng) -> None:
    """As thidua.demo._report (every unit but two), in one bulk call."""
    from decimal import Decimal

    from sqlmodel import select

    from models import Target
    from models.db import session_scope
    from thidua import submissions
    from thidua.demo import _participants
    from thidua.movements import find_movement

    with session_scope() as s:
        m = find_movement(s, code)
        targets = list(s.exec(select(Target).where(Target.movement_id == m.id)))
        units = _participants(s, code)
        share = Decimal(1) / len(units) * (Decimal("0.45") if number == 1 else Decimal("0.6"))
        reports = [
            {"unit_id": u.id, "actor": f"unit:{u.code}",
             "summary": f"Kết quả Đợt {number} của {u.name}.",
             "values": {t.code: (t.value * share * Decimal(rng.uniform(0.9, 1.2)))
                        .quantize(Decimal("0.1")) for t in targets}}
            for u in units[:-2]
        ]  # fmt: skip
        submissions.submit_period_reports(s, movement=m, period_number=number, reports=reports)


def _score_all(code: str, rng) -> None:
    """As thidua.demo._score (each unit scores itself, its block leader a little lower), in
    two bulk calls."""
    from decimal import Decimal

    from sqlmodel import select

    from models import CriteriaTable, Criterion
    from models.db import session_scope
    from thidua.demo import _participants
    from thidua.movements import find_movement
    from thidua.scoring import submit_scores_many

    with session_scope() as s:
        m = find_movement(s, code)
        criteria = list(s.exec(select(Criterion).join(CriteriaTable).where(
            CriteriaTable.movement_id == m.id, CriteriaTable.replaced_at.is_(None))))  # fmt: skip
        own, leader, who = {}, {}, {}
        for u in _participants(s, code):
            own[u.id] = {c.code: (c.max_points * Decimal(rng.uniform(0.8, 1.0)))
                         .quantize(Decimal("0.5")) for c in criteria}  # fmt: skip
            leader[u.id] = {k: max(Decimal(0), v - Decimal(rng.choice([0, 0, 0.5, 1])))
                            for k, v in own[u.id].items()}  # fmt: skip
            who[u.id] = f"unit:{u.code}"
        submit_scores_many(s, movement=m, scorer_kind="self", sheets=own, actor=who)
        submit_scores_many(s, movement=m, scorer_kind="leader", sheets=leader,
                           actor="block_leader")  # fmt: skip


def people_plan(code: str, nominations: int, rec: Recorder, start_stage, *, per_item: bool) -> dict:
    """What the people do, on the days the demo does it (thidua.demo.replay_people): all but
    two units register the day after the launch, those two late; all but two report on each
    period's last working day; every unit scores (itself, then its block leader); the units
    nominate the day before the deadline; the returned dossiers are withdrawn; the council
    votes two working days after the appraisal; the head approves the next day. per_item: one
    domain call per unit and per dossier (the portal's way, the naive baseline); otherwise
    the domain's bulk calls."""
    import random
    from datetime import timedelta

    from models.db import session_scope
    from thidua import council, dossiers, steps
    from thidua.demo import _chair_code, _register, _report, _score, _vote, _withdraw_returned
    from thidua.holidays_vn import add_working_days as wd
    from thidua.movements import find_movement
    from thidua.replay import plan

    rng = random.Random(2022)
    p = plan(code)
    due = p.due
    acts: dict = {}

    def on(day, name: str, fn) -> None:
        def timed():
            with rec(name):
                fn()

        acts.setdefault(day, []).append((name, timed))

    def nominate() -> None:
        with session_scope() as s:
            m = find_movement(s, code)
            items = _nomination_items(s, code, nominations)
            if per_item:
                for it in items:
                    dossiers.nominate(s, movement=m, **it)
            else:
                dossiers.nominate_many(s, movement=m, items=items, actor="unit")

    def approve() -> None:
        for d in council.decisions(code):
            steps.approve(code, actor=_chair_code(code), decision_id=d.id, start_stage=start_stage)

    if per_item:  # the demo's own people: one domain call per unit
        register = lambda late: _register(code, rng, late=late)  # noqa: E731
        report = lambda n: _report(code, n, rng)  # noqa: E731
        score = lambda: _score(code, rng)  # noqa: E731
    else:
        register = lambda late: _register_all(code, rng, late=late)  # noqa: E731
        report = lambda n: _report_all(code, n, rng)  # noqa: E731
        score = lambda: _score_all(code, rng)  # noqa: E731
    on(wd(p.launch, 1), "registration", lambda: register(False))
    on(wd(due["registration"], 6), "registration", lambda: register(True))
    for n, ends_on in p.period_ends.items():
        on(wd(ends_on + timedelta(days=1), -1), f"reports-{n}", lambda n=n: report(n))
    on(wd(due["self_score"], -1), "scoring", score)
    on(wd(due["nominations"], -1), "nominations", nominate)
    appraisal = next(d for d, names in p.stages.items() if "appraisal" in names)
    on(appraisal, "withdraw", lambda: _withdraw_returned(code))
    on(wd(appraisal, 2), "vote", lambda: _vote(code, rng, start_stage))
    on(wd(appraisal, 3), "approval", approve)
    return acts


def _run(mode: str, scale: str) -> None:
    """One year (or its naive version) at one scale, on THIDUA_DATABASE_URL (else SQLite in
    THIDUA_DATA_DIR); prints FIGURES {json}."""
    from datetime import datetime

    units, blocks, people, nominations = SCALES[scale]
    data = Path(os.environ["THIDUA_DATA_DIR"])
    data.mkdir(parents=True)
    os.environ["THIDUA_PDF"] = "false"  # measured after the year, apart
    from thidua.settings import get_settings, reset_settings

    reset_settings()
    from flows.start import run_in_process
    from models.db import session_scope
    from models.migrate import upgrade
    from thidua import spec, synthetic
    from thidua.clock import set_clock
    from thidua.demo import EXAMPLE
    from thidua.replay import SWEEP_AT, launch_day, replay
    from thidua.sweep import sweep_movement

    rec = Recorder()
    loaded = spec.load_spec(EXAMPLE)
    start = launch_day(str(loaded.document.date), loaded.year)
    set_clock(datetime.combine(start, SWEEP_AT), data)
    t0 = time.perf_counter()
    upgrade(get_settings().database_url)
    with session_scope() as s:
        synthetic.generate_org(s, units=units, blocks=blocks, people=people, seed=2022)
        history = synthetic.generate_history(s, year=loaded.year, years=5, seed=2022)
        code = spec.store_spec(s, loaded, actor="bench").code
    # A warm worker: the flows (Prefect, docx, matplotlib…) imported once, before the year;
    # what a stage costs is what it does, not the process's start (bench/runtime.py times that)
    import flows.awards
    import flows.launch
    import flows.period
    import flows.review
    import flows.tally  # noqa: F401
    from thidua.documents import charts

    charts._plt()
    setup_s = time.perf_counter() - t0
    print(f"{scale}: {units} units, {blocks} blocks, {people} people, {history} past awards; "
          f"set up in {setup_s:.1f} s", flush=True)  # fmt: skip

    def start_stage(code_: str, name: str, *, actor: str):
        """Every stage — the office's, the sweep's, the vote's and the approval's next one —
        runs here, in this process, on the reused server, timed on its own."""
        with rec(name):
            run = run_in_process(code_, name, actor=actor)
        if run.status not in {"done", "pending", "already_done"}:
            raise SystemExit(f"stage {name}: {run.status}: {run.message}")
        return run

    naive = mode == "naive"
    if naive:
        import naive_year  # bench/: swaps the flows' batched tasks for per-item ones

        send = naive_year.send_per_message
    else:
        send = None

    def sweep(code_: str):
        with rec(SWEEP):
            return sweep_movement(code_, actor="sweep", send=send, start_stage=start_stage)

    acts = people_plan(code, nominations, rec, start_stage, per_item=naive)
    t = time.perf_counter()
    replay(code, data, acts, start_stage=start_stage, say=lambda line: None, sweep=sweep)
    wall = time.perf_counter() - t
    total = sum(st["s"] for st in rec.stages.values())

    with rec("pdf"):  # apart from the total
        from thidua.documents.pdf import convert_missing

        pdf = convert_missing(code) if scale == "full" else None  # measured once a database
    from thidua.replay import message_figures

    with session_scope() as s:
        from thidua.movements import find_movement

        m = find_movement(s, code)
        stage_now, movement_id = m.state, m.id
    figures, _ = message_figures(movement_id)
    pdf_st = rec.stages.pop("pdf")
    print(f"{scale} {mode}: ended in stage {stage_now}; messages {figures}; "
          f"pdf {pdf}", flush=True)  # fmt: skip
    out = {
        "total_s": total,
        "wall_s": wall,
        "setup_s": setup_s,
        "pdf_s": pdf_st["s"],
        "peak_rss_mb": max(st["rss_mb"] for st in rec.stages.values()),
        "stages": rec.stages,
        "load": f"{os.getloadavg()[0]:.2f}",
        "stage": stage_now,
    }
    print("FIGURES " + json.dumps(out), flush=True)


def _table(title: str, figures: dict) -> None:
    print(f"\n{title}: total {figures['total_s']:.1f} s (year, PDF apart), "
          f"peak RSS {figures['peak_rss_mb']:.0f} MB, load {figures['load']}")  # fmt: skip
    for name, st in figures["stages"].items():
        print(f"  {name:<28} {st['s']:8.2f} s  {st['rss_mb']:6.0f} MB  {st.get('items', '')}")


def main() -> None:
    from flows.server import ensure_server, stop_server

    load0 = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="thidua-province-") as tmp:
        work = Path(tmp)
        info = ensure_server(work / "server")  # one local Prefect server for every run
        try:
            runs = {}
            for db, scale in (("sqlite", "naive"), ("sqlite", "full"), ("sqlite", "quarter"),
                              ("postgres", "full"), ("postgres", "quarter")):  # fmt: skip
                t = time.monotonic()
                print(f"[{db} {scale}] …", flush=True)
                runs[(db, scale)] = _child(db, scale, work, info.api_url)
                print(f"[{db} {scale}] {time.monotonic() - t:.0f} s wall", flush=True)
        finally:
            stop_server(work / "server")
    for (db, scale), f in runs.items():
        _table(f"{db} {scale} ({'naive, 1/20' if scale == 'naive' else scale})", f)

    # How each stage grows: full / quarter (4× the units and the people: linear is 4.0)
    print("\nscaling, full ÷ quarter (linear = 4.0):")
    worst = 0.0
    for db in ("sqlite", "postgres"):
        full, quarter = runs[(db, "full")]["stages"], runs[(db, "quarter")]["stages"]
        parts = []
        for name, st in full.items():
            q = quarter.get(name, {}).get("s", 0)
            if q >= 0.5:  # below that, start-up noise dominates the ratio
                r = st["s"] / q
                worst = max(worst, r)
                parts.append(f"{name} {r:.1f}")
        print(f"  {db}: " + ", ".join(parts))

    # The naive way, per item, extrapolated to the province
    naive = runs[("sqlite", "naive")]
    full = runs[("sqlite", "full")]
    naive_total = 0.0
    print("\nnaive (1/20 sample, one task per item) extrapolated to the full scale:")
    for name, st in naive["stages"].items():
        items = st.get("items") or 0
        big = full["stages"].get(name, {}).get("items") or 0
        per = st["s"] / items if items else 0.0
        est = per * big if items else st["s"] * 20
        naive_total += est
        print(f"  {name:<28} {per * 1000:8.2f} ms/item × {big:>6} = {est:8.1f} s")
    sqlite_s, pg_s = full["total_s"], runs[("postgres", "full")]["total_s"]
    peak = max(f["peak_rss_mb"] for (_, s), f in runs.items() if s == "full")
    ratio = naive_total / sqlite_s
    load1 = os.getloadavg()
    print(f"\nload average at start {load0[0]:.2f}, at end {load1[0]:.2f} (2 cores, shared)")
    ok = sqlite_s < GOAL_S and pg_s < GOAL_S and peak < GOAL_RSS_MB and ratio >= 10
    print(
        f"RESULT province sqlite_s={sqlite_s:.1f} postgres_s={pg_s:.1f} peak_rss_mb={peak:.0f} "
        f"ratio_vs_naive={ratio:.1f} naive_s={naive_total:.0f} "
        f"sqlite_pdf_s={full['pdf_s']:.1f} "
        f"postgres_pdf_s={runs[('postgres', 'full')]['pdf_s']:.1f} "
        f"worst_scaling={worst:.1f} load={load0[0]:.1f}-{load1[0]:.1f} "
        f"status={'ok' if ok else 'over_goal'}"
    )


if __name__ == "__main__":
    if sys.argv[1:2] == ["--run"]:  # one run, in a child process of main()
        sys.path.insert(0, str(ROOT / "bench"))
        _run(sys.argv[2], sys.argv[3])
    else:
        main()
