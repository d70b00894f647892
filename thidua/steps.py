"""Every step a person takes, one function each — the one way in for the portal, the CLI, the
workbook import and the demo.

A step opens its own unit of work, holds the movement so that its stage cannot change under it
(PostgreSQL: the movement's row, shared — exclusive for approvals; SQLite: the writer lock, taken
first), names its actor and checks his right (thidua.access), and calls the domain function
that checks the stage and the input, writes, and audits once (thidua.submissions, scoring,
dossiers, exceptions, ballots, awarding). It returns a `Done`: a Vietnamese sentence saying
what happened, the record concerned, and whether anything changed — a step taken again (a
double click, a repeated command, two requests at once) changes nothing and says so. A refusal
is a ThiduaError: TransitionRefused (not now: the stage, a status), Forbidden (not this actor),
InvalidInput (every problem with the input at once), NotFound. Nothing is half-written.

The steps that complete a stage's human part start the next stage once they have committed,
through the `start_stage` handler their caller passes in (thidua.lifecycle.StartStage): the last
ballot (or the chair closing the vote) starts `decision`, the last approval `close`."""

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from sqlalchemy import text
from sqlmodel import Session, select

from models import Decision, Meeting, Movement, Nomination, PeriodReport, Person, Unit
from models.base import saved_id
from models.db import session_scope
from thidua import access, awarding, ballots, dossiers, exceptions, scoring, submissions
from thidua.council import council_of, current_meeting
from thidua.errors import AlreadyDone, Forbidden, InvalidInput, NotFound, Problem, TransitionRefused
from thidua.lifecycle import StartStage, period_phrase
from thidua.movements import find_movement
from thidua.rules.engine import rule_set_for
from thidua.statuses import MeetingStatus


@dataclass(frozen=True)
class Done:
    """What a step did, as the portal shows it and the CLI prints it."""

    message: str  # a Vietnamese sentence
    changed: bool = True  # False: it had been done before; nothing was written
    id: int | None = None  # the record made or acted on (a nomination, a report, a decision…)
    started: str | None = None  # the stage this step started

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class Upload:
    """A file as received: the name the sender gave it (a label only) and its bytes."""

    filename: str
    content: bytes
    content_type: str = ""


# --- the unit of work ------------------------------------------------------------------------


@contextmanager
def unit_of_work() -> Iterator[Session]:
    """One unit of work: committed at the end, rolled back whole on any refusal. On SQLite the
    writer lock is taken first, so that what the step reads (the stage, a status, what exists)
    is still true when it writes."""
    with session_scope() as s:
        if s.get_bind().dialect.name == "sqlite":
            s.execute(text("UPDATE movement SET id = id WHERE 1 = 0"))
        s.info["audited"] = 0
        yield s


def held_movement(
    s: Session, code: str | None = None, *, movement_id: int | None = None, exclusive=False
) -> Movement:
    """The movement, held until the step commits (PostgreSQL): shared, so that no stage moves
    on under the step; exclusive where two steps must not interleave (approvals)."""
    where = Movement.code == code if movement_id is None else Movement.id == movement_id
    found = s.exec(select(Movement).where(where).with_for_update(read=not exclusive)).first()
    if found is not None:
        return found
    if code is not None and movement_id is None:
        find_movement(s, code)  # raises, naming the movements there are
    raise NotFound(f"Không có phong trào {code or movement_id}.")


def _changed(s: Session) -> bool:
    """Did the step write anything? Every change a step makes is audited (lifecycle.audit)."""
    return s.info.get("audited", 0) > 0


def _unit(s: Session, ref: int | str) -> Unit:
    """A unit by its id or its code."""
    unit = s.get(Unit, ref) if isinstance(ref, int) else None
    if unit is None and isinstance(ref, str):
        unit = s.exec(select(Unit).where(Unit.code == ref.strip())).first()
    if unit is None:
        raise NotFound(f"Không có đơn vị '{ref}'.")
    return unit


