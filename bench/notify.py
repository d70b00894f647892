"""Benchmark: 20,000 personalised Vietnamese reminders to a local SMTP sink.

Ours: the real path — deliver() renders each template, reserves the ledger rows (SQLite in a
temp data dir, bulk INSERT … ON CONFLICT DO NOTHING), builds the MIME message, sends it over
reused SMTP connections, and marks the rows sent in bulk.
Ceiling: a bare smtplib loop on one connection sending the same messages, pre-built, to the
same sink in the same run. The sink is aiosmtpd in a separate process doing nothing but accept.

    uv run python bench/notify.py          # ends with: RESULT notify ratio=… ours_mps=… …
"""

import multiprocessing
import os
import smtplib
import socket
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

N = int(os.environ.get("BENCH_NOTIFY_N", "20000"))
ROUNDS = 4
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _sink(port: int, ready) -> None:
    import asyncio

    from aiosmtpd.controller import Controller

    class Accept:
        async def handle_DATA(self, server, session, envelope):
            return "250 OK"

    c = Controller(Accept(), hostname="127.0.0.1", port=port)
    c.start()
    ready.set()
    asyncio.run(asyncio.sleep(10**6))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _setup(tmp: Path, port: int) -> int:
    os.environ.update(
        THIDUA_DATA_DIR=str(tmp),
        THIDUA_DATABASE_URL=f"sqlite:///{tmp / 'thidua.db'}",
        THIDUA_EMAIL_URL=f"mailto://127.0.0.1:{port}?from=van-phong@sct.hanam.gov.vn&mode=insecure"
        + os.environ.get("BENCH_NOTIFY_URL_EXTRA", ""),
        THIDUA_QUIET_HOURS="",  # the benchmark may run at night
    )
    from models import Movement, Person, Unit
    from models.db import session_scope
    from models.migrate import upgrade
    from thidua.settings import get_settings, reset_settings

    reset_settings()
    upgrade(get_settings().database_url)
    with session_scope() as s:
        m = Movement(
            code="bench",
            year=2026,
            title="Phong trào thi đua năm 2026",
            doc_kind="ke_hoach",
            doc_symbol="KH-SCT",
            agency="Sở Công Thương",
            agency_code="SCT",
            place="Hà Nam",
            issued_date="2026-03-05",
            theme="Đoàn kết, kỷ cương, sáng tạo",
            signer_title="GIÁM ĐỐC",
            signer_name="Lê Nguyên Ngọc",
        )
        s.add(m)
        s.flush()
        units = [
            Unit(code=f"U{i:04d}", name=f"Phòng Quản lý Công nghiệp và Thương mại số {i}")
            for i in range(200)
        ]
        s.add_all(units)
        s.flush()
        s.bulk_save_objects(
            [
                Person(
                    code=f"P{i:06d}",
                    full_name=f"Nguyễn Thị Ánh Tuyết {i}",
                    unit_id=units[i % 200].id,
                    email=f"nguoi.nhan.{i}@sct.hanam.gov.vn",
                    roles=["focal_point"],
                )
                for i in range(N)
            ]
        )
        return m.id


def _messages(movement_id: int):
    from sqlmodel import select

    from models import Person, Unit
    from models.db import session_scope
    from thidua.notify import OutgoingMessage

    with session_scope() as s:
        people = s.exec(select(Person.id, Unit.id, Unit.name).join(Unit)).all()
    return [
        OutgoingMessage(
            "reminder:period_1_report:before:3:2026-06-30",
            "period_report_reminder",
            pid,
            {
                "unit_id": uid,
                "unit_name": uname,
                "obligation_kind": "period_1_report",
                "obligation": "Báo cáo kết quả Đợt 1",
                "due_date": date(2026, 6, 30),
                "phase": "before",
                "days_left": 3,
                "days_overdue": 0,
                "period_number": 1,
            },
        )
        for pid, uid, uname in people
    ]


def _prepare(msgs) -> list[tuple[str, bytes]]:
    """The ceiling's messages: the same ones, rendered and built beforehand (not timed)."""
    from models import Person
    from models.db import session_scope
    from thidua.notify.messages import render_email
    from thidua.notify.mime import build_email

    with session_scope() as s:
        people = {p.id: (p.email, p.full_name) for p in s.query(Person)}
    base = {"movement_title": "Phong trào thi đua năm 2026", "agency": "Sở Công Thương"}
    out = []
    for i, m in enumerate(msgs):
        addr, name = people[m.person_id]
        f = render_email(
            m.kind,
            {**base, "recipient_name": name, "recipient_unit": m.context["unit_name"], **m.context},
        )
        data = build_email(
            from_addr="van-phong@sct.hanam.gov.vn",
            from_name=None,
            to_addr=addr,
            to_name=name,
            subject=f.subject,
            body=f.body,
            message_id=f"<c{i}@b>",
        )
        out.append((addr, data))
    return out


def _ceiling(port: int, prepared: list[tuple[str, bytes]]) -> float:
    """Seconds for a bare smtplib loop on one connection."""
    t = time.perf_counter()
    conn = smtplib.SMTP("127.0.0.1", port)
    for to, data in prepared:
        conn.sendmail("van-phong@sct.hanam.gov.vn", [to], data)
    conn.quit()
    return time.perf_counter() - t


def main() -> None:
    port = _free_port()
    ctx = multiprocessing.get_context("spawn")
    ready = ctx.Event()
    sink = ctx.Process(target=_sink, args=(port, ready), daemon=True)
    sink.start()
    ready.wait(30)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            movement_id = _setup(Path(tmp), port)
            msgs = _messages(movement_id)
            prepared = _prepare(msgs)

            from thidua.notify import deliver

            # Interleaved rounds, so both sides see the same load on a shared machine.
            ceiling_s = ours_s = ours_cpu = 0.0
            sent = 0
            step = N // ROUNDS
            for r in range(ROUNDS):
                part = slice(r * step, N if r == ROUNDS - 1 else (r + 1) * step)
                ceiling_s += _ceiling(port, prepared[part])
                t, c = time.perf_counter(), time.process_time()
                report = deliver(movement_id, msgs[part], batch_size=500)
                ours_s += time.perf_counter() - t
                ours_cpu += time.process_time() - c
                assert report.failed_temporary == report.failed_permanent == 0, report.summary()
                sent += report.sent
            assert sent == N
            again = deliver(movement_id, msgs[:1000])
            assert again.sent == 0 and again.skipped_already_sent == 1000
            ceiling, ours, cpu_ms = N / ceiling_s, N / ours_s, ours_cpu / N * 1000
    finally:
        sink.terminate()
    print(f"messages={N} ceiling (bare smtplib, one connection, pre-built): {ceiling:.0f} msg/s")
    print(
        f"ours (render + ledger + MIME + send + mark): {ours:.0f} msg/s, "
        f"{cpu_ms:.2f} ms of client CPU a message (all threads)"
    )
    print(
        f"RESULT notify ratio={ours / ceiling:.2f} ours_mps={ours:.0f} ceiling_mps={ceiling:.0f} "
        f"ours_cpu_ms={cpu_ms:.2f}"
    )


if __name__ == "__main__":
    main()
