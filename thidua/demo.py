"""The whole-movement demo: Hà Nam 2022 on a generated organisation, through every stage, with
every human step made through the same domain calls as the portal.

It runs in one process on the embedded default: SQLite under the data directory (or the empty
database THIDUA_DATABASE_URL names), the data directory's local Prefect server (flows.server:
kept between demo runs, reused by later commands), notifications to the outbox. The stages run
through the `start_stage` handler the caller passes in (`thidua demo`: flows.start's
run_in_process), and so do those the people's last vote and last approval start."""

import os
import random
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import partial
from pathlib import Path

from sqlmodel import col, select

from models.base import saved_id
from thidua.holidays_vn import add_working_days
from thidua.lifecycle import StartStage
from thidua.settings import PROJECT_ROOT, get_settings, reset_settings
from thidua.vn import short_date

MARKER = ".thidua-demo"
EXAMPLE = PROJECT_ROOT / "examples" / "hanam-sct-2022.yaml"


@dataclass
class DemoResult:
    movement: str
    state: str
    seconds: float
    stages: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    data_dir: Path = Path()
    held_reasons: list[str] = field(default_factory=list)  # why messages wait or failed


def prepare(data_dir: Path) -> None:
    """A fresh demo directory; a folder that holds anything but an earlier demo is refused. The
    data directory's Prefect server (prefect/) is kept, so a second demo starts warm."""
    from thidua.errors import ThiduaError

    data_dir = data_dir.resolve()
    if data_dir.exists() and any(data_dir.iterdir()):
        if not (data_dir / MARKER).exists():
            raise ThiduaError(
                f"Thư mục {data_dir} đã có dữ liệu không phải của bản chạy thử; hãy chọn thư mục "
                "khác (--data-dir)."
            )
        for entry in data_dir.iterdir():
            if entry.name == "prefect":
                continue
            if entry.is_dir():
                shutil.rmtree(entry)
            else:
                entry.unlink()
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / MARKER).write_text("thidua demo\n")
    os.environ["THIDUA_DATA_DIR"] = str(data_dir)
    os.environ.pop("THIDUA_CLOCK", None)  # the replay sets the data directory's clock
    # One LibreOffice run at the end for every official document, instead of one per stage.
    os.environ["THIDUA_PDF"] = "false"
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    reset_settings()


def _require_empty(session) -> None:
    """THIDUA_DATABASE_URL may name the office's database: the demo never writes into one that
    already holds a movement."""
    from models import Movement
    from thidua.errors import ThiduaError

    if session.exec(select(Movement.id)).first() is not None:
        raise ThiduaError(
            "Cơ sở dữ liệu THIDUA_DATABASE_URL đã có phong trào; bản chạy thử cần một cơ sở dữ "
            "liệu trống (tạo một cơ sở dữ liệu riêng, hoặc bỏ biến này để dùng SQLite)."
        )


