"""Criteria tables are versioned records: replacing one after units were scored keeps the old
version and its scores as the record, counts only the new one, and has the units score again;
a block with no table in force is not ranked (no "đồng hạng 1") and the final report says so."""

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlmodel import Session, func, select

from models import AuditEvent, CriteriaTable, Criterion, IssuedDocument, Period, Score
from tests.factories import make_person
from tests.test_rules_support import block, movement, unit
from thidua import documents as D
from thidua.amend import set_criteria_table
from thidua.errors import InvalidInput
from thidua.lifecycle import State
from thidua.obligations import outstanding
from thidua.scoring import block_rankings, criteria_for, submit_scores
from thidua.spec import enrol_participants, load_spec, store_spec

EX = Path(__file__).resolve().parent.parent / "examples"
CRITERIA = {"TC1": 60, "TC2": 40}
NEW = {
    "block": "K1",
    "name": "Bảng tiêu chí chấm điểm khối K1 (sửa đổi)",
    "criteria": [
        {"code": "TC1", "text": "Hoàn thành nhiệm vụ chính trị", "max_points": 50},
        {"code": "TC2", "text": "Cải cách hành chính", "max_points": 30},
        {"code": "TC3", "text": "Chuyển đổi số", "max_points": 20},
    ],
}


def world(session: Session, criteria: dict | None = CRITERIA):
    """One block of three units in the movement's open period; a focal point in each unit."""
    m = movement(session)
    units = [unit(session, code) for code in ("DVA", "DVB", "DVC")]
    block(session, m, "K1", units, criteria)
    for u in units:
        make_person(session, u, ["focal_point"])
    session.add(Period(movement_id=m.id, number=1, name="Năm 2025", starts_on=date(2025, 1, 1),
                       ends_on=date(2025, 11, 30)))  # fmt: skip
    m.state = State.PERIOD1_OPEN.value
    session.add(m)
    session.flush()
    return m, units


def score(session, m, u, kind, points):
    submit_scores(session, movement=m, unit_id=u.id, scorer_kind=kind, actor=f"{kind}:{u.code}",
                  points={k: Decimal(v) for k, v in points.items()})  # fmt: skip


def owed_self(session, m) -> dict[str, str]:
    return {o.unit_code: o.label for o in outstanding(session, m) if o.kind == "self_score"}


def test_replacing_a_scored_table_makes_a_new_version(session: Session):
    m, (a, b, c) = world(session)
    score(session, m, a, "self", {"TC1": 60, "TC2": 40})
    score(session, m, b, "self", {"TC1": 50, "TC2": 30})
    score(session, m, b, "leader", {"TC1": 45, "TC2": 30})
    assert owed_self(session, m) == {"DVC": "Tự chấm điểm theo bảng tiêu chí"}
    kept = sorted((s.unit_id, s.criterion_id, s.scorer_kind, s.points)
                  for s in session.exec(select(Score)))  # fmt: skip

    messages = set_criteria_table(
        session, m, NEW, actor="vp", reason="Bổ sung tiêu chí chuyển đổi số"
    )

    old, new = session.exec(select(CriteriaTable).order_by(CriteriaTable.version)).all()
    assert (old.version, new.version) == (1, 2)
    assert old.replaced_at is not None and new.replaced_at is None
    # the old version, its criteria and its scores stay as they were
    assert len(session.exec(select(Criterion).where(Criterion.table_id == old.id)).all()) == 2
    assert kept == sorted((s.unit_id, s.criterion_id, s.scorer_kind, s.points)
                          for s in session.exec(select(Score)))  # fmt: skip
    assert [x.code for x in criteria_for(session, m.id, old.block_id)] == ["TC1", "TC2", "TC3"]
    # nothing counts until scored against version 2: no one ranked ahead, no flag
    (ranking,) = block_rankings(session, m)
    assert {r.total for r in ranking.ranks} == {Decimal(0)}
    assert not any(r.flag for r in ranking.ranks)
    assert {r.max_total for r in ranking.ranks} == {Decimal(100)}
    # the units scored against version 1 must score again, and are told so
    again = "Tự chấm điểm lại theo bảng tiêu chí mới (phiên bản 2)"
    assert owed_self(session, m) == {"DVA": again, "DVB": again,
                                     "DVC": "Tự chấm điểm theo bảng tiêu chí"}  # fmt: skip
    assert len(messages) == 3 and {x.kind for x in messages} == {"amendment_notice"}
    change = messages[0].context["change"]
    assert "«Bảng tiêu chí chấm điểm khối K1 (sửa đổi)», phiên bản 2 (3 tiêu chí" in change
    assert "thay «Bảng tiêu chí khối K1» phiên bản 1" in change
    assert "2 đơn vị đã chấm điểm theo phiên bản đó cần tự chấm lại theo phiên bản 2" in change
    (event,) = session.exec(select(AuditEvent).where(AuditEvent.action == "criteria.amended"))
    assert event.data["version"] == 2 and event.data["replaced_table_id"] == old.id
    assert event.data["units_scored_on_replaced"] == 2 and event.reason

    # scored against version 2, the debt is cleared and only version 2 counts
    score(session, m, a, "self", {"TC1": 40, "TC2": 30, "TC3": 20})
    assert "DVA" not in owed_self(session, m)
    (ranking,) = block_rankings(session, m)
    first = ranking.ranks[0]
    assert (first.unit_code, first.total, first.rank) == ("DVA", Decimal(90), 1)
    assert [r.rank for r in ranking.ranks] == [1, 2, 2]
    # the old criterion codes no longer take points on their old maximum
    with pytest.raises(InvalidInput, match="TC1: điểm 60,00 phải từ 0 đến 50,00"):
        score(session, m, c, "self", {"TC1": 60})


