"""Each criterion of the shipped rule set passing and failing, on SQLite and PostgreSQL."""

from decimal import Decimal

import pytest
from sqlmodel import select

from models import CriteriaTable, Criterion, Nomination, Person, Score, TitleQuota
from tests.test_rules_support import GOOD, block, history, movement, nominate, people, unit
from thidua.rules import check_all, check_nomination, load_rule_set


def same_alone(session, m, results):
    """check_nomination, which evaluates only what can change one answer, gives for every
    nomination exactly what check_all gives."""
    rs = load_rule_set(m.rule_set)
    for r in results:
        alone = check_nomination(session, session.get(Nomination, r.nomination_id), rs)
        assert alone.failures == r.failures, r.nomination_id


def failures(results, nomination):
    return {f.rule_id: f for r in results if r.nomination_id == nomination.id for f in r.failures}


def test_shipped_rule_set_has_every_title_with_its_money_and_threshold():
    rs = load_rule_set("nd152-2025")
    assert set(rs.titles) == {
        "LDTT", "CSTDCS", "CSTD_TINH", "TTLDTT", "TTLDXS", "GIAY_KHEN", "BANG_KHEN_TINH",
        "CO_THI_DUA",
    }  # fmt: skip
    multiples = {c: t.reward_multiple for c, t in rs.titles.items() if t.reward_multiple}
    assert multiples == {
        "LDTT": Decimal("0.3"), "CSTDCS": Decimal("1.0"), "CSTD_TINH": Decimal("3.0"),
        "TTLDXS": Decimal("1.5"), "TTLDTT": Decimal("0.8"), "BANG_KHEN_TINH": Decimal("1.5"),
    }  # fmt: skip
    assert rs.titles["CSTD_TINH"].vote_threshold.percent == Decimal("90.00")
    deciders = {c: t.decided_by for c, t in rs.titles.items()}
    assert {c for c, d in deciders.items() if d == "province"} == {
        "CSTD_TINH", "TTLDXS", "BANG_KHEN_TINH", "CO_THI_DUA",
    }  # fmt: skip
    assert rs.quorum.minimum(9) == 6 and rs.quorum.minimum(10) == 7
    # LDTT comes before the titles whose criteria refer to it.
    assert rs.order.index("LDTT") < rs.order.index("CSTDCS") < rs.order.index("CSTD_TINH")
    assert rs.order.index("CSTDCS") < rs.order.index("TTLDXS")
    assert all(r.basis for t in rs.titles.values() for r in t.rules)