def _person(s: Session, ref: int | str) -> Person:
    """A person by id or by code."""
    person = s.get(Person, ref) if isinstance(ref, int) else None
    if person is None and isinstance(ref, str):
        person = s.exec(select(Person).where(Person.code == ref.strip())).first()
    if person is None:
        raise NotFound(f"Không có cán bộ '{ref}'.")
    return person


def _id(row: Person | Unit | None) -> int | None:
    return None if row is None else saved_id(row)


def _nomination(s: Session, nomination_id: int) -> tuple[Nomination, Movement]:
    n = dossiers.get_nomination(s, nomination_id)
    return n, held_movement(s, movement_id=n.movement_id)


def _subject(s: Session, n: Nomination) -> str:
    return exceptions.subject_names(s, [n])[saved_id(n)]


# --- a unit's steps --------------------------------------------------------------------------


def register(
    code: str,
    *,
    actor: str,
    unit: int | str,
    titles: list[str],
    person: int | str | None = None,
    pledge: str | None = None,
) -> Done:
    """A unit registers itself — or one of its people — for titles (đăng ký thi đua)."""
    with unit_of_work() as s:
        m = held_movement(s, code)
        who = access.actor(s, actor)
        u = _unit(s, unit)
        uid = saved_id(u)
        access.for_unit(s, who, uid, "đăng ký thi đua", m)
        p = _person(s, person) if person not in (None, "") else None
        submissions.register(
            s, movement=m, unit_id=uid, titles=titles, actor=who.name,
            person_id=_id(p), pledge=pledge,
        )  # fmt: skip
        rs = rule_set_for(m)
        names = ", ".join(rs.title_name(t) for t in dict.fromkeys(titles))
        whom = p.full_name if p else u.name
        if _changed(s):
            n = len(dict.fromkeys(titles))
            return Done(f"Đã ghi đăng ký thi đua ({n} danh hiệu) cho {whom}: {names}.", id=uid)
        return Done(f"{whom} đã đăng ký {names} trước đó; không ghi thêm.", False, uid)


def submit_report(
    code: str,
    *,
    actor: str,
    unit: int | str,
    period: int,
    values: Mapping[str, Decimal | str | float | int],
    growth: Mapping[str, Decimal | str | float | int] | None = None,
    summary: str = "",
) -> Done:
    """A unit's report for a period: a figure per target (by code), the growth where the
    directive set one, a summary. Sent again while the period takes reports, it replaces the
    figures given."""
    with unit_of_work() as s:
        m = held_movement(s, code)
        who = access.actor(s, actor)
        u = _unit(s, unit)
        uid = saved_id(u)
        phrase = period_phrase(s, m, period)
        access.for_unit(s, who, uid, f"nộp báo cáo {phrase}", m)
        report = submissions.submit_period_report(
            s, movement=m, unit_id=uid, period_number=period, values=values, actor=who.name,
            summary=summary, growth=growth,
        )  # fmt: skip
        rid = saved_id(report)
        if _changed(s):
            return Done(f"Đã nộp báo cáo {phrase}.", id=rid)
        return Done(
            f"Báo cáo {phrase} của {u.name} đã nộp trước đó với đúng nội dung này; không ghi "
            "thêm.", False, rid,
        )  # fmt: skip


def score(
    code: str,
    *,
    actor: str,
    unit: int | str,
    points: Mapping[str, Decimal | str],
    kind: str = "self",
    evidence: str | dict[str, str] | None = None,
) -> Done:
    """A sheet of points for a unit against its block's criteria: its own ("self"), its block
    leader's ("leader") or the council's ("council")."""
    with unit_of_work() as s:
        m = held_movement(s, code)
        who = access.actor(s, actor)
        u = _unit(s, unit)
        uid = saved_id(u)
        if kind == "self":
            access.for_unit(s, who, uid, "tự chấm điểm", m)
        elif kind == "leader":
            access.block_leader(s, who, scoring.block_of(s, saved_id(m), uid), u.name)
        elif kind == "council":
            access.council_scorer(who)
        else:
            known = ", ".join(scoring.SCORER_KINDS)
            raise InvalidInput(
                "Điểm chấm chưa được ghi",
                [Problem("Người chấm", f"'{kind}' không có (có: {known})")],
            )
        scoring.submit_scores(
            s, movement=m, unit_id=uid, scorer_kind=kind, points=dict(points), actor=who.name,
            evidence=evidence,
        )  # fmt: skip
        what = f"điểm {scoring.SCORER_KINDS[kind]} cho {u.name}"
        if _changed(s):
            return Done(f"Đã ghi {what}.", id=uid)
        return Done(
            f"{what.capitalize()} đã ghi trước đó đúng như vậy; không ghi thêm.", False, uid
        )