def run_demo(
    data_dir: Path, *, start_stage: StartStage, units: int = 40, blocks: int = 4,
    people: int = 600,
    say: Callable[[str], None] = print, spec_path: Path | None = None, pdf: bool = True,
    until: date | None = None,
) -> DemoResult:  # fmt: skip
    """The movement of spec_path (Hà Nam 2022 by default; any examples/*.yaml runs the same
    way) replayed on its own calendar (thidua.replay), day by day from its launch to the
    decision (or to `until`), on a generated organisation of the given size."""
    started = time.monotonic()
    from thidua import spec

    # a bad spec is refused before anything is touched
    loaded = spec.load_spec(spec_path or EXAMPLE)
    if until is not None:
        from thidua.clock import check_year

        check_year(until, loaded.year, loaded.code)
    prepare(data_dir)
    from models.db import session_scope
    from models.migrate import upgrade
    from thidua import synthetic
    from thidua.clock import set_clock
    from thidua.replay import SWEEP_AT, launch_day

    # The office sets the movement up on the morning of its launch: from here on, every date
    # the system writes is the movement's own.
    start = launch_day(str(loaded.document.date), loaded.year)
    set_clock(datetime.combine(start, SWEEP_AT), get_settings().data_dir)

    upgrade(get_settings().database_url)
    with session_scope() as s:
        _require_empty(s)
        synthetic.generate_org(s, units=units, blocks=blocks, people=people, seed=2022)
        movement = spec.store_spec(s, loaded, actor="demo")
        code = movement.code
    say(f"Tổ chức: {units} đơn vị, {blocks} khối, {people} cán bộ. Phong trào: {code}")
    result = DemoResult(movement=code, state="", seconds=0.0, data_dir=get_settings().data_dir)
    replayed = replay_people(code, result, say, start_stage, until)
    last = short_date(replayed.last)
    say(f"Ngày cuối: {last} (đồng hồ phong trào của thư mục này dừng ở ngày đó).")

    if pdf:  # a step of its own: a slow LibreOffice leaves PDFs pending, never fails the demo
        from thidua.documents.pdf import convert_missing

        t = time.monotonic()
        say(f"  Bản PDF: {convert_missing(code).line()} ({time.monotonic() - t:.1f} s)")

    from thidua.movements import find_movement
    from thidua.replay import message_figures

    with session_scope() as s:
        m = find_movement(s, code)
        result.state, movement_id = m.state, saved_id(m)
        result.counts = _counts(s, movement_id)
    figures, result.held_reasons = message_figures(movement_id)
    result.counts.update(figures)
    result.seconds = time.monotonic() - started
    return result


def replay_people(
    code: str,
    result: DemoResult,
    say: Callable[[str], None],
    start_stage: StartStage,
    until: date | None = None,
):
    """The movement's year, day by day, with the people doing their part on the days set
    against the deadlines: most units early, two late (so reminders and escalations have
    someone to chase)."""
    from thidua import council, steps
    from thidua.errors import ThiduaError
    from thidua.replay import plan, replay

    rng = random.Random(2022)
    p = plan(code)
    due, wd = p.due, add_working_days
    acts: dict[date, list] = {}

    def on(day: date, what: str, fn: Callable[[], str | None]) -> None:
        acts.setdefault(day, []).append((what, fn))

    def stage(name: str) -> str:
        t = time.monotonic()
        run = start_stage(code, name, actor="admin")
        if run is None:  # the demo's starter runs each stage here and now
            raise ThiduaError(f"Giai đoạn {name} chạy nền, bản chạy thử không chờ được")
        result.stages.append(f"{name}: {run.status}")
        if run.status not in {"done", "pending", "already_done"}:  # pending: the sweep sends
            raise ThiduaError(f"Giai đoạn {name} không hoàn thành ({run.status}): {run.message}")
        return f"{time.monotonic() - t:.1f} s"

    on(wd(p.launch, 1), "register", lambda: _register(code, rng, late=False))
    on(wd(due["registration"], 6), "register late", lambda: _register(code, rng, late=True))
    for n, ends_on in p.period_ends.items():  # on the period's last working day, before
        # it closes (closing issues the units' reports)
        on(wd(ends_on + timedelta(days=1), -1), "report", partial(_report, code, n, rng))
    on(wd(due["self_score"], -1), "score", lambda: _score(code, rng))
    on(wd(due["nominations"], -1), "nominate", lambda: _nominate(code, rng))
    appraisal = next(d for d, names in p.stages.items() if "appraisal" in names)
    vote_day = wd(appraisal, 2)
    on(appraisal, "withdraw", lambda: _withdraw_returned(code))

    def vote() -> str:
        t = time.monotonic()
        n = _vote(code, rng, start_stage)
        return (
            f"Hội đồng bỏ phiếu kín ({n} thành viên); phiếu cuối cùng tự chạy giai đoạn "
            f"quyết định ({time.monotonic() - t:.1f} s)"
        )

    def approve() -> str:
        t = time.monotonic()
        ds = council.decisions(code)
        for d in ds:
            steps.approve(
                code, actor=_chair_code(code), decision_id=saved_id(d), start_stage=start_stage
            )
        return (
            f"Giám đốc phê duyệt {len(ds)} quyết định, tờ trình; giai đoạn kết thúc tự chạy "
            f"({time.monotonic() - t:.1f} s)"
        )

    on(vote_day, "vote", vote)
    on(wd(vote_day, 1), "approve", approve)
    say("Lịch phong trào (chỉ những ngày có việc):")
    return replay(
        code, get_settings().data_dir, acts, start_stage=start_stage, until=until, say=say,
        stage=stage,
    )  # fmt: skip