def test_individual_titles_pass_and_fail(session):
    m = movement(session)
    u = unit(session, "VP")
    p = people(session, u, 20)

    def nom(i, title, **changes):
        facts = {**GOOD, **changes}
        return nominate(session, m, unit=u, person=p[i], title=title, facts=facts)

    ldtt_ok = nom(0, "LDTT")
    ldtt_rating = nom(1, "LDTT", task_rating="HTNV")
    ldtt_disc = nom(2, "LDTT", discipline="khien_trach")
    ldtt_months = nom(3, "LDTT", months_worked=9)
    ldtt_maternity = nom(4, "LDTT", months_worked=6, maternity_leave_months=4)
    ldtt_missing = nominate(session, m, unit=u, person=p[5], title="LDTT",
                            facts={"task_rating": "HTTNV"})  # fmt: skip
    ldtt_bad = nom(6, "LDTT", task_rating="GIOI")
    for i in range(7, 20):  # 15 LDTT in the unit, so 2 places for CSTĐCS (15%)
        nom(i, "LDTT")
    cs_ok = nom(0, "CSTDCS")
    cs_research = nom(4, "CSTDCS", initiatives=[], research=1)
    cs_not_ldtt = nom(1, "CSTDCS", task_rating="HTNV")
    cs_no_init = nom(7, "CSTDCS", initiatives=[], research=0)
    # CSTĐ tỉnh: 2023, 2024 in the history + this year's CSTĐCS that meets its criteria = 3.
    history(session, p[0], "CSTDCS", 2023, 2024)
    t_ok = nom(0, "CSTD_TINH")
    history(session, p[8], "CSTDCS", 2023, 2024)
    t_two = nom(8, "CSTD_TINH")
    history(session, p[9], "CSTDCS", 2021, 2022, 2024)  # broken streak
    t_gap = nom(9, "CSTD_TINH")
    history(session, p[10], "CSTDCS", 2022, 2023, 2024)
    t_local = nom(10, "CSTD_TINH", initiatives=[{"level": "co_so"}])
    # Bằng khen: 2 consecutive years HTXSNV (this year from the rating) + 2 initiatives.
    history(session, p[11], "HTXSNV", 2024)
    bk_ok = nom(11, "BANG_KHEN_TINH")
    bk_one_year = nom(12, "BANG_KHEN_TINH")
    history(session, p[13], "HTXSNV", 2024)
    bk_one_init = nom(13, "BANG_KHEN_TINH", initiatives=1)
    gk_ok = nom(14, "GIAY_KHEN", task_rating="HTNV", achievement_kind="dot_xuat")
    gk_rating = nom(15, "GIAY_KHEN", task_rating="HTTNV")
    gk_none = nom(16, "GIAY_KHEN", task_rating="HTNV", achievement_kind="nhiem_vu")
    session.commit()

    results = check_all(session, m)
    assert len(results) == len({r.nomination_id for r in results})
    for ok in (ldtt_ok, ldtt_maternity, cs_ok, cs_research, t_ok, bk_ok, gk_ok, gk_rating):
        assert failures(results, ok) == {}, ok.title
    assert set(failures(results, ldtt_rating)) == {"LDTT.xep_loai"}
    f = failures(results, ldtt_rating)["LDTT.xep_loai"]
    assert "Hoàn thành nhiệm vụ" in f.reason
    assert "Luật Thi đua, khen thưởng 2022 (danh hiệu Lao động tiên tiến)" in f.legal_basis
    assert f.nomination_id == ldtt_rating.id
    assert set(failures(results, ldtt_disc)) == {"LDTT.ky_luat"}
    assert "Khiển trách" in failures(results, ldtt_disc)["LDTT.ky_luat"].reason
    reason = failures(results, ldtt_months)["LDTT.thoi_gian"].reason
    assert "9 tháng" in reason and "10 tháng" in reason
    assert "thiếu dữ kiện «Số tháng làm việc trong năm» (months_worked)" in (
        failures(results, ldtt_missing)["LDTT.thoi_gian"].reason
    )
    assert "'GIOI' không thuộc" in failures(results, ldtt_bad)["LDTT.xep_loai"].reason
    assert set(failures(results, cs_not_ldtt)) == {"CSTDCS.ldtt"}
    assert set(failures(results, cs_no_init)) == {"CSTDCS.sang_kien"}
    assert failures(results, t_two)["CSTD_TINH.ba_nam"].reason == (
        "Chưa đủ 03 năm liên tục đạt Chiến sĩ thi đua cơ sở: chỉ có 2023, 2024"
    )
    assert failures(results, t_gap)["CSTD_TINH.ba_nam"].reason.endswith("chỉ có 2024")
    assert set(failures(results, t_local)) == {"CSTD_TINH.sang_kien"}
    assert failures(results, bk_one_year)["BANG_KHEN_TINH.hai_nam"].reason.endswith("chỉ có 2025")
    assert set(failures(results, bk_one_init)) == {"BANG_KHEN_TINH.sang_kien"}
    assert "mới có 1" in failures(results, bk_one_init)["BANG_KHEN_TINH.sang_kien"].reason
    assert set(failures(results, gk_none)) == {"GIAY_KHEN.thanh_tich"}

    same_alone(session, m, results)


def test_current_year_counts_only_when_that_nomination_meets_its_criteria(session):
    m = movement(session)
    u = unit(session, "KT")
    p = people(session, u, 1)[0]
    history(session, p, "CSTDCS", 2023, 2024)
    nominate(session, m, unit=u, person=p, title="LDTT", facts=GOOD)
    nominate(session, m, unit=u, person=p, title="CSTDCS", facts={**GOOD, "initiatives": []})
    t = nominate(session, m, unit=u, person=p, title="CSTD_TINH", facts=GOOD)
    session.commit()
    assert "CSTD_TINH.ba_nam" in failures(check_all(session, m), t)


