"""Reward money (Nghị định 152/2025/NĐ-CP, Điều 49, 50, 54): the base salary in force on the
decision date, rounded up to tens of thousands of đồng, one danh hiệu's money per achievement —
on SQLite and PostgreSQL where a decision is stored."""

from datetime import date
from decimal import Decimal

import pytest
from sqlmodel import select

from models import Decision, DecisionItem
from tests.test_rules_support import GOOD, movement, nominate, people, unit
from thidua.awarding import approve_decision
from thidua.errors import InvalidInput
from thidua.rewards import Line, base_salaries, base_salary_on, money, price, price_decision
from thidua.rules import load_rule_set
from thidua.vn import today

D = Decimal


@pytest.mark.parametrize(
    ("day", "amount"),
    [
        (date(2019, 6, 30), 1_390_000),
        (date(2019, 7, 1), 1_490_000),  # Nghị định 38/2019/NĐ-CP
        (date(2022, 12, 20), 1_490_000),
        (date(2023, 6, 30), 1_490_000),
        (date(2023, 7, 1), 1_800_000),  # Nghị định 24/2023/NĐ-CP
        (date(2024, 6, 30), 1_800_000),
        (date(2024, 7, 1), 2_340_000),  # Nghị định 73/2024/NĐ-CP
        (date(2026, 12, 2), 2_340_000),
    ],
)
def test_base_salary_in_force_on_the_decision_date(day, amount):
    level = base_salary_on(day)
    assert level.amount == amount and level.since <= day and "Nghị định" in level.basis


def test_no_base_salary_before_the_first_level():
    with pytest.raises(InvalidInput, match="không có mức nào có hiệu lực vào ngày 01 tháng 01 năm"):
        base_salary_on(date(2010, 1, 1))


def test_money_is_rounded_up_to_tens_of_thousands():
    assert money(D("0.3"), D(1_490_000)) == 450_000  # 447.000 → 450.000
    assert money(D("0.8"), D(2_340_000)) == 1_880_000  # 1.872.000 → 1.880.000
    assert money(D("1.0"), D(2_340_000)) == 2_340_000  # already a multiple
    assert money(D("0.3"), D(2_340_000)) == 710_000  # 702.000 → 710.000


def test_one_danh_hieu_per_achievement_and_a_hinh_thuc_beside_it():
    rs = load_rule_set("nd152-2025")
    base = D(2_340_000)
    lines = [
        Line(1, "person:1", "individual", "LDTT"),
        Line(2, "person:1", "individual", "CSTDCS"),
        Line(3, "person:1", "individual", "GIAY_KHEN"),  # a hình thức: paid beside the danh hiệu
        Line(4, "person:2", "individual", "LDTT"),
        Line(5, "person:3", "individual", "GIAY_KHEN"),
        Line(6, "person:3", "individual", "BANG_KHEN_TINH"),  # two forms for one achievement
        Line(7, "unit:1", "collective", "BANG_KHEN_TINH"),
        Line(8, "unit:1", "collective", "TTLDTT"),
        Line(9, "unit:2", "collective", "GIAY_KHEN"),
    ]
    got = price(lines, rs, base)
    amounts = {k: p.amount for k, p in got.items()}
    assert amounts == {
        1: 0, 2: 2_340_000, 3: 710_000, 4: 710_000, 5: 0, 6: 3_510_000, 7: 7_020_000,
        8: 1_880_000, 9: 1_410_000,
    }  # fmt: skip
    assert got[1].note.startswith("cùng thời gian tính thành tích với danh hiệu «Chiến sĩ thi đua")
    assert "Điều 49 khoản 5 Nghị định 152/2025/NĐ-CP" in got[1].note
    assert "Điều 5 khoản 2 điểm c Luật Thi đua, khen thưởng" in got[5].note
    assert all(got[k].note is None for k in (2, 3, 4, 6, 7, 8, 9))


