"""Every criterion of the shipped rule set, once passing and once failing — and only that one
failing — on SQLite and PostgreSQL. A criterion added to rules/nd152-2025.yaml without a case
here fails the coverage test."""

import re
from decimal import Decimal

from sqlmodel import select

from models import CriteriaTable, Criterion, Score
from tests.test_rules import same_alone
from tests.test_rules_support import GOOD, block, history, movement, nominate, people, unit
from thidua.rules import check_all, load_rule_set

COLL = {"task_rating": "HTXSNV", "all_members_completed": True, "exceeded_targets": True}
HIST = {
    "CSTD_TINH": {"CSTDCS": (2022, 2023, 2024)},
    "BANG_KHEN_TINH": {"HTXSNV": (2024,)},
}
# rule id → (title, subject kind, facts changed to make it fail, other changes for the failure)
CASES: dict[str, tuple[str, str, dict, dict]] = {
    "LDTT.xep_loai": ("LDTT", "individual", {"task_rating": "HTNV"}, {}),
    "LDTT.ky_luat": ("LDTT", "individual", {"discipline": "khien_trach"}, {}),
    "CSTDCS.ldtt": ("CSTDCS", "individual", {"discipline": "khien_trach"}, {}),
    "CSTDCS.thanh_tich": (
        "CSTDCS",
        "individual",
        {"task_rating": "HTTNV", "initiatives": [], "research": 0},
        {},
    ),
    "CSTD_TINH.ba_nam": ("CSTD_TINH", "individual", {}, {"history": {"CSTDCS": (2023, 2024)}}),
    "CSTD_TINH.sang_kien": ("CSTD_TINH", "individual", {"initiatives": {"co_so": 3}}, {}),
    "CSTD_TINH.ky_luat": ("CSTD_TINH", "individual", {"discipline": "canh_cao"}, {}),
    "TTLDTT.xep_loai": ("TTLDTT", "collective", {"task_rating": "HTNV"}, {}),
    "TTLDTT.ty_le_ldtt": ("TTLDTT", "collective", {}, {"members": (4, 2, 1)}),
    "TTLDXS.xep_loai": ("TTLDXS", "collective", {"task_rating": "HTTNV"}, {}),
    "TTLDXS.hoan_thanh": ("TTLDXS", "collective", {"all_members_completed": False}, {}),
    "TTLDXS.ty_le_ldtt": ("TTLDXS", "collective", {}, {"members": (3, 2, 1)}),
    "TTLDXS.cstdcs": ("TTLDXS", "collective", {}, {"members": (4, 3, 0)}),
    "GIAY_KHEN.thanh_tich": (
        "GIAY_KHEN",
        "individual",
        {"task_rating": "HTNV", "achievement_kind": "nhiem_vu"},
        {},
    ),
    "GIAY_KHEN.ky_luat": ("GIAY_KHEN", "individual", {"discipline": "khien_trach"}, {}),
    "BANG_KHEN_TINH.tieu_chuan": (
        "BANG_KHEN_TINH",
        "individual",
        {"achievement_kind": "nhiem_vu"},
        {"history": {}},
    ),
    "BANG_KHEN_TINH.ky_luat": ("BANG_KHEN_TINH", "individual", {"discipline": "canh_cao"}, {}),
    "CO_THI_DUA.dan_dau": ("CO_THI_DUA", "collective", {}, {"rank": 2}),
    "CO_THI_DUA.vuot_chi_tieu": ("CO_THI_DUA", "collective", {"exceeded_targets": False}, {}),
    "CO_THI_DUA.xep_loai": ("CO_THI_DUA", "collective", {"task_rating": "HTTNV"}, {}),
}


def test_every_criterion_has_a_case():
    rs = load_rule_set("nd152-2025")
    assert set(CASES) == {r.id for t in rs.titles.values() for r in t.rules}
    # Every criterion cites an article; every "one of" criterion says so.
    for t in rs.titles.values():
        for r in (*t.rules, *t.disabled):
            assert "Điều " in r.basis or r.basis.startswith("Quy chế"), r.id
            if r.alternatives:
                assert "một trong các tiêu chuẩn" in r.basis, r.id


def _subject(session, m, code, title, kind, facts, *, hist, members, rank):
    u = unit(session, code)
    if kind == "individual":
        p = people(session, u, 1)[0]
        for t, years in hist.items():
            history(session, p, t, *years)
        return nominate(session, m, unit=u, person=p, title=title, facts=facts)
    size, n_ldtt, n_cs = members
    staff = people(session, u, size)
    for i, s in enumerate(staff[:n_ldtt]):
        nominate(session, m, unit=u, person=s, title="LDTT", facts=GOOD)
        if i < n_cs:
            nominate(session, m, unit=u, person=s, title="CSTDCS", facts=GOOD)
    if title == "CO_THI_DUA":
        rival = unit(session, f"{code}-R")
        b = block(session, m, f"K-{code}", [u, rival], {"TC": 20})
        crit = session.exec(
            select(Criterion).join(CriteriaTable).where(CriteriaTable.block_id == b.id)
        ).one()
        for who, pts in ((u, 20 if rank == 1 else 10), (rival, 15)):
            score = Score(movement_id=m.id, unit_id=who.id, criterion_id=crit.id,
                          scorer_kind="leader", points=Decimal(pts), scored_by="t")  # fmt: skip
            session.add(score)
    return nominate(session, m, unit=u, collective=u, title=title, facts=facts)


def test_each_criterion_passes_and_fails_alone(session):
    m = movement(session)
    made = {}
    for rid, (title, kind, change, other) in CASES.items():
        base = GOOD if kind == "individual" else COLL
        code = re.sub(r"[^A-Z0-9]", "", rid.upper())[:20]
        for variant, facts, hist, members, rank in (
            ("P", base, HIST.get(title, {}), (4, 3, 1), 1),
            ("F", {**base, **change}, other.get("history", HIST.get(title, {})),
             other.get("members", (4, 3, 1)), other.get("rank", 1)),
        ):  # fmt: skip
            made[rid, variant] = _subject(session, m, f"{code}{variant}", title, kind, facts,
                                          hist=hist, members=members, rank=rank)  # fmt: skip
    session.commit()
    results = {r.nomination_id: r for r in check_all(session, m)}
    rs = load_rule_set("nd152-2025")
    wrong = []
    for rid, (title, *_rest) in CASES.items():
        own = {r.id for r in rs.titles[title].rules}

        def failed(n, own=own):
            return {f.rule_id for f in results[n.id].failures if f.rule_id in own}

        passing, failing = failed(made[rid, "P"]), failed(made[rid, "F"])
        if passing or failing != {rid}:
            wrong.append(f"{rid}: passing case failed {passing}, failing case failed {failing}")
        for f in results[made[rid, "F"].id].failures:
            assert f.legal_basis and f.reason and f.nomination_id == made[rid, "F"].id
            assert "{" not in f.reason and "?" not in f.reason, f.reason
    assert wrong == []
    same_alone(session, m, list(results.values()))
