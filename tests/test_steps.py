"""Every human step called directly (thidua.steps), on SQLite and PostgreSQL: the guards that
used to live only in the portal, or nowhere — late scores, a block leader scoring another
block, evidence while the council votes, a double approval, six parallel ballots by one member
(threads and processes against the database) — each refused or answered "done before" with
nothing half-written and the audit written once."""

import multiprocessing
import threading
from decimal import Decimal

import pytest
from sqlmodel import Session, func, select

from models import (
    AuditEvent,
    Decision,
    DecisionItem,
    Evidence,
    Meeting,
    Movement,
    Nomination,
    Participant,
    PeriodReport,
    Person,
    Registration,
    Score,
    VoteReceipt,
)
from models.db import engine_for
from tests.web_helpers import PNG, Recorder, make_world, pdf_bytes, quiet
from thidua import ballots, statuses, steps
from thidua.errors import Forbidden, InvalidInput, NotFound, TransitionRefused
from thidua.lifecycle import State
from thidua.settings import get_settings

POINTS = {"TC1": "30", "TC2": "12,5"}


def count(url: str, model, *where) -> int:
    with Session(engine_for(url)) as s:
        return s.exec(select(func.count()).select_from(model).where(*where)).one()


def actions(url: str) -> list[str]:
    with Session(engine_for(url)) as s:
        return list(s.exec(select(AuditEvent.action).order_by(AuditEvent.id)))


def set_state(url: str, state: State) -> None:
    with Session(engine_for(url)) as s:
        m = s.exec(select(Movement)).one()
        m.state = state.value
        s.add(m)
        s.commit()


def person(url: str, code: str) -> Person:
    with Session(engine_for(url)) as s:
        return s.exec(select(Person).where(Person.code == code)).one()


@pytest.fixture
def world(db_url, monkeypatch):
    quiet(monkeypatch)
    return make_world(db_url)


# --- a unit's steps --------------------------------------------------------------------------


def test_registration_checks_title_subject_subtree_and_right(world, db_url):
    w = world
    with pytest.raises(InvalidInput) as refused:
        steps.register(w.code, actor=w.focal, unit=w.focal_unit_id,
                       titles=["KHONGCO", "LDTT"])  # fmt: skip
    reasons = [str(p) for p in refused.value.problems]  # every problem at once
    assert any("không có danh hiệu 'KHONGCO'" in r for r in reasons)
    assert any("Lao động tiên tiến chỉ dành cho cá nhân" in r for r in reasons)
    with pytest.raises(InvalidInput, match="Cá nhân: không thuộc đơn vị đăng ký"):
        above = w.council[0]  # the Giám đốc, at the agency above the unit
        steps.register(w.code, actor=w.focal, unit=w.focal_unit_id, titles=["LDTT"], person=above)
    with pytest.raises(Forbidden, match="không được đăng ký thi đua thay cho"):
        steps.register(w.code, actor=w.other_focal, unit=w.focal_unit_id, titles=["TTLDTT"])
    with pytest.raises(Forbidden, match="Không có người dùng 'ai-do'"):
        steps.register(w.code, actor="ai-do", unit=w.focal_unit_id, titles=["TTLDTT"])
    assert count(db_url, Registration) == 0

    done = steps.register(w.code, actor=w.focal, unit=w.focal_unit_id, titles=["TTLDTT"])
    assert done.changed and "Tập thể lao động tiên tiến" in done.message
    again = steps.register(w.code, actor=w.focal, unit=w.focal_unit_id, titles=["TTLDTT"])
    assert not again.changed and "trước đó; không ghi thêm" in again.message
    # the office enters a unit's paper registration; the audit names who did
    steps.register(w.code, actor=w.admin, unit=w.other_unit_id, titles=["TTLDTT"])
    assert count(db_url, Registration) == 2
    assert actions(db_url).count("registration.submitted") == 2
    set_state(db_url, State.PERIOD1_CLOSED)
    with pytest.raises(TransitionRefused, match="Không thể đăng ký thi đua lúc này"):
        steps.register(w.code, actor=w.focal, unit=w.focal_unit_id, titles=["TTLDXS"])