def test_collective_titles_from_members_in_the_database_or_from_facts(session):
    m = movement(session)
    parent = unit(session, "SCT")
    good_unit, half_unit, xs_unit, facts_unit = (
        unit(session, c, parent=parent) for c in ("P1", "P2", "P3", "P4")
    )
    for u, n_ldtt, size in ((good_unit, 3, 4), (half_unit, 2, 4), (xs_unit, 3, 3)):
        staff = people(session, u, size)
        for s in staff[:n_ldtt]:
            nominate(session, m, unit=parent, person=s, title="LDTT", facts=GOOD)
    # One member of P2 is disciplined at "cảnh cáo": his own LDTT fails, and so does P2.
    disciplined = people(session, half_unit, 1, prefix="P2X")[0]
    nominate(session, m, unit=parent, person=disciplined, title="LDTT",
             facts={**GOOD, "discipline": "canh_cao"})  # fmt: skip
    xs_staff = session.exec(select(Person).where(Person.unit_id == xs_unit.id)).all()
    nominate(session, m, unit=parent, person=xs_staff[0], title="CSTDCS", facts=GOOD)
    coll = {"task_rating": "HTXSNV", "all_members_completed": True}
    tt_ok = nominate(session, m, unit=parent, collective=good_unit, title="TTLDTT", facts=coll)
    tt_half = nominate(session, m, unit=parent, collective=half_unit, title="TTLDTT", facts=coll)
    xs_ok = nominate(session, m, unit=parent, collective=xs_unit, title="TTLDXS", facts=coll)
    xs_bad = nominate(session, m, unit=parent, collective=good_unit, title="TTLDXS",
                      facts={"task_rating": "HTTNV", "all_members_completed": False})  # fmt: skip
    f_ok = nominate(session, m, unit=parent, collective=facts_unit, title="TTLDTT",
                    facts={**coll, "members": 10, "member_counts": {"LDTT": 6}})  # fmt: skip
    f_disc = nominate(session, m, unit=parent, collective=facts_unit, title="TTLDXS",
                      facts={**coll, "members": 10, "member_counts": {"LDTT": 7, "CSTDCS": 1},
                             "member_discipline": {"cach_chuc": 1}})  # fmt: skip
    wrong = nominate(session, m, unit=parent, collective=facts_unit, title="LDTT", facts=GOOD)
    session.commit()

    results = check_all(session, m)
    assert failures(results, tt_ok) == {}
    assert failures(results, xs_ok) == {}
    assert failures(results, f_ok) == {}
    half = failures(results, tt_half)
    assert set(half) == {"TTLDTT.ty_le_ldtt", "TTLDTT.ky_luat"}
    assert half["TTLDTT.ty_le_ldtt"].reason == (
        "Chỉ 2/5 thành viên (40,0%) đạt Lao động tiên tiến, cần trên 50%"
    )
    assert "Có 1 thành viên bị kỷ luật" in half["TTLDTT.ky_luat"].reason
    assert set(failures(results, xs_bad)) == {
        "TTLDXS.xep_loai", "TTLDXS.hoan_thanh", "TTLDXS.cstdcs",
    }  # fmt: skip
    assert set(failures(results, f_disc)) == {"TTLDXS.ky_luat"}
    assert "không xét tặng cho tập thể" in failures(results, wrong)["LDTT.doi_tuong"].reason
    same_alone(session, m, results)


def test_quota_15_percent_of_the_units_ldtt_rounded_down(session):
    m = movement(session)
    big, small = unit(session, "A"), unit(session, "B")
    noms = {}
    for u, n_ldtt, n_cs in ((big, 20, 4), (small, 19, 3)):
        staff = people(session, u, n_ldtt)
        for s in staff:
            nominate(session, m, unit=u, person=s, title="LDTT", facts=GOOD)
        noms[u.code] = [
            nominate(session, m, unit=u, person=s, title="CSTDCS", facts=GOOD) for s in staff[:n_cs]
        ]
    # A rejected nomination takes no place in the quota.
    rejected = people(session, big, 1, prefix="AR")[0]
    nominate(session, m, unit=big, person=rejected, title="LDTT", facts=GOOD)
    nominate(session, m, unit=big, person=rejected, title="CSTDCS", facts=GOOD, status="rejected")
    session.commit()
    results = check_all(session, m)
    # 15% × 21 = 3.15 → 3 places (the rejected CSTĐCS's LDTT still counts in the base).
    over = [n for n in noms["A"] if "CSTDCS.ty_le_15" in failures(results, n)]
    assert over == [noms["A"][3]]  # the last one submitted
    reason = failures(results, noms["A"][3])["CSTDCS.ty_le_15"].reason
    assert reason.startswith(
        "Vượt chỉ tiêu Chiến sĩ thi đua cơ sở của đơn vị Phòng A: được tối đa 3"
    )
    assert "được tối đa 3 (15% của 21 Lao động tiên tiến, làm tròn xuống)" in reason
    assert "đã đề nghị 4" in reason and "thứ 4" in reason
    # 15% × 19 = 2.85 → 2 places: the third is over.
    assert [n for n in noms["B"] if failures(results, n)] == [noms["B"][2]]
    same_alone(session, m, results)