def nominate(
    code: str,
    *,
    actor: str,
    unit: int | str,
    title: str,
    person: int | str | None = None,
    collective: int | str | None = None,
    achievement: str = "",
    facts: dict | None = None,
    fact_text: Mapping[str, str] | None = None,
    unticked_is_no: bool = False,
    priority: int | None = None,
    evidence: list[Upload] | None = None,
    subject_kind: str | None = None,
) -> Done:
    """A unit proposes one of its people, or itself or a unit below it, for a title, with its
    facts — typed (`facts`), or as text from a form, a command line or a workbook (`fact_text`,
    read by dossiers.read_facts) — its own priority, and evidence files, all in one unit of
    work: no dossier without its files, no file without its dossier."""
    written: list = []
    try:
        with unit_of_work() as s:
            m = held_movement(s, code)
            who = access.actor(s, actor)
            u = _unit(s, unit)
            uid = saved_id(u)
            access.for_unit(s, who, uid, "gửi hồ sơ đề nghị khen thưởng", m)
            p = _person(s, person) if person not in (None, "") else None
            c = _unit(s, collective) if collective not in (None, "") else None
            wrong: list[Problem] = []  # the facts' problems, with the dossier's, at once
            if fact_text is not None:
                collective_kind = c is not None or subject_kind == "collective"
                kind = "collective" if collective_kind else "individual"
                try:
                    read = dossiers.read_facts(rule_set_for(m), kind, fact_text,
                                               unticked_is_no=unticked_is_no)  # fmt: skip
                except InvalidInput as e:
                    read, wrong = {}, e.problems
                facts = {**(facts or {}), **read}
            try:
                n = dossiers.nominate(
                    s, movement=m, unit_id=uid, title=title, actor=who.name,
                    person_id=_id(p), collective_unit_id=_id(c),
                    achievement=achievement, facts=facts, priority=priority,
                    subject_kind=subject_kind,
                )  # fmt: skip
            except InvalidInput as e:
                raise InvalidInput(e.message, [*e.problems, *wrong]) from None
            if wrong:
                raise InvalidInput("Hồ sơ đề nghị không hợp lệ", wrong)
            made = _changed(s)
            for f in evidence or []:
                written.append(
                    dossiers.add_evidence(
                        s,
                        nomination=n,
                        filename=f.filename,
                        content=f.content,
                        content_type=f.content_type,
                        actor=who.name,
                    )
                )
            line = (
                f"hồ sơ đề nghị số {n.id}: {_subject(s, n)} — {rule_set_for(m).title_name(n.title)}"
            )
            if made:
                return Done(f"Đã gửi {line}.", id=n.id)
            if _changed(s):
                return Done(f"Đã bổ sung minh chứng cho {line}.", id=n.id)
            return Done(f"Đã gửi {line} trước đó; không ghi thêm.", False, n.id)
    except BaseException:
        for ev in written:  # nothing half-written: no file without its row
            dossiers.evidence_path(ev).unlink(missing_ok=True)
        raise