def test_a_report_sent_twice_changes_nothing_and_returns_only_while_it_can_be_resent(world, db_url):
    w = world
    with Session(engine_for(db_url)) as s:
        from models import Target

        codes = [t.code for t in s.exec(select(Target).order_by(Target.seq))][:2]
    values = {codes[0]: "1.234,5", codes[1]: 7}
    done = steps.submit_report(w.code, actor=w.focal, unit=w.focal_unit_id, period=1,
                               values=values, summary="Đạt")  # fmt: skip
    assert done.changed and done.message == "Đã nộp báo cáo Đợt 1."
    again = steps.submit_report(w.code, actor=w.focal, unit=w.focal_unit_id, period=1,
                                values=values, summary="Đạt")  # fmt: skip
    assert not again.changed and again.id == done.id
    with pytest.raises(InvalidInput) as refused:
        steps.submit_report(w.code, actor=w.focal, unit=w.focal_unit_id, period=1,
                            values={codes[0]: "1.5", "KHONGCO": 1})  # fmt: skip
    fields = {p.field for p in refused.value.problems}
    assert "Chỉ tiêu KHONGCO" in fields and any(f.startswith("Chỉ tiêu «") for f in fields)
    with pytest.raises(Forbidden):  # a unit does not return a report: the office does
        steps.return_report(actor=w.focal, report_id=done.id, reason="x")
    ret = steps.return_report(actor=w.admin, report_id=done.id, reason="Thiếu số liệu")
    assert ret.changed and "Đã trả lại báo cáo Đợt 1" in ret.message
    assert not steps.return_report(actor=w.admin, report_id=done.id, reason="Thiếu").changed
    set_state(db_url, State.INTERIM_REVIEWED)  # Đợt 1 takes no more reports
    resent = steps.submit_report
    with pytest.raises(TransitionRefused, match="nộp báo cáo Đợt 1"):
        resent(w.code, actor=w.focal, unit=w.focal_unit_id, period=1, values=values)
    assert actions(db_url).count("report.submitted") == 1
    assert actions(db_url).count("report.returned") == 1


def test_scores_are_refused_after_the_tally_and_outside_the_leaders_block(world, db_url):
    w = world
    with Session(engine_for(db_url)) as s:
        m = s.exec(select(Movement)).one()
        blocks = dict(s.exec(select(Participant.unit_id, Participant.block_id)).all())
        stranger = next(u for u, b in blocks.items() if b != blocks[w.focal_unit_id])
        neighbour = next(
            u for u, b in blocks.items() if b == blocks[w.focal_unit_id] and u != w.focal_unit_id
        )
        code = m.code
    own = steps.score(code, actor=w.focal, unit=w.focal_unit_id, points=POINTS)
    assert own.changed and "Đã ghi điểm tự chấm" in own.message
    assert not steps.score(code, actor=w.focal, unit=w.focal_unit_id, points=POINTS).changed
    lead = steps.score(code, actor=w.focal, unit=neighbour, points=POINTS, kind="leader")
    assert lead.changed and "khối trưởng chấm" in lead.message
    # the focal point's unit leads its own block, not the other one
    with pytest.raises(Forbidden, match="chỉ đơn vị trưởng khối thi đua"):
        steps.score(code, actor=w.focal, unit=stranger, points=POINTS, kind="leader")
    with pytest.raises(Forbidden):  # nor does a unit score itself for another unit
        steps.score(code, actor=w.other_focal, unit=w.focal_unit_id, points=POINTS)
    with pytest.raises(Forbidden):  # the council's score is the office's or the chair's
        steps.score(code, actor=w.focal, unit=neighbour, points=POINTS, kind="council")
    before = (count(db_url, Score), actions(db_url))
    for stage in (State.FINAL_TALLIED, State.CLOSED):  # the ranking is printed: scores stand
        set_state(db_url, stage)
        late = {"TC1": "35", "TC2": "15"}
        with pytest.raises(TransitionRefused, match="Không thể ghi điểm tự chấm lúc này"):
            steps.score(code, actor=w.focal, unit=w.focal_unit_id, points=late)
        with pytest.raises(TransitionRefused, match="khối trưởng chấm"):
            steps.score(code, actor=w.focal, unit=neighbour, points=late, kind="leader")
    assert (count(db_url, Score), actions(db_url)) == before
    with Session(engine_for(db_url)) as s:
        points = set(s.exec(select(Score.points).where(Score.unit_id == w.focal_unit_id)))
    assert points == {Decimal("30"), Decimal("12.5")}