def test_quota_exactly_15_percent_is_within(session):
    m = movement(session)
    u = unit(session, "C")
    staff = people(session, u, 20)
    for s in staff:
        nominate(session, m, unit=u, person=s, title="LDTT", facts=GOOD)
    cs = [nominate(session, m, unit=u, person=s, title="CSTDCS", facts=GOOD) for s in staff[:3]]
    session.commit()
    results = check_all(session, m)
    assert all(failures(results, n) == {} for n in cs)


def test_movement_title_quota_and_block_flag_quota(session):
    m = movement(session)
    units = [unit(session, f"U{i}") for i in range(6)]
    block(session, m, "K1", units[:3], {"TC1": 10, "TC2": 10})
    block(session, m, "K2", units[3:5])
    session.add(TitleQuota(movement_id=m.id, seq=1, subject="individual", title="CSTD_TINH",
                           text="từ 01 đến 02 cá nhân đạt CSTĐ cấp tỉnh", kind="count",
                           minimum=Decimal(1), maximum=Decimal(2)))  # fmt: skip
    tinh = []
    for u in units:
        s = people(session, u, 1)[0]
        history(session, s, "CSTDCS", 2022, 2023, 2024)
        tinh.append(nominate(session, m, unit=u, person=s, title="CSTD_TINH", facts=GOOD))
    crits = {c.code: c for c in session.exec(select(Criterion))}
    # K1: U0 and U1 tie at the top (20, both criteria at full marks), U2 is third.
    # K2 (the movement's table for every block is K1's here): U3 leads, U4 is second.
    for u, pts in ((units[0], (10, 10)), (units[1], (10, 10)), (units[2], (9, 10)),
                   (units[3], (10, 9)), (units[4], (8, 8))):  # fmt: skip
        for code, v in zip(("TC1", "TC2"), pts, strict=True):
            session.add(Score(movement_id=m.id, unit_id=u.id, criterion_id=crits[code].id,
                              scorer_kind="leader", points=Decimal(v), scored_by="t"))  # fmt: skip
    table = session.exec(select(CriteriaTable)).one()
    table.block_id = None  # one table for every block
    flag_facts = {"task_rating": "HTXSNV", "exceeded_targets": True}
    flags = [nominate(session, m, unit=u, collective=u, title="CO_THI_DUA", facts=flag_facts)
             for u in units]  # fmt: skip
    session.commit()
    results = check_all(session, m)
    assert [bool(failures(results, n)) for n in tinh] == [False, False, True, True, True, True]
    assert "tối đa 2" in failures(results, tinh[2])["chi_tieu.1"].reason
    # A tie for the block's only flag is not settled by who submitted first: the council decides.
    for tied in flags[:2]:
        assert set(failures(results, tied)) == {"CO_THI_DUA.moi_khoi"}
        assert failures(results, tied)["CO_THI_DUA.moi_khoi"].reason == (
            "Đồng hạng 1 với 1 tập thể khác của khối thi đua Khối K1: còn 1 Cờ thi đua của "
            "UBND tỉnh cho 2 tập thể — đề nghị Hội đồng xem xét, quyết định"
        )
    assert failures(results, flags[2])["CO_THI_DUA.dan_dau"].reason.startswith(
        "Không dẫn đầu khối thi đua (xếp thứ 3"
    )
    assert failures(results, flags[3]) == {}
    assert "xếp thứ 2" in failures(results, flags[4])["CO_THI_DUA.dan_dau"].reason
    assert "chưa được chấm điểm" in failures(results, flags[5])["CO_THI_DUA.dan_dau"].reason
    same_alone(session, m, results)


def test_unknown_title_in_a_nomination(session):
    m = movement(session)
    u = unit(session, "X")
    p = people(session, u, 1)[0]
    n = nominate(session, m, unit=u, person=p, title="LDXS", facts=GOOD)
    session.commit()
    f = failures(check_all(session, m), n)
    assert "không có trong bộ quy tắc nd152-2025" in f["danh_hieu"].reason


