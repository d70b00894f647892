"""Properties that hold for any input: thresholds, quota rounding, rankings, the parser."""

import contextlib
from decimal import Decimal
from fractions import Fraction
from types import SimpleNamespace

from hypothesis import given, settings
from hypothesis import strategies as st

from thidua.rules.expr import ExprError, Vocabulary, compile_expr
from thidua.rules.ruleset import Quota, Threshold
from thidua.scoring import _rank_block

VOCAB = Vocabulary(frozenset({"task_rating", "months_worked"}), frozenset({"LDTT"}),
                   frozenset({"none"}), frozenset({"co_so"}))  # fmt: skip
ratios = st.fractions(min_value=0, max_value=1, max_denominator=1000)


@given(ratios, st.booleans(), st.integers(1, 500))
def test_threshold_minimum_is_the_least_count_that_meets_it(ratio, strict, whole):
    t = Threshold(ratio, strict, "")
    m = t.minimum(whole)
    if m <= whole:
        assert t.met(m, whole)
    if m >= 1:
        assert not t.met(m - 1, whole)


@given(ratios, st.sampled_from(["floor", "half_up", "ceil"]), st.integers(0, 2000),
       st.integers(0, 3))  # fmt: skip
def test_quota_rounding(ratio, rounding, base, min_allowed):
    q = Quota("q", "CSTDCS", "unit", None, ratio, "LDTT", rounding, min_allowed, "", "")
    exact = ratio * base
    n = q.allowed(base)
    core = {"floor": exact.__floor__(), "ceil": exact.__ceil__(),
            "half_up": (exact + Fraction(1, 2)).__floor__()}[rounding]  # fmt: skip
    assert n == (max(core, min_allowed) if base else 0)
    if rounding == "floor" and not min_allowed:
        assert n <= exact < n + 1  # never more than the share: "không quá 15%"


sheets = st.lists(
    st.tuples(st.integers(0, 10), st.integers(0, 3), st.booleans()), min_size=1, max_size=12
)


@given(sheets, st.integers(0, 3))
@settings(max_examples=200)
def test_ranking_is_competition_ranking_and_never_settles_a_tie_for_a_flag(rows, flags):
    units = {i: SimpleNamespace(code=f"U{i:02d}", name=f"Đơn vị {i}") for i in range(len(rows))}
    data = [(i, "leader" if scored else None, Decimal(total), full, Decimal(total))
            for i, (total, full, scored) in enumerate(rows)]  # fmt: skip
    block = SimpleNamespace(id=1, code="K", name="Khối")
    ranking = _rank_block(block, list(data), units, Decimal(10), flags)
    key = {i: (t, f) for i, _, t, f, _ in data}
    for r in ranking.ranks:
        better = sum(1 for o in ranking.ranks if key[o.unit_id] > key[r.unit_id])
        assert r.rank == better + 1  # "1, 1, 3": tied units share a rank
    flagged = [r for r in ranking.ranks if r.flag]
    assert len(flagged) <= flags
    for r in ranking.ranks:
        same = [o for o in ranking.ranks if o.rank == r.rank]
        assert len({o.flag for o in same if data[o.unit_id][1]}) <= 1  # a tie is flagged alike
        if r.flag:
            assert data[r.unit_id][1] is not None  # only scored units get a flag


@given(st.text(max_size=80))
@settings(max_examples=300)
def test_any_text_either_compiles_or_is_refused_with_a_reason(source):
    try:
        compile_expr(source, VOCAB)
    except ExprError as e:
        assert str(e)


LEAVES = st.sampled_from(["months_worked", "1", "2.5", '"HTTNV"', "task_rating", "true"])
OPS = st.sampled_from([" + ", " * ", " / ", " >= ", " and ", " or ", " == ", " in "])


def _grow(inner):
    binary = st.tuples(inner, OPS, inner).map(lambda t: f"({''.join(t)})")
    return binary | inner.map(lambda x: f"(not {x})") | inner.map(lambda x: f"[{x}]")


@given(st.recursive(LEAVES, _grow, max_leaves=8))
def test_compiled_expressions_only_raise_what_the_engine_reports(source):
    class Ctx:
        def fact(self, name):
            return {"months_worked": 11, "task_rating": "HTTNV"}[name]

        def builtin(self, name):
            return 2025

        def call(self, name, args):
            return 0

    run = compile_expr(source, VOCAB).run
    with contextlib.suppress(TypeError, ValueError, ZeroDivisionError):
        run(Ctx())  # those are reported as "Không xét được tiêu chuẩn: …"; nothing else escapes
