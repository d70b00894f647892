"""Block scoring: validation, the score that counts, ties and the flag proposal."""

from decimal import Decimal

import pytest
from sqlmodel import select

from models import AuditEvent, Score
from tests.test_rules_support import block, movement, unit
from thidua.errors import InvalidInput, NotFound
from thidua.scoring import block_rankings, submit_scores
from thidua.settings import PROJECT_ROOT, reset_settings

CRITERIA = {"TC1": 40, "TC2": 30, "TC3": 30}


def setup_block(session, n=4, **kw):
    """A block of n units, in the movement's one period: scores are taken."""
    m = movement(session, **kw)
    m.state = "period1_open"
    units = [unit(session, f"DV{i}") for i in range(n)]
    block(session, m, "K1", units, CRITERIA)
    return m, units


def score(session, m, u, kind, *pts):
    submit_scores(session, movement=m, unit_id=u.id, scorer_kind=kind, actor=f"{kind}-user",
                  points=dict(zip(CRITERIA, map(Decimal, pts), strict=True)))  # fmt: skip


def test_points_are_checked_against_each_criterions_maximum(session):
    m, (u, *_) = setup_block(session, 1)
    with pytest.raises(InvalidInput) as e:
        submit_scores(
            session, movement=m, unit_id=u.id, scorer_kind="self", actor="dv0",
            points={"TC1": Decimal("40.5"), "TC2": Decimal(-1), "TC9": 3, "TC3": "mười"},
        )  # fmt: skip
    text = str(e.value)
    assert "tiêu chí TC1: điểm 40,50 phải từ 0 đến 40,00" in text
    assert "tiêu chí TC2: điểm -1,00 phải từ 0 đến 30,00" in text
    assert "tiêu chí TC9: không có trong bảng tiêu chí của khối" in text
    assert "tiêu chí TC3: 'mười' không phải là số điểm" in text
    assert session.exec(select(Score)).all() == []
    with pytest.raises(InvalidInput, match="scorer_kind"):
        submit_scores(session, movement=m, unit_id=u.id, scorer_kind="boss", actor="x",
                      points={"TC1": 1})  # fmt: skip
    with pytest.raises(InvalidInput, match="quá 2 chữ số thập phân"):
        submit_scores(session, movement=m, unit_id=u.id, scorer_kind="self", actor="x",
                      points={"TC1": "9.125"})  # fmt: skip
    outsider = unit(session, "NGOAI")
    with pytest.raises(InvalidInput, match="không tham gia phong trào"):
        submit_scores(session, movement=m, unit_id=outsider.id, scorer_kind="self", actor="x",
                      points={"TC1": 1})  # fmt: skip
    with pytest.raises(NotFound):
        submit_scores(session, movement=m, unit_id=999999, scorer_kind="self", actor="x",
                      points={"TC1": 1})  # fmt: skip


def test_scores_are_stored_corrected_and_audited(session):
    m, (u, *_) = setup_block(session, 1)
    score(session, m, u, "self", 40, 30, 30)
    score(session, m, u, "self", 40, 30, "29.5")
    session.commit()
    rows = session.exec(select(Score).where(Score.unit_id == u.id)).all()
    assert len(rows) == 3 and sum(r.points for r in rows) == Decimal("99.5")
    events = session.exec(select(AuditEvent).where(AuditEvent.action == "score.self")).all()
    assert len(events) == 2 and events[1].data["before"]["TC3"] in {"30", "30.00"}


def test_the_council_score_counts_over_the_leaders_over_self(session):
    m, (a, b, c, _d) = setup_block(session)
    score(session, m, a, "self", 40, 30, 30)  # 100 by itself…
    score(session, m, a, "leader", 30, 30, 30)  # …90 by the leader: 90 counts
    score(session, m, b, "self", 35, 30, 30)  # 95, only self
    score(session, m, c, "leader", 40, 30, 20)
    score(session, m, c, "council", 40, 30, 26)  # 96 by the council
    session.commit()
    (ranking,) = block_rankings(session, m)
    by = {r.unit_code: r for r in ranking.ranks}
    assert (by["DV0"].total, by["DV0"].self_total) == (Decimal(90), Decimal(100))
    assert by["DV2"].total == Decimal(96) and "Hội đồng chấm" in by["DV2"].note
    assert [r.unit_code for r in ranking.ranks] == ["DV2", "DV1", "DV0", "DV3"]
    assert [r.rank for r in ranking.ranks] == [1, 2, 3, 4]
    assert by["DV3"].total == 0 and "Chưa có điểm" in by["DV3"].note and not by["DV3"].flag
    assert by["DV2"].flag and sum(r.flag for r in ranking.ranks) == 1
    assert by["DV2"].max_total == Decimal(100)
    assert "đồng hạng" in ranking.tie_rule