@pytest.mark.parametrize("bad", [{"initiatives": "nhiều"}, {"months_worked": 13}])
def test_bad_fact_values_are_named(sqlite_url, bad):
    from sqlmodel import Session

    from models.db import engine_for

    with Session(engine_for(sqlite_url)) as session:
        m = movement(session)
        u = unit(session, "Y")
        p = people(session, u, 1)[0]
        n = nominate(session, m, unit=u, person=p, title="CSTDCS", facts={**GOOD, **bad})
        session.commit()
        f = failures(check_all(session, m), n)
        assert any("không hợp lệ" in x.reason for x in f.values()), f


def test_check_all_makes_no_query_per_nomination(session):
    """The number of statements is the same for 10 and for 60 nominations (plus collectives,
    history, quotas and block ranks)."""
    import sqlalchemy as sa

    m = movement(session)
    units = [unit(session, f"Q{i}") for i in range(3)]
    block(session, m, "KQ", units, {"TC1": 10})
    quota = TitleQuota(movement_id=m.id, seq=1, subject="collective", title="TTLDTT",
                       text="tối đa 50% tập thể", kind="percent", maximum=Decimal(50))  # fmt: skip
    session.add(quota)
    flag = {"task_rating": "HTXSNV", "exceeded_targets": True, "all_members_completed": True}

    def add(n):
        for u in units:
            for s in people(session, u, n, prefix=f"{u.code}-{n}"):
                history(session, s, "CSTDCS", 2023, 2024)
                for title in ("LDTT", "CSTDCS"):
                    nominate(session, m, unit=u, person=s, title=title, facts=GOOD)
        session.commit()

    def count_statements():
        seen = []
        engine = session.get_bind()
        listener = lambda *a, **k: seen.append(a[2])  # noqa: E731
        sa.event.listen(engine, "before_cursor_execute", listener)
        try:
            check_all(session, m)
        finally:
            sa.event.remove(engine, "before_cursor_execute", listener)
        return len(seen)

    for u in units:
        for title in ("TTLDTT", "TTLDXS", "CO_THI_DUA"):
            nominate(session, m, unit=u, collective=u, title=title, facts=flag)
    add(2)
    few = count_statements()
    add(8)
    assert count_statements() == few <= 20


def test_an_agencys_own_rule_set_changes_the_outcome(session, monkeypatch):
    from tests.test_rules_load import COPY
    from thidua.settings import reset_settings

    monkeypatch.setenv("THIDUA_RULES_DIR", str(COPY.parent))
    reset_settings()
    m = movement(session, rule_set="sct-thu-2026")
    u = unit(session, "AG")
    staff = people(session, u, 3)
    short = nominate(session, m, unit=u, person=staff[0], title="LDTT",
                     facts={**GOOD, "months_worked": 7})  # fmt: skip
    for s in staff[1:]:
        nominate(session, m, unit=u, person=s, title="LDTT", facts=GOOD)
    cs = [nominate(session, m, unit=u, person=s, title="CSTDCS", facts=GOOD) for s in staff[:2]]
    session.commit()
    results = check_all(session, m)
    # 7 months is enough here (6), and a unit of 3 LDTT still gets 1 CSTĐCS (min_allowed 1).
    assert failures(results, short) == {}
    assert failures(results, cs[0]) == {} and set(failures(results, cs[1])) == {"CSTDCS.ty_le_15"}
    monkeypatch.undo()
    reset_settings()


def test_cli_check_nominations(sqlite_url):
    from sqlmodel import Session as S
    from typer.testing import CliRunner

    from models.db import engine_for
    from thidua.cli.rules import app

    with S(engine_for(sqlite_url)) as session:
        m = movement(session)
        u = unit(session, "CLI")
        a, b = people(session, u, 2)
        nominate(session, m, unit=u, person=a, title="LDTT", facts=GOOD)
        nominate(session, m, unit=u, person=b, title="LDTT", facts={**GOOD, "months_worked": 3})
        session.commit()
        name = b.full_name
    result = CliRunner().invoke(app, ["check-nominations", "PT-2025"])
    assert result.exit_code == 0, result.output
    assert "PT-2025: 2 hồ sơ, 1 đạt, 1 chưa đạt." in result.output
    assert f"— LDTT — {name}:" in result.output
    assert "[LDTT.thoi_gian] Thời gian làm việc trong năm 3 tháng" in result.output