def add_evidence(
    *, actor: str, nomination_id: int, filename: str, content: bytes, content_type: str = ""
) -> Done:
    """An evidence file for a dossier its unit still works on (not once the council sits on
    it). The same file again changes nothing."""
    written: list = []
    try:
        with unit_of_work() as s:
            n, _m = _nomination(s, nomination_id)
            who = access.actor(s, actor)
            access.for_unit(s, who, n.unit_id, "bổ sung minh chứng")
            ev = dossiers.add_evidence(s, nomination=n, filename=filename, content=content,
                                       content_type=content_type, actor=who.name)  # fmt: skip
            if not _changed(s):
                return Done(
                    f"Tệp này đã có trong hồ sơ số {n.id} (tên «{ev.filename}»); không ghi thêm.",
                    False, n.id,
                )  # fmt: skip
            written.append(ev)
            return Done(f"Đã tải lên tệp minh chứng «{ev.filename}» cho hồ sơ số {n.id}.", id=n.id)
    except BaseException:
        for ev in written:
            dossiers.evidence_path(ev).unlink(missing_ok=True)
        raise


def resubmit(
    *,
    actor: str,
    nomination_id: int,
    achievement: str | None = None,
    facts: dict | None = None,
) -> Done:
    """The unit sends a returned dossier again, corrected."""
    with unit_of_work() as s:
        n, _m = _nomination(s, nomination_id)
        who = access.actor(s, actor)
        access.for_unit(s, who, n.unit_id, "gửi lại hồ sơ")
        dossiers.resubmit(s, nomination=n, actor=who.name, achievement=achievement, facts=facts)
        if _changed(s):
            return Done(f"Đã gửi lại hồ sơ số {n.id}.", id=n.id)
        return Done(f"Hồ sơ số {n.id} đã được gửi, đang chờ xét; không ghi thêm.", False, n.id)


def withdraw(*, actor: str, nomination_id: int, reason: str) -> Done:
    """The unit withdraws its own dossier, with its reason."""
    with unit_of_work() as s:
        n, _m = _nomination(s, nomination_id)
        who = access.actor(s, actor)
        access.for_unit(s, who, n.unit_id, "rút hồ sơ")
        dossiers.withdraw(s, nomination=n, reason=reason, actor=who.name)
        if _changed(s):
            return Done(f"Đã rút hồ sơ số {n.id}.", id=n.id)
        return Done(f"Hồ sơ số {n.id} đã được rút trước đó; không ghi thêm.", False, n.id)


# --- the office's steps ----------------------------------------------------------------------


def return_report(*, actor: str, report_id: int, reason: str) -> Done:
    """The office sends a period report back to its unit, with what to fix."""
    with unit_of_work() as s:
        report = s.get(PeriodReport, report_id)
        if report is None:
            raise NotFound(f"Không tìm thấy báo cáo số {report_id}.")
        m, rid = held_movement(s, movement_id=report.movement_id), saved_id(report)
        who = access.actor(s, actor)
        access.office(who, "trả lại báo cáo")
        submissions.return_report(s, report_id=rid, reason=reason, actor=who.name)
        phrase = period_phrase(s, m, report.period_number)
        what = f"báo cáo {phrase} của {_unit(s, report.unit_id).name}"
        if _changed(s):
            return Done(f"Đã trả lại {what}.", id=rid)
        return Done(f"{what.capitalize()} đã được trả lại trước đó; không ghi thêm.", False, rid)


def return_dossier(*, actor: str, nomination_id: int, reason: str) -> Done:
    """The office sends a dossier back to its unit for correction, saying what to fix."""
    with unit_of_work() as s:
        n, _m = _nomination(s, nomination_id)
        who = access.actor(s, actor)
        access.office(who, "trả lại hồ sơ")
        dossiers.return_dossier(s, nomination=n, reason=reason, actor=who.name)
        if _changed(s):
            return Done(f"Đã trả lại hồ sơ số {n.id} cho đơn vị.", id=n.id)
        return Done(f"Hồ sơ số {n.id} đã được trả lại trước đó; không ghi thêm.", False, n.id)