def test_a_title_without_money_is_not_priced(tmp_path):
    text = load_rule_set("nd152-2025").path.read_text(encoding="utf-8")
    start = text.index("  CO_THI_DUA:")
    cut = text.index("    reward:", start)
    end = text.index("    vote_threshold:", cut)
    path = tmp_path / "khong-thuong.yaml"
    path.write_text(text[:cut] + text[end:], encoding="utf-8")
    rs = load_rule_set(path)
    assert rs.titles["CO_THI_DUA"].reward is None
    assert (
        price([Line(1, "unit:1", "collective", "CO_THI_DUA")], rs, D(2_340_000))[1].amount is None
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ("format: 1\nlevels: []\n", "levels"),
        ("format: 1\nlevels:\n  - since: 2024-07-01\n    amount: -1\n    basis: x\n", "amount"),
        ("format: 1\nlevels:\n  - since: 1/7/2024\n    amount: 1\n    basis: x\n", "since"),
        (
            "format: 1\nlevels:\n  - since: 2024-07-01\n    amount: 2\n    basis: x\n"
            "  - since: 2023-07-01\n    amount: 1\n    basis: y\n",
            "levels[2].since",
        ),
        ("levels: [\n", "tệp"),
    ],
)
def test_a_bad_base_salary_table_is_refused_naming_the_field(tmp_path, body, field):
    path = tmp_path / "luong-co-so.yaml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(InvalidInput) as e:
        base_salaries(path)
    assert e.value.message == "Bảng mức lương cơ sở luong-co-so.yaml không hợp lệ"
    assert field in e.value.problems[0].field


def _decision(session, signed_on):
    m = movement(session)
    u = unit(session, "TT")
    a, b = people(session, u, 2)
    noms = [
        nominate(session, m, unit=u, person=a, title="LDTT", facts=GOOD),
        nominate(session, m, unit=u, person=a, title="CSTDCS", facts=GOOD),
        nominate(session, m, unit=u, person=b, title="LDTT", facts=GOOD),
        nominate(session, m, unit=u, collective=u, title="TTLDTT", facts={"task_rating": "HTTNV"}),
    ]
    d = Decision(movement_id=m.id, kind="decision", authority="Giám đốc Sở", signed_on=signed_on)
    session.add(d)
    session.flush()
    for n in noms:
        n.status = "accepted"  # passed by the council, as the decision stage drafts them
        session.add(DecisionItem(decision_id=d.id, nomination_id=n.id, title=n.title))
    session.flush()
    return m, d, noms


def _amounts(session, d, noms):
    items = {i.nomination_id: i.amount for i in session.exec(
        select(DecisionItem).where(DecisionItem.decision_id == d.id))}  # fmt: skip
    return [items[n.id] for n in noms]


def test_a_decision_is_priced_on_its_own_date(session):
    m, d, noms = _decision(session, date(2022, 12, 20))
    price_decision(session, d, load_rule_set(m.rule_set))
    session.commit()
    # 1.490.000 in force: CSTĐCS 1,0 (LĐTT of the same person unpaid), LĐTT 0,3 → 450.000,
    # TTLĐTT 0,8 → 1.192.000 → 1.200.000.
    assert _amounts(session, d, noms) == [0, 1_490_000, 450_000, 1_200_000]
    d.signed_on = date(2024, 7, 1)
    price_decision(session, d, load_rule_set(m.rule_set))
    session.commit()
    assert _amounts(session, d, noms) == [0, 2_340_000, 710_000, 1_880_000]


def test_approval_reprices_a_draft_on_the_signing_date(session):
    m, d, noms = _decision(session, None)
    price_decision(session, d, load_rule_set(m.rule_set))  # a draft: today's base salary
    session.commit()
    today_amounts = _amounts(session, d, noms)
    assert today_amounts[1] == base_salary_on(today()).amount
    d.signed_on = date(2023, 7, 1)  # the head dates the decision
    m.state = "approval"  # approved once the decision stage has drafted it
    session.add_all([d, m])
    session.commit()
    approve_decision(session, decision_id=d.id, actor="giam.doc")
    session.commit()
    assert _amounts(session, d, noms) == [0, 1_800_000, 540_000, 1_440_000]