def test_issued_documents_keep_their_version(session: Session):
    m = store_spec(session, load_spec(EX / "quangngai-sct-2021.yaml"), actor="vp")
    enrol_participants(session, m)
    m.state = State.PERIOD1_OPEN.value
    session.add(m)
    doc = D.issue_document(session, m, "launch", context=D.launch_context(session, m))
    before = D.document_path(doc).read_bytes()
    table = {"name": "Bảng tiêu chí", "criteria": [{"code": "TC1", "text": "Hoàn thành",
                                                     "max_points": 100}]}  # fmt: skip
    set_criteria_table(session, m, table, actor="vp", reason="Bổ sung")
    set_criteria_table(session, m, {**table, "name": "Bảng tiêu chí sửa đổi"}, actor="vp",
                       reason="Sửa tên")  # fmt: skip
    (row,) = session.exec(select(IssuedDocument)).all()
    assert (row.id, row.version, row.path) == (doc.id, 1, doc.path)
    assert D.document_path(row).read_bytes() == before


def test_a_block_without_a_table_is_not_ranked_until_one_is_added(session: Session):
    m, (a, b, _c) = world(session, criteria=None)
    assert owed_self(session, m) == {}
    (ranking,) = block_rankings(session, m)
    assert not ranking.scored and ranking.ranks == []
    assert ranking.members == ["Phòng DVA", "Phòng DVB", "Phòng DVC"]
    ctx = D.final_report_context(session, m, [ranking])
    (entry,) = ctx["blocks"]
    assert "rows" not in entry and "đồng hạng" not in entry["unscored"]
    assert entry["unscored"] == (
        "Khối thi đua (gồm 3 đơn vị: Phòng DVA, Phòng DVB, Phòng DVC) không có bảng tiêu chí "
        "chấm điểm nên các đơn vị trong khối không chấm điểm, không xếp hạng theo tiêu chí; do "
        "đó không có kết quả xếp hạng làm căn cứ đề nghị tặng Cờ thi đua cho đơn vị trong khối."
    )
    with pytest.raises(InvalidInput, match="Chưa có bảng tiêu chí"):
        score(session, m, a, "self", {"TC1": 1})

    set_criteria_table(session, m, {**NEW, "name": "Bảng tiêu chí khối K1"}, actor="vp",
                       reason="Bổ sung bảng tiêu chí")  # fmt: skip
    assert set(owed_self(session, m)) == {"DVA", "DVB", "DVC"}
    score(session, m, a, "self", {"TC1": 50, "TC2": 30, "TC3": 20})
    score(session, m, b, "self", {"TC1": 40, "TC2": 30, "TC3": 20})
    (ranking,) = block_rankings(session, m)
    assert ranking.scored and [(r.unit_code, r.rank) for r in ranking.ranks] == [
        ("DVA", 1), ("DVB", 2), ("DVC", 3)]  # fmt: skip
    assert ranking.ranks[0].flag
    (entry,) = D.final_report_context(session, m, [ranking])["blocks"]
    assert entry["unscored"] == "" and entry["rows"][0]["unit"] == "Phòng DVA"


def test_the_report_document_says_the_block_was_not_scored(session: Session):
    m, _ = world(session, criteria=None)
    doc = D.issue_document(
        session, m, "final_report", context=D.final_report_context(session, m,
                                                                   block_rankings(session, m))
    )  # fmt: skip
    import docx

    text = "\n".join(p.text for p in docx.Document(str(D.document_path(doc))).paragraphs)
    assert "1. Khối K1" in text
    assert "không có bảng tiêu chí chấm điểm nên các đơn vị trong khối không chấm điểm" in text
    assert "đồng hạng" not in text and "Xếp hạng" not in text


@pytest.mark.parametrize(
    ("data", "field", "reason"),
    [
        ({**NEW, "criteria": []}, "criteria", "ít nhất"),
        ({**NEW, "criteria": [{"code": "TC1", "text": "x", "max_points": 0}]},
         "criteria.0.max_points", "phải > 0"),
        ({**NEW, "criteria": [{"code": "TC1", "text": "x", "max_points": -5}]},
         "criteria.0.max_points", "phải > 0"),
        ({**NEW, "block": "K9"}, "block", "không có khối thi đua mã 'K9'"),
    ],
)  # fmt: skip
def test_bad_tables_are_refused_with_nothing_changed(session: Session, data, field, reason):
    m, (a, _, _) = world(session)
    score(session, m, a, "self", {"TC1": 60, "TC2": 40})
    with pytest.raises(InvalidInput) as e:
        set_criteria_table(session, m, data, actor="vp", reason="Sửa")
    assert [p.field for p in e.value.problems] == [field]
    assert reason in e.value.problems[0].reason
    assert session.exec(select(func.count()).select_from(CriteriaTable)).one() == 1
    assert session.exec(select(CriteriaTable.replaced_at)).one() is None
    assert (
        session.exec(select(AuditEvent).where(AuditEvent.action == "criteria.amended")).all() == []
    )


def test_no_replacement_from_the_tally_on(session: Session):
    m, (a, _, _) = world(session)
    score(session, m, a, "self", {"TC1": 60, "TC2": 40})
    m.state = State.FINAL_TALLIED.value
    session.add(m)
    with pytest.raises(InvalidInput) as e:
        set_criteria_table(session, m, NEW, actor="vp", reason="Sửa sau tổng kết")
    assert e.value.problems[0].field == "movement"
    assert "đã tổng kết" in e.value.problems[0].reason
    assert session.exec(select(func.count()).select_from(CriteriaTable)).one() == 1
    (ranking,) = block_rankings(session, m)
    assert ranking.ranks[0].total == Decimal(100)