def test_a_nomination_is_checked_whole_repeated_harmlessly_and_never_half_written(
    monkeypatch, db_url
):
    quiet(monkeypatch)
    w = make_world(db_url, state=State.PROPOSALS)
    focal = person(db_url, w.focal)
    audited = count(db_url, AuditEvent)
    kw = dict(actor=w.focal, unit=w.focal_unit_id, person=w.focal, title="LDTT",
              fact_text={"task_rating": "HTXSNV", "months_worked": "12"})  # fmt: skip
    with pytest.raises(InvalidInput) as refused:
        wrong = {"months_worked": "mười hai", "bogus": "1"}
        steps.nominate(w.code, **{**kw, "title": "TTLDTT", "person": w.council[0],
                                  "fact_text": wrong})  # fmt: skip
    said = str(refused.value)
    for reason in ["Cá nhân: không thuộc đơn vị đề nghị", "chỉ xét cho tập thể",
                   "không phải là số", "bogus"]:  # fmt: skip
        assert reason in said, reason
    # a file that is not what it says: no dossier, no file, no audit
    bad = steps.Upload("ho-so.pdf", b"MZ\x90 not a pdf", "application/pdf")
    with pytest.raises(InvalidInput, match="chỉ nhận"):
        steps.nominate(w.code, **kw, evidence=[bad])
    assert count(db_url, Nomination) == 0 and count(db_url, AuditEvent) == audited
    assert not any(get_settings().upload_dir.glob("*"))

    good = steps.Upload("bang-khen.pdf", pdf_bytes())
    done = steps.nominate(w.code, **kw, evidence=[good])
    assert done.changed and "Đã gửi hồ sơ đề nghị số" in done.message
    again = steps.nominate(w.code, **kw, evidence=[good])  # a double click
    assert not again.changed and again.id == done.id
    assert (count(db_url, Nomination), count(db_url, Evidence)) == (1, 1)
    with pytest.raises(InvalidInput, match="Đã có hồ sơ đề nghị Lao động tiên tiến"):
        steps.nominate(w.code, **{**kw, "achievement": "Khác"})
    with pytest.raises(Forbidden):
        steps.withdraw(actor=w.other_focal, nomination_id=done.id, reason="x")
    assert steps.withdraw(actor=w.focal, nomination_id=done.id, reason="Rút").changed
    assert not steps.withdraw(actor=w.focal, nomination_id=done.id, reason="Rút").changed
    with pytest.raises(TransitionRefused, match="trạng thái 'đơn vị đã rút'"):
        steps.add_evidence(actor=w.focal, nomination_id=done.id, filename="a.png", content=PNG)
    assert actions(db_url)[audited:] == [
        "nomination.submitted", "evidence.uploaded", "nomination.withdrawn"
    ]  # fmt: skip
    assert focal.unit_id == w.focal_unit_id


# --- while the council votes -----------------------------------------------------------------


@pytest.fixture
def sitting(db_url, monkeypatch):
    """An open sitting of three members on two dossiers of the focal point's unit."""
    quiet(monkeypatch)
    return make_world(db_url, nominations=2, meeting=True, council_size=3)


def test_a_dossier_on_the_ballot_takes_no_evidence_no_return_no_withdrawal(sitting, db_url):
    w, n = sitting, sitting.nominations[0]
    before = actions(db_url)
    with pytest.raises(TransitionRefused, match="đang được Hội đồng bỏ phiếu"):
        steps.add_evidence(actor=w.focal, nomination_id=n, filename="a.png", content=PNG)
    with pytest.raises(TransitionRefused, match="đang được Hội đồng bỏ phiếu"):
        steps.withdraw(actor=w.focal, nomination_id=n, reason="Rút")
    with pytest.raises(TransitionRefused, match="đang được Hội đồng bỏ phiếu"):
        steps.return_dossier(actor=w.admin, nomination_id=n, reason="Thiếu")
    start = Recorder()
    for member in w.council:
        steps.vote(w.code, actor=member, choices={i: "yes" for i in w.nominations},
                   start_stage=start)  # fmt: skip
    assert start.calls == [(w.code, "decision", "system")]
    with pytest.raises(TransitionRefused, match="Hội đồng đã bỏ phiếu hồ sơ số"):
        steps.add_evidence(actor=w.focal, nomination_id=n, filename="a.png", content=PNG)
    assert count(db_url, Evidence) == 0 and not any(get_settings().upload_dir.glob("*"))
    assert actions(db_url)[len(before) :].count("ballot.cast") == 2 * len(w.council)