def test_equal_totals_more_full_marks_first_then_same_rank(session):
    m, (a, b, c, d) = setup_block(session)
    score(session, m, a, "leader", 40, 25, 25)  # 90, one criterion at full marks
    score(session, m, b, "leader", 40, 30, 20)  # 90, two at full marks → above a
    score(session, m, c, "leader", 40, 30, 20)  # same as b → same rank
    score(session, m, d, "leader", 30, 25, 25)
    session.commit()
    (ranking,) = block_rankings(session, m)
    assert [(r.unit_code, r.rank) for r in ranking.ranks] == [
        ("DV1", 1), ("DV2", 1), ("DV0", 3), ("DV3", 4),
    ]  # fmt: skip
    # A tie for the single flag is not resolved silently: no flag, the council decides.
    top = ranking.ranks[:2]
    assert not any(r.flag for r in ranking.ranks)
    assert all("Hội đồng xem xét, quyết định" in r.note for r in top)
    # names, not codes: the note is printed in the final report
    assert f"Đồng hạng 1 với {top[1].unit_name}" in top[0].note


def test_two_flags_per_block_from_an_agencys_own_rule_set(session, tmp_path, monkeypatch):
    text = (PROJECT_ROOT / "rules" / "nd152-2025.yaml").read_text(encoding="utf-8")
    text = text.replace("name: nd152-2025", "name: tinh-x-2026").replace(
        "flags_per_block: 1", "flags_per_block: 2"
    )
    text = text.replace("    scope: block\n    max: 1\n", "    scope: block\n    max: 2\n")
    (tmp_path / "tinh-x-2026.yaml").write_text(text, encoding="utf-8")
    monkeypatch.setenv("THIDUA_RULES_DIR", str(tmp_path))
    reset_settings()
    m, (a, b, c, d) = setup_block(session, rule_set="tinh-x-2026")
    score(session, m, a, "leader", 40, 30, 30)
    score(session, m, b, "leader", 40, 30, 20)
    score(session, m, c, "leader", 40, 30, 20)
    score(session, m, d, "leader", 40, 30, 25)
    session.commit()
    (ranking,) = block_rankings(session, m)
    by = {r.unit_code: r for r in ranking.ranks}
    assert by["DV0"].flag and by["DV3"].flag and not by["DV1"].flag
    score(session, m, d, "council", 40, 30, 20)  # now DV1, DV2, DV3 tie for the second flag
    session.commit()
    (ranking,) = block_rankings(session, m)
    by = {r.unit_code: r for r in ranking.ranks}
    assert by["DV0"].flag and not any(by[c].flag for c in ("DV1", "DV2", "DV3"))
    assert "(1 Cờ cho 3 đơn vị)" in by["DV3"].note
    monkeypatch.undo()
    reset_settings()


def test_no_blocks_no_rankings(session):
    m = movement(session)
    assert block_rankings(session, m) == []


def test_concurrent_sheets_for_one_unit_never_duplicate_on_postgres(pg_url):
    import threading

    import sqlalchemy as sa
    from sqlmodel import Session

    from models import Movement
    from tests.conftest import _truncate_all
    from thidua.errors import ThiduaError

    _truncate_all(pg_url)
    engine = sa.create_engine(pg_url, pool_size=12, max_overflow=0)
    with Session(engine, expire_on_commit=False) as s:
        m, (u, *_) = setup_block(s, 1)
        s.commit()
        movement_id, unit_id = m.id, u.id
    barrier, outcomes = threading.Barrier(10), []

    def attempt(i: int) -> None:
        with Session(engine) as s:
            m = s.get(Movement, movement_id)
            barrier.wait()
            try:
                submit_scores(s, movement=m, unit_id=unit_id, scorer_kind="self", actor=f"u{i}",
                              points={"TC1": Decimal(i), "TC2": 1, "TC3": 1})  # fmt: skip
                s.commit()
                outcomes.append("ok")
            except ThiduaError as e:
                outcomes.append("retry" if "cùng lúc" in e.message else str(e))

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert set(outcomes) <= {"ok", "retry"} and "ok" in outcomes and len(outcomes) == 10
    with Session(engine) as s:
        assert len(s.exec(select(Score)).all()) == 3
    engine.dispose()
    _truncate_all(pg_url)