def record_exception(
    *, actor: str, nomination_id: int, rules: list[str], reason: str, code: str | None = None
) -> Done:
    """The office (or the council's chair) puts a dossier failing a rule before the council,
    for a stated reason. With `code`, the dossier must be of that movement."""
    with unit_of_work() as s:
        n = dossiers.get_nomination(s, nomination_id)
        m = held_movement(s, code, movement_id=None if code else n.movement_id)
        rows = exceptions.record_exception(s, movement=m, nomination_id=nomination_id,
                                           rule_ids=rules, reason=reason, actor=actor)  # fmt: skip
        ids = ", ".join(dict.fromkeys(r.rule_id for r in rows))
        if _changed(s):
            return Done(f"Đã ghi nhận ngoại lệ cho hồ sơ số {nomination_id} (tiêu chuẩn {ids}).",
                        id=nomination_id)  # fmt: skip
        return Done(
            f"Ngoại lệ cho hồ sơ số {nomination_id} (tiêu chuẩn {ids}) đã được ghi nhận trước "
            "đó; không ghi thêm.", False, nomination_id,
        )  # fmt: skip


# --- the council's and the head's steps ------------------------------------------------------


def _open_meeting(s: Session, movement: Movement) -> Meeting:
    meeting = current_meeting(s, movement)
    if meeting is None or meeting.status != MeetingStatus.OPEN:
        raise TransitionRefused("Hội đồng không có phiên bỏ phiếu nào đang mở.")
    return meeting


def _member(who: access.Actor) -> int:
    if who.person_id is None:
        raise Forbidden(f"{who.full_name} không phải là thành viên Hội đồng.")
    return who.person_id


def vote(code: str, *, actor: str, choices: Mapping[int, str], start_stage: StartStage) -> Done:
    """A council member's secret ballot paper: a choice (yes | no | blank) per nomination. A
    paper naming a dossier he has voted on is not recorded (his first ballot stands). The
    last ballot in closes the vote and starts the decision stage."""
    ids = ", ".join(str(i) for i in sorted(choices))
    try:
        with session_scope() as s:  # ballots take their own locks and commit the paper
            who = access.actor(s, actor)
            meeting = _open_meeting(s, find_movement(s, code))
            ballots.cast_ballot_paper(s, meeting, member_person_id=_member(who),
                                      choices=dict(choices), actor=who.name)  # fmt: skip
    except AlreadyDone as e:
        return Done(f"{e.message}. Phiếu lần này không được ghi.", False)
    if _close_if_complete(code, start_stage):
        return Done(
            f"Đã ghi phiếu bầu cho hồ sơ số {ids}. Mọi thành viên đã bỏ phiếu: phiên họp kết "
            "thúc, chuyển sang quyết định khen thưởng.", started="decision",
        )  # fmt: skip
    return Done(f"Đã ghi phiếu bầu cho hồ sơ số {ids}.")


def recuse(
    code: str, *, actor: str, nomination_id: int, reason: str, start_stage: StartStage
) -> Done:
    """A council member steps aside from one dossier, with his reason."""
    try:
        with unit_of_work() as s:
            who = access.actor(s, actor)
            meeting = _open_meeting(s, held_movement(s, code))
            ballots.recuse(s, meeting, member_person_id=_member(who),
                           nomination_id=nomination_id, reason=reason,
                           actor=who.name)  # fmt: skip
            changed = _changed(s)
    except AlreadyDone:  # the same request a moment ago, in another transaction
        changed = False
    if not changed:
        return Done(
            f"Thành viên đã xin không tham gia biểu quyết hồ sơ số {nomination_id} trước đó; "
            "không ghi thêm.", False, nomination_id,
        )  # fmt: skip
    said = f"Đã ghi việc không tham gia biểu quyết hồ sơ số {nomination_id}."
    if _close_if_complete(code, start_stage):
        return Done(f"{said} Mọi thành viên đã bỏ phiếu: phiên họp kết thúc.", id=nomination_id,
                    started="decision")  # fmt: skip
    return Done(said, id=nomination_id)