def test_six_parallel_ballots_by_one_member_record_one_and_say_so(sitting, db_url):
    w, n = sitting, sitting.nominations[0]
    member, start = w.council[1], Recorder()
    barrier, answers = threading.Barrier(6), []

    def cast() -> None:
        barrier.wait()
        answers.append(steps.vote(w.code, actor=member, choices={n: "yes"}, start_stage=start))

    threads = [threading.Thread(target=cast) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(answers) == 6
    recorded = [a for a in answers if a.changed]
    assert len(recorded) == 1 and recorded[0].message.startswith("Đã ghi phiếu bầu")
    for a in answers:
        if not a.changed:
            assert "đã bỏ phiếu cho hồ sơ số" in a.message and "không được ghi" in a.message
            assert "Đã ghi phiếu" not in a.message
    assert count(db_url, VoteReceipt) == 1
    assert actions(db_url).count("ballot.cast") == 1  # the audit once, with the ballot
    with Session(engine_for(db_url)) as s:
        assert ballots.verify(s, s.exec(select(Meeting)).one()).ok
    assert start.calls == []


def _vote_in_a_process(url: str, code: str, member: str, nomination: int, queue) -> None:
    engine_for(url).dispose(close=False)  # the parent's connections are not ours
    done = steps.vote(code, actor=member, choices={nomination: "no"}, start_stage=Recorder())
    queue.put((done.changed, done.message))


def test_parallel_ballots_from_separate_processes_record_one(sitting, db_url):
    w, n = sitting, sitting.nominations[1]
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    procs = [ctx.Process(target=_vote_in_a_process, args=(db_url, w.code, w.council[2], n, queue))
             for _ in range(4)]  # fmt: skip
    for p in procs:
        p.start()
    answers = [queue.get(timeout=60) for _ in procs]
    for p in procs:
        p.join(30)
    assert sorted(changed for changed, _ in answers) == [False, False, False, True]
    assert count(db_url, VoteReceipt) == 1 and actions(db_url).count("ballot.cast") == 1


def test_the_last_two_ballots_at_once_start_the_decision_once(sitting, db_url):
    w = sitting
    start = Recorder()
    paper = {i: "yes" for i in w.nominations}
    steps.vote(w.code, actor=w.council[0], choices=paper, start_stage=start)
    barrier, answers = threading.Barrier(2), []

    def cast(member: str) -> None:
        barrier.wait()
        answers.append(steps.vote(w.code, actor=member, choices=paper, start_stage=start))

    threads = [threading.Thread(target=cast, args=(m,)) for m in w.council[1:]]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert all(a.changed and a.message.startswith("Đã ghi phiếu bầu") for a in answers)
    assert start.calls == [(w.code, "decision", "system")]
    assert sum(a.started == "decision" for a in answers) == 1
    # closing a closed vote changes nothing and starts nothing
    again = steps.close_vote(w.code, actor=w.council[0], start_stage=start)
    assert not again.changed and len(start.calls) == 1
    with pytest.raises(TransitionRefused, match="không có phiên bỏ phiếu nào đang mở"):
        steps.vote(w.code, actor=w.council[1], choices=paper, start_stage=start)


def test_recusal_and_roll_call_and_who_may_close(sitting, db_url):
    w, n = sitting, sitting.nominations[0]
    start = Recorder()
    first = steps.recuse(w.code, actor=w.council[1], nomination_id=n, reason="Người thân",
                         start_stage=start)  # fmt: skip
    again = steps.recuse(w.code, actor=w.council[1], nomination_id=n, reason="Người thân",
                         start_stage=start)  # fmt: skip
    assert first.changed and not again.changed
    assert actions(db_url).count("meeting.recuse") == 1
    with pytest.raises(Forbidden, match="không phải là thành viên Hội đồng"):
        steps.vote(w.code, actor=w.staff, choices={n: "yes"}, start_stage=start)
    with pytest.raises(Forbidden, match="Chỉ Thư ký hoặc Chủ tịch"):
        steps.mark_attendance(w.code, actor=w.council[2], member=w.council[1], present=True)
    assert steps.mark_attendance(w.code, actor=w.council[0], member=w.council[2], present=True)
    with pytest.raises(TransitionRefused, match="Chỉ Chủ tịch Hội đồng"):
        steps.close_vote(w.code, actor=w.council[1], start_stage=start)
    closed = steps.close_vote(w.code, actor=w.council[0], start_stage=start)
    assert closed.changed and start.calls == [(w.code, "decision", w.council[0])]


# --- the head's approval ---------------------------------------------------------------------


def _drafted(url: str, w) -> list[int]:
    """Two drafted decisions of one accepted dossier each, the movement in its decided stage."""
    with Session(engine_for(url)) as s:
        m = s.exec(select(Movement)).one()
        ids = []
        for nid in w.nominations:
            n = s.get(Nomination, nid)
            n.status = statuses.NominationStatus.ACCEPTED
            d = Decision(movement_id=m.id, kind="decision", authority="Giám đốc Sở")
            s.add_all([n, d])
            s.flush()
            s.add(DecisionItem(decision_id=d.id, nomination_id=nid, title=n.title))
            ids.append(d.id)
        m.state = State.APPROVAL.value
        s.add(m)
        s.commit()
    return ids


def test_approving_twice_changes_nothing_and_starts_the_close_once(monkeypatch, db_url):
    quiet(monkeypatch)
    w = make_world(db_url, nominations=2, state=State.PROPOSALS)
    first, last = _drafted(db_url, w)
    head, start = w.council[0], Recorder()  # the Giám đốc chairs the council and approves
    with pytest.raises(Forbidden, match="chỉ Thủ trưởng cơ quan"):
        steps.approve(w.code, actor=w.focal, decision_id=first, start_stage=start)
    with pytest.raises(NotFound):
        steps.approve(w.code, actor=head, decision_id=999999, start_stage=start)
    assert steps.approve(w.code, actor=head, decision_id=first, start_stage=start).changed
    again = steps.approve(w.code, actor=head, decision_id=first, start_stage=start)
    assert not again.changed and "trước đó" in again.message and start.calls == []
    done = steps.approve(w.code, actor=head, decision_id=last, start_stage=start)
    assert done.started == "close" and start.calls == [(w.code, "close", head)]
    for _ in range(3):  # every later click: nothing changes, nothing starts again
        assert not steps.approve(w.code, actor=head, decision_id=last, start_stage=start).changed
    assert len(start.calls) == 1
    assert actions(db_url).count("decision.approved") == 2


def test_clicks_racing_on_the_last_approvals_start_the_close_once(monkeypatch, db_url):
    quiet(monkeypatch)
    w = make_world(db_url, nominations=2, state=State.PROPOSALS)
    ids = _drafted(db_url, w)
    start, barrier, answers = Recorder(), threading.Barrier(6), []

    def click(decision_id: int) -> None:
        barrier.wait()
        answers.append(steps.approve(w.code, actor=w.council[0], decision_id=decision_id,
                                     start_stage=start))  # fmt: skip

    threads = [threading.Thread(target=click, args=(ids[i % 2],)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(a.changed for a in answers) == [False] * 4 + [True] * 2
    assert start.calls == [(w.code, "close", w.council[0])]
    assert actions(db_url).count("decision.approved") == 2
    assert count(db_url, Nomination, Nomination.status == "awarded") == 2


# --- one type of refusal, one table of statuses ----------------------------------------------


def test_statuses_move_only_as_the_table_says():
    N = statuses.NominationStatus
    assert statuses.may_move(N.SUBMITTED, N.RETURNED) and statuses.may_move("returned", N.SUBMITTED)
    assert not statuses.may_move(N.SUBMITTED, N.AWARDED)  # only through the council's accepting
    assert not any(statuses.NOMINATION_MOVES[s] for s in (N.WITHDRAWN, N.REJECTED, N.REVOKED))
    with pytest.raises(TransitionRefused, match="trạng thái 'đơn vị đã rút'"):
        statuses.check_move(N.WITHDRAWN, N.SUBMITTED, doing="gửi lại hồ sơ số 1")
    assert "draft" not in {s.value for s in N} | {s.value for s in statuses.ReportStatus}
    # what counts towards a quota and the directive's targets is one set
    from thidua import targets
    from thidua.rules import engine

    assert engine.COUNTED is targets.COUNTED is statuses.COUNTED
    assert N.RETURNED not in statuses.COUNTED and N.WITHDRAWN not in statuses.COUNTED


def test_nothing_written_by_a_refused_step_on_the_database(world, db_url):
    """A step refused after it has resolved its actor and held its movement leaves the
    database as it was."""
    w = world
    set_state(db_url, State.DRAFT)
    before = count(db_url, AuditEvent), count(db_url, PeriodReport)
    with pytest.raises(TransitionRefused, match="Không thể nộp báo cáo Đợt 1 lúc này"):
        steps.submit_report(w.code, actor=w.focal, unit=w.focal_unit_id, period=1, values={})
    assert (count(db_url, AuditEvent), count(db_url, PeriodReport)) == before