# --- The people's part: the same domain calls the portal makes ------------------------------


def _participants(s, code: str) -> list:
    from models import Participant, Unit
    from thidua.movements import find_movement

    m = find_movement(s, code)
    return list(
        s.exec(
            select(Unit).join(Participant, col(Participant.unit_id) == col(Unit.id))
            .where(Participant.movement_id == m.id).order_by(col(Unit.id))
        )
    )  # fmt: skip


def _register(code: str, rng: random.Random, *, late: bool) -> str:
    """Every unit but the last two registers early; those two register late."""
    from models import Person
    from models.db import session_scope
    from thidua import submissions
    from thidua.movements import find_movement

    with session_scope() as s:
        m = find_movement(s, code)
        units = _participants(s, code)
        units = units[-2:] if late else units[:-2]
        for u in units:
            title = "TTLDXS" if rng.random() < 0.3 else "TTLDTT"
            submissions.register(
                s, movement=m, unit_id=u.id, titles=[title], actor=f"unit:{u.code}"
            )
            for p in s.exec(select(Person).where(Person.unit_id == u.id).limit(3)):
                submissions.register(s, movement=m, unit_id=u.id, person_id=p.id,
                                     titles=["LDTT"], actor=f"unit:{u.code}")  # fmt: skip
    return f"{len(units)} đơn vị đăng ký thi đua" + (" (muộn)" if late else "")


def _report(code: str, number: int, rng: random.Random) -> str:
    """Every unit but two reports (so that status and reminders have someone to chase)."""
    from models import Target
    from models.db import session_scope
    from thidua import submissions
    from thidua.movements import find_movement

    with session_scope() as s:
        m = find_movement(s, code)
        targets = list(s.exec(select(Target).where(Target.movement_id == m.id)))
        units = _participants(s, code)
        for u in units[:-2]:
            share = Decimal(1) / len(units) * (Decimal("0.45") if number == 1 else Decimal("0.6"))
            values = {
                t.code: (t.value * share * Decimal(rng.uniform(0.9, 1.2))).quantize(Decimal("0.1"))
                for t in targets
            }
            submissions.submit_period_report(
                s, movement=m, unit_id=u.id, period_number=number, values=values,
                actor=f"unit:{u.code}", summary=f"Kết quả Đợt {number} của {u.name}.",
            )  # fmt: skip
    return f"{len(units) - 2} đơn vị báo cáo kết quả Đợt {number}"


def _score(code: str, rng: random.Random) -> str | None:
    """Each unit scores itself; the block leader scores its members a little lower."""
    from models import CriteriaTable, Criterion
    from models.db import session_scope
    from thidua.movements import find_movement
    from thidua.scoring import submit_scores

    with session_scope() as s:
        m = find_movement(s, code)
        criteria = list(
            s.exec(
                select(Criterion)
                .join(CriteriaTable)
                .where(CriteriaTable.movement_id == m.id, col(CriteriaTable.replaced_at).is_(None))
            )
        )
        if not criteria:  # a movement without block scoring (no bảng tiêu chí)
            return None
        for u in _participants(s, code):
            own = {c.code: (c.max_points * Decimal(rng.uniform(0.8, 1.0))).quantize(Decimal("0.5"))
                   for c in criteria}  # fmt: skip
            submit_scores(s, movement=m, unit_id=u.id, scorer_kind="self", points=own,
                          actor=f"unit:{u.code}")  # fmt: skip
            leader = {
                k: max(Decimal(0), v - Decimal(rng.choice([0, 0, 0.5, 1]))) for k, v in own.items()
            }
            submit_scores(s, movement=m, unit_id=u.id, scorer_kind="leader", points=leader,
                          actor="block_leader")  # fmt: skip
    return "các đơn vị tự chấm điểm, trưởng khối chấm điểm"