def mark_attendance(
    code: str, *, actor: str, member: int | str, present: bool, reason: str | None = None
) -> Done:
    """The secretary's (or the chair's) roll call for the open sitting."""
    with unit_of_work() as s:
        meeting = _open_meeting(s, held_movement(s, code))
        p = _person(s, member)
        ballots.mark_attendance(s, meeting, member_person_id=saved_id(p), present=present,
                                reason=reason, actor=actor)  # fmt: skip
        return Done(f"Đã ghi điểm danh: {p.full_name} {'có mặt' if present else 'vắng mặt'}.",
                    id=saved_id(p))  # fmt: skip


def set_secretary(code: str, *, actor: str, person: int | str) -> Done:
    """The office names the council's secretary among its members."""
    with unit_of_work() as s:
        m = held_movement(s, code)
        access.office(access.actor(s, actor), "chọn thư ký Hội đồng")
        council = council_of(s, m)
        p = _person(s, person)
        ballots.set_secretary(s, council, person_id=saved_id(p), actor=actor)
        return Done(f"{p.full_name} là thư ký Hội đồng.", id=saved_id(p))


def close_vote(code: str, *, actor: str, start_stage: StartStage) -> Done:
    """The chair closes the vote (or anyone once its deadline has passed); the decision stage
    starts. Closing a closed vote changes nothing."""
    try:
        with unit_of_work() as s:
            m = held_movement(s, code)
            meeting = current_meeting(s, m)
            if meeting is None:
                raise TransitionRefused("Hội đồng chưa có phiên bỏ phiếu nào.")
            if meeting.status == MeetingStatus.CLOSED:
                raise AlreadyDone("Phiên họp đã kết thúc bỏ phiếu trước đó")
            ballots.close_meeting(s, meeting, actor=actor)
            meeting_id = meeting.id
    except AlreadyDone as e:
        return Done(f"{e.message}; không có gì thay đổi.", False)
    start_stage(code, "decision", actor=actor)
    return Done("Đã kết thúc bỏ phiếu; chuyển sang quyết định khen thưởng.", id=meeting_id,
                started="decision")  # fmt: skip


def _close_if_complete(code: str, start_stage: StartStage) -> bool:
    """Close the vote when every ballot is in. Of two last ballots arriving together, one
    closes and starts the next stage; the other finds it closed and does nothing."""
    try:
        with unit_of_work() as s:
            meeting = _open_meeting(s, held_movement(s, code))
            if not ballots.meeting_complete(s, meeting):
                return False
            ballots.close_meeting(s, meeting, actor="system")
    except TransitionRefused:
        return False
    start_stage(code, "decision", actor="system")
    return True


def approve(code: str, *, actor: str, decision_id: int, start_stage: StartStage) -> Done:
    """The head approves a drafted decision or memo. The last approval starts the closing
    stage, once: approving again changes nothing and starts nothing."""
    with unit_of_work() as s:
        m = held_movement(s, code, exclusive=True)  # two approvals: one after the other
        who = access.actor(s, actor)
        access.head(who, "phê duyệt quyết định khen thưởng")
        d = s.get(Decision, decision_id)
        if d is None or d.movement_id != m.id:
            raise NotFound(f"Không có quyết định số {decision_id} của phong trào {code}.")
        did = saved_id(d)
        what = f"văn bản số {did} ({'tờ trình' if d.kind == 'proposal' else 'quyết định'})"
        awarding.approve_decision(s, decision_id=did, actor=who.name)
        if not _changed(s):
            return Done(f"Đã phê duyệt {what} trước đó; không có gì thay đổi.", False,
                        did)  # fmt: skip
        s.flush()
        last = awarding.all_approved(s, m)
    if last:
        start_stage(code, "close", actor=who.name)
        return Done(f"Đã phê duyệt {what}. Đã phê duyệt tất cả: bắt đầu giai đoạn kết "
                    "thúc phong trào.", id=did, started="close")  # fmt: skip
    return Done(f"Đã phê duyệt {what}.", id=did)


def read_upload(path: Path) -> Upload:
    """A file from disk as an upload (the CLI's evidence)."""
    try:
        return Upload(path.name, path.read_bytes())
    except OSError as e:
        raise InvalidInput(
            "Không đọc được tệp", [Problem(str(path), e.strerror or str(e))]
        ) from None
