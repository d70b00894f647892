"""A movement is judged by the law in force on its decision's date: the rule sets of each period
(rules/nd91-2017.yaml before 2024, nd98-2023 from 01/01/2024 to 30/6/2025, nd152-2025 after) say
when they apply, and the same dossier passes or fails as the law of its year says."""

from datetime import date
from decimal import Decimal

import pytest

from tests.test_rules_support import GOOD, history, movement, nominate, people, unit
from thidua.rewards import Line, base_salary_on, price
from thidua.rules import check_all, load_rule_set

SETS = ("nd91-2017", "nd98-2023", "nd152-2025")


def _failures(results, nomination) -> set[str]:
    return {f.rule_id for r in results if r.nomination_id == nomination.id for f in r.failures}


def test_each_period_has_one_rule_set_and_they_meet_end_to_end():
    spans = [load_rule_set(n).in_force for n in SETS]
    assert spans[0].start == date(2017, 10, 1)  # Nghị định 91/2017/NĐ-CP
    assert (spans[0].end, spans[1].start) == (date(2023, 12, 31), date(2024, 1, 1))
    assert (spans[1].end, spans[2].start) == (date(2025, 6, 30), date(2025, 7, 1))
    assert spans[2].end is None
    for day in (date(2021, 12, 28), date(2022, 12, 15), date(2024, 12, 24), date(2026, 1, 10)):
        assert sum(s.covers(day) for s in spans) == 1, day


@pytest.mark.parametrize("rule_set", SETS)
def test_every_criterion_cites_its_text_or_says_it_is_unverified(rule_set):
    rs = load_rule_set(rule_set)
    for t in rs.titles.values():
        assert t.reward is not None and t.reward.basis.startswith("Điều"), t.code
        for r in t.rules:
            assert "Điều" in r.basis or r.quy_che or r.unverified, r.id
    own = "NĐ 91/2017" if rule_set == "nd91-2017" else "NĐ 98/2023" if "98" in rule_set else "152"
    assert all(own in t.reward.basis for t in rs.titles.values())


def test_a_2022_dossier_is_judged_by_the_law_of_2022(session):
    """Under Nghị định 91/2017/NĐ-CP a Chiến sĩ thi đua cơ sở needs an initiative (an excellent
    rating is not enough), a Lao động tiên tiến ten months, a Tập thể lao động tiên tiến no
    member disciplined from cảnh cáo; under Luật 2022 none of these holds."""
    for rule_set, year in (("nd91-2017", 2022), ("nd152-2025", 2025)):
        m = movement(session, year=year, rule_set=rule_set)
        u = unit(session, f"U{year}")
        staff = people(session, u, 8)  # seven LĐTT: the 15% cap of 2022 allows one CSTĐCS
        excellent = nominate(session, m, unit=u, person=staff[0], title="CSTDCS",
                             facts={**GOOD, "initiatives": [], "research": 0})  # fmt: skip
        for p in staff[:7]:
            nominate(session, m, unit=u, person=p, title="LDTT", facts=GOOD)
        short = nominate(session, m, unit=u, person=staff[7], title="LDTT",
                         facts={**GOOD, "months_worked": 9, "discipline": "canh_cao"})  # fmt: skip
        team = nominate(session, m, unit=u, collective=u, title="TTLDTT",
                        facts={"task_rating": "HTTNV"})  # fmt: skip
        session.commit()
        results = check_all(session, m)
        if rule_set == "nd91-2017":
            assert _failures(results, excellent) == {"CSTDCS.sang_kien"}
            assert _failures(results, short) == {"LDTT.ky_luat", "LDTT.thoi_gian"}
            assert _failures(results, team) == {"TTLDTT.ky_luat"}
        else:
            assert _failures(results, excellent) == set()
            assert _failures(results, short) == {"LDTT.ky_luat"}
            assert _failures(results, team) == set()


def test_the_15_percent_cap_on_cstdcs_is_the_law_before_2024(session):
    """Điều 9 khoản 3 NĐ 91/2017: no more than 15% of the agency's Lao động tiên tiến (13 of them
    allow one); under Luật 2022 the cap is only an agency's own rule, switched off."""
    assert "CSTDCS.ty_le_15" in {q.id for q in load_rule_set("nd91-2017").quotas}
    assert "CSTDCS.ty_le_15" not in {q.id for q in load_rule_set("nd152-2025").quotas}
    m = movement(session, year=2022, rule_set="nd91-2017")
    a, b = unit(session, "QA"), unit(session, "QB")
    staff = people(session, a, 7) + people(session, b, 6)
    for p in staff:
        nominate(session, m, unit=a if p.unit_id == a.id else b, person=p, title="LDTT",
                 facts=GOOD)  # fmt: skip
    init = {**GOOD, "initiatives": [{"name": "SK", "level": "co_so"}]}
    first = nominate(session, m, unit=a, person=staff[0], title="CSTDCS", facts=init)
    second = nominate(session, m, unit=b, person=staff[7], title="CSTDCS", facts=init)
    session.commit()
    results = check_all(session, m)
    assert _failures(results, first) == set()
    assert _failures(results, second) == {"CSTDCS.ty_le_15"}  # 15% × 13 = 1,95 → 1


def test_a_three_year_cstd_tinh_is_the_same_under_both_laws(session):
    for rule_set, year in (("nd91-2017", 2022), ("nd152-2025", 2025)):
        m = movement(session, year=year, rule_set=rule_set)
        u = unit(session, f"T{year}")
        (p,) = people(session, u, 1)
        history(session, p, "CSTDCS", year - 3, year - 2, year - 1)
        n = nominate(session, m, unit=u, person=p, title="CSTD_TINH",
                     facts={**GOOD, "initiatives": [{"name": "SK", "level": "tinh"}]})  # fmt: skip
        session.commit()
        assert _failures(check_all(session, m), n) == set(), rule_set


def test_reward_money_is_the_decree_of_the_decision_date():
    """A decision of December 2022: Nghị định 91/2017/NĐ-CP's multiples on the base salary of
    Nghị định 38/2019/NĐ-CP (1.490.000 đồng), rounded up to tens of thousands of đồng."""
    base = base_salary_on(date(2022, 12, 15))
    assert base.amount == Decimal(1_490_000) and "38/2019" in base.basis
    lines = [
        Line(1, "person:1", "individual", "LDTT"),  # 0,3 × 1.490.000 = 447.000
        Line(2, "person:2", "individual", "BANG_KHEN_TINH"),  # 1,0
        Line(3, "unit:1", "collective", "BANG_KHEN_TINH"),  # 2,0
        Line(4, "unit:2", "collective", "TTLDTT"),  # 0,8 → 1.192.000
        Line(5, "unit:3", "collective", "CO_THI_DUA"),  # 8,0
    ]
    got = {k: p.amount for k, p in price(lines, load_rule_set("nd91-2017"), base.amount).items()}
    assert got == {1: 450_000, 2: 1_490_000, 3: 2_980_000, 4: 1_200_000, 5: 11_920_000}
    # The same lines under Nghị định 152/2025/NĐ-CP pay Bằng khen 1,5 and 3,0 times.
    later = price(lines, load_rule_set("nd152-2025"), base.amount)
    assert (later[2].amount, later[3].amount) == (2_240_000, 4_470_000)
    # 2017: the base salary of 01/7/2017 (1.300.000 đồng) when Nghị định 91/2017 took effect.
    assert base_salary_on(date(2017, 10, 1)).amount == Decimal(1_300_000)