def _nominate(code: str, rng: random.Random) -> str:
    """Units propose most of their people as Lao động tiên tiến (so that the collective meets
    its ratio), one or two for Chiến sĩ thi đua cơ sở in their own order of priority, and
    themselves; one dossier is returned and corrected. One LĐTT rated below "hoàn thành tốt"
    is returned at appraisal and withdrawn. One unit proposes only half its people, so its
    collective misses the ratio: it goes before the council on an exception the office records
    (people still on probation, not yet considered for a title this year)."""
    from models import Person
    from models.db import session_scope
    from thidua import dossiers, exceptions
    from thidua.ballots import COUNCIL_ROLES
    from thidua.errors import ThiduaError
    from thidua.history import AwardItem, record_awards
    from thidua.movements import find_movement

    good = {"task_rating": "HTXSNV", "months_worked": 12, "discipline": "none"}
    with session_scope() as s:
        m = find_movement(s, code)
        first = half = None
        for i, u in enumerate(_participants(s, code)):
            people = list(
                s.exec(select(Person).where(Person.unit_id == u.id).order_by(col(Person.id)))
            )
            share = len(people) // 2 if i == 1 else len(people) * 2 // 3 + 1
            ldtt = people[:share]
            for j, p in enumerate(ldtt):
                rating = "HTNV" if (i, j) == (2, 1) else "HTTNV"
                n = dossiers.nominate(
                    s, movement=m, unit_id=u.id, person_id=p.id, title="LDTT",
                    actor=f"unit:{u.code}", facts={**good, "task_rating": rating},
                    achievement=f"{p.full_name} hoàn thành tốt nhiệm vụ năm {m.year}.",
                )  # fmt: skip
                if first is None and not set(p.roles or []) & set(COUNCIL_ROLES):
                    first = n  # not on the council: it votes on his dossier with all members
            stars = ldtt[:2] if i == 0 else ldtt[:1] if i % 3 == 0 else []
            for j, p in enumerate(stars):
                dossiers.nominate(
                    s, movement=m, unit_id=u.id, person_id=p.id, title="CSTDCS",
                    actor=f"unit:{u.code}", priority=len(stars) - j,
                    facts={**good, "initiatives": [{"name": f"Sáng kiến {i}.{j}",
                                                    "level": "co_so"}]},
                    achievement=f"{p.full_name} có sáng kiến được công nhận cấp cơ sở.",
                )  # fmt: skip
            collective = dossiers.nominate(
                s, movement=m, unit_id=u.id, collective_unit_id=u.id, title="TTLDTT",
                actor=f"unit:{u.code}", facts={"task_rating": "HTTNV"},
                achievement=f"{u.name} hoàn thành tốt nhiệm vụ năm {m.year}.",
            )  # fmt: skip
            half = collective if i == 1 else half
        if first is None or half is None:  # the sample organisation always gives both
            raise ThiduaError("Dữ liệu mẫu thiếu hồ sơ để trả lại hoặc để ghi ngoại lệ")
        # A three-year CSTDCS proposed for Chiến sĩ thi đua cấp tỉnh (decided upward): ≥ 90% of
        # the whole council, so the nominee is someone who does not sit on it
        star = first.person_id
        record_awards(s, [AwardItem(f"person:{star}", y, "CSTDCS") for y in (2019, 2020, 2021)])
        dossiers.nominate(
            s, movement=m, unit_id=first.unit_id, person_id=star, title="CSTD_TINH",
            actor="unit", achievement="Ba năm liên tục Chiến sĩ thi đua cơ sở; sáng kiến cấp tỉnh.",
            facts={**good, "initiatives": [{"name": "Số hóa hồ sơ", "level": "tinh"}]},
        )  # fmt: skip
        # The office returns one dossier for correction; the unit corrects and resends it
        dossiers.return_dossier(s, nomination=first, reason="Thiếu số tháng làm việc", actor="vp")
        dossiers.resubmit(s, nomination=first, facts=good, actor="unit")
        # The office's emulation officer puts the collective short of its ratio before the council
        exceptions.record_exception(
            s, movement=m, nomination_id=saved_id(half), rule_ids=["TTLDTT.ty_le_ldtt"],
            actor=_admin_code(s),
            reason="Đơn vị có cán bộ mới tuyển dụng đang trong thời gian tập sự, chưa thuộc diện "
            "bình xét danh hiệu năm nay; tính trên số người thuộc diện bình xét, tỷ lệ Lao động "
            "tiên tiến trên 50%.",
        )  # fmt: skip
    return "các đơn vị gửi hồ sơ đề nghị khen thưởng (một hồ sơ trả lại, đã bổ sung)"


