"""Growth is a figure of its own: a unit reports it beside its value, the interim and final
reports judge both against the directive's target with the baseline named, an at-most target
(a poverty rate) is judged the right way round, and a target met exactly is met."""

from pathlib import Path

import pytest
from sqlmodel import Session, select

from models import TargetResult
from tests.factories import make_units
from thidua import documents as D
from thidua.errors import InvalidInput
from thidua.spec import enrol_participants, load_spec, store_spec
from thidua.submissions import submit_period_report

GROWTH = Path(__file__).parent / "data" / "spec" / "growth.yaml"


@pytest.fixture
def movement(session: Session):
    _, units = make_units(session, 2)
    m = store_spec(session, load_spec(GROWTH), actor="vp")
    enrol_participants(session, m)
    m.state = "period1_open"
    session.add(m)
    session.flush()
    return m, units


def report(session, m, unit, values, growth=None):
    return submit_period_report(
        session, movement=m, unit_id=unit.id, period_number=1, values=values, actor="u",
        growth=growth,
    )  # fmt: skip


def rows_by_label(ctx) -> dict[str, dict]:
    return {r["label"]: r for r in ctx["progress_rows"]}


def test_final_report_judges_value_and_growth(session: Session, movement):
    m, (a, b) = movement
    # GRDP exactly 6,14% (a rate: the mean); industry 6.492,8 in all, growth from each unit's
    # figure and baseline; the poverty rate at most 3%
    report(session, m, a, {"grdp": "6,14", "sxcn": "4.000", "thu_ns": "1.000", "ho_ngheo": "3"},
           {"sxcn": "10", "thu_ns": "9"})  # fmt: skip
    report(session, m, b, {"grdp": "6,14", "sxcn": "2.492,8", "thu_ns": "1.326", "ho_ngheo": "3"},
           {"sxcn": "16", "thu_ns": "8,5"})  # fmt: skip
    ctx = D.final_report_context(session, m, [])
    rows = rows_by_label(ctx)
    grdp = rows["Tốc độ tăng trưởng tổng sản phẩm trên địa bàn (GRDP)"]
    assert grdp["status"] == "Đạt" and grdp["target_text"] == "khoảng 6,14 %"
    industry = rows["Giá trị sản xuất công nghiệp"]
    # baselines 4.000/1,10 + 2.492,8/1,16 = 5.785,25…: together 12,2% < 12,5% → not met
    assert industry["achieved_text"] == "6.492,8 tỷ đồng\ntăng 12,2%"
    assert industry["target_text"] == "6.492,8 tỷ đồng\ntăng 12,5%"
    assert industry["status"] == "Chưa đạt"  # the value is met, the growth is not
    budget = rows["Thu ngân sách nhà nước trên địa bàn"]
    assert budget["status"] == "Đạt" and budget["target_text"].endswith("tăng trên 8%")
    assert rows["Tỷ lệ hộ nghèo"]["status"] == "Đạt"  # 3% of at most 3%: met exactly
    assert "so với ước thực hiện năm 2021" in ctx["progress_basis"]  # the baseline, named
    D.issue_document(session, m, "final_report", context=ctx)  # the template takes it


def test_at_most_judged_the_right_way_round(session: Session, movement):
    m, (a, b) = movement
    report(session, m, a, {"ho_ngheo": "2,5"})
    report(session, m, b, {"ho_ngheo": "4,5"})  # mean 3,5% > at most 3%
    rows = rows_by_label(D.final_report_context(session, m, []))
    assert rows["Tỷ lệ hộ nghèo"]["status"] == "Chưa đạt"
    assert rows["Tỷ lệ hộ nghèo"]["target_text"] == "không quá 3 %"


def test_unit_report_shows_growth_under_its_baseline(session: Session, movement):
    m, (a, _) = movement
    report(session, m, a, {"sxcn": "4.000", "thu_ns": "1.000"}, {"sxcn": "10,5", "thu_ns": "-2"})
    ctx = D.unit_report_context(session, m, a.id, 1)
    assert ctx["growth_head"] == "Tăng trưởng so với ước thực hiện năm 2021"
    got = {r["label"]: (r["value_text"], r["growth_text"]) for r in ctx["rows"]}
    assert got["Giá trị sản xuất công nghiệp"] == ("4.000,0", "tăng 10,5%")
    assert got["Thu ngân sách nhà nước trên địa bàn"] == ("1.000", "giảm 2%")
    assert got["Tỷ lệ hộ nghèo"] == ("—", "")  # no growth set: none asked
    D.issue_document(session, m, "unit_report", context=ctx, subject_key=f"unit:{a.id}:p1")


@pytest.mark.parametrize(
    "growth, field, reason",
    [
        (
            {"sxcn": "mười"},
            "Tăng trưởng của chỉ tiêu «Giá trị sản xuất công nghiệp»",
            "không phải là số",
        ),
        (
            {"ho_ngheo": "1"},
            "Tăng trưởng của chỉ tiêu «Tỷ lệ hộ nghèo»",
            "không đặt mức tăng trưởng",
        ),
        (
            {"thu_ns": "-100"},
            "Tăng trưởng của chỉ tiêu «Thu ngân sách nhà nước trên địa bàn»",
            "lớn hơn -100%",
        ),
        ({"grdp_x": "1"}, "Tăng trưởng của chỉ tiêu grdp_x", "không có chỉ tiêu"),
    ],
)
def test_bad_growth_is_refused_and_nothing_stored(session: Session, movement, growth, field,
                                                   reason):  # fmt: skip
    m, (a, _) = movement
    with pytest.raises(InvalidInput) as e:
        report(session, m, a, {"sxcn": "4.000", "thu_ns": "1.000"}, growth)
    assert [(p.field, reason in p.reason) for p in e.value.problems] == [(field, True)]
    assert session.exec(select(TargetResult)).all() == []