def _withdraw_returned(code: str) -> str:
    """Each unit withdraws the dossiers the appraisal returned to it."""
    from models import Nomination
    from models.db import session_scope
    from thidua import dossiers
    from thidua.movements import find_movement

    with session_scope() as s:
        m = find_movement(s, code)
        returned = s.exec(
            select(Nomination).where(Nomination.movement_id == m.id,
                                     Nomination.status == "returned")
        ).all()  # fmt: skip
        reason = "Đơn vị rút hồ sơ chưa đạt tiêu chuẩn."
        dossiers.withdraw_many(s, [(n, reason) for n in returned], actor="unit")
    return "đơn vị rút hồ sơ bị trả lại khi thẩm định"


def _admin_code(s) -> str:
    from models import Person

    return next(p.code for p in s.exec(select(Person).order_by(col(Person.id)))
                if "admin" in (p.roles or []))  # fmt: skip


def _vote(code: str, rng: random.Random, start_stage: StartStage) -> int:
    from models import CouncilMember, Nomination, Recusal
    from models.db import session_scope
    from thidua import steps
    from thidua.ballots import agenda as agenda_of
    from thidua.council import held_meeting
    from thidua.movements import find_movement

    with session_scope() as s:
        meeting = held_meeting(s, find_movement(s, code))
        members = [
            m.person_id
            for m in s.exec(
                select(CouncilMember).where(CouncilMember.council_id == meeting.council_id)
            )
        ]
        agenda = agenda_of(meeting)
        titles = dict(
            s.exec(
                select(Nomination.id, Nomination.title).where(col(Nomination.id).in_(agenda))
            ).all()
        )
        recused = set(
            s.exec(
                select(CouncilMember.person_id, Recusal.nomination_id)
                .join(Recusal, col(Recusal.member_id) == col(CouncilMember.id))
                .where(Recusal.meeting_id == meeting.id)
            ).all()
        )
    for pid in members:  # one ballot paper per member; a few say no to a few LDTT
        paper = {
            nid: "no" if titles[nid] == "LDTT" and rng.random() < 0.05 else "yes"
            for nid in agenda
            if (pid, nid) not in recused  # nobody votes on his own dossier
        }
        steps.vote(code, actor=f"person:{pid}", choices=paper, start_stage=start_stage)
    return len(members)


def _chair_code(code: str) -> str:
    from models import Council, Person
    from models.db import session_scope
    from thidua.movements import find_movement

    with session_scope() as s:
        c = s.exec(select(Council).where(Council.movement_id == find_movement(s, code).id)).one()
        return s.get_one(Person, c.chair_person_id).code


def _counts(s, movement_id: int) -> dict[str, int]:
    from sqlalchemy import func

    from models import AuditEvent, IssuedDocument, Nomination, Notification

    def n(model, *where) -> int:
        return s.exec(select(func.count()).select_from(model).where(*where)).one()

    return {
        "văn bản": n(IssuedDocument, IssuedDocument.movement_id == movement_id),
        "bản PDF": n(IssuedDocument, IssuedDocument.movement_id == movement_id,
                     col(IssuedDocument.pdf_path).is_not(None)),
        "thông báo đã gửi": n(Notification, Notification.movement_id == movement_id,
                              Notification.status == "sent"),
        "hồ sơ được khen thưởng": n(Nomination, Nomination.movement_id == movement_id,
                                    Nomination.status == "awarded"),
        "hồ sơ trình cấp trên": n(Nomination, Nomination.movement_id == movement_id,
                                  Nomination.status == "accepted"),
        "sự kiện nhật ký": n(AuditEvent, AuditEvent.movement_id == movement_id),
    }  # fmt: skip
