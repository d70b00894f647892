"""Loading rule sets: the safe expression language, and every kind of mistake an office can
make in a rule set, each reported with file, line and field."""

from fractions import Fraction
from pathlib import Path
from typing import ClassVar

import pytest
from typer.testing import CliRunner

from thidua.cli.rules import app
from thidua.errors import InvalidInput, ThiduaError
from thidua.rules import load_rule_set, parse_threshold
from thidua.rules.expr import ExprError, Vocabulary, compile_expr
from thidua.settings import PROJECT_ROOT, reset_settings

SHIPPED = PROJECT_ROOT / "rules" / "nd152-2025.yaml"
COPY = Path(__file__).parent / "data" / "rules" / "sct-thu-2026.yaml"
VOCAB = Vocabulary(
    facts=frozenset({"task_rating", "months_worked", "discipline", "initiatives"}),
    titles=frozenset({"LDTT", "CSTDCS"}),
    disciplines=frozenset({"none", "canh_cao"}),
    levels=frozenset({"co_so", "tinh"}),
)


class Ctx:
    facts: ClassVar[dict] = {"task_rating": "HTTNV", "months_worked": 11, "discipline": "none"}

    def fact(self, name):
        return self.facts[name]

    def builtin(self, name):
        return 2025

    def call(self, name, args):
        return {"consecutive_years": 2, "initiatives": 1}[name]


@pytest.mark.parametrize(
    ("source", "value"),
    [
        ('task_rating in ["HTXSNV", "HTTNV"]', True),
        ("months_worked >= 10 and not discipline != 'none'", True),
        ("months_worked + 1 >= 12 or false", True),
        ('consecutive_years("CSTDCS") >= 3', False),
        ('initiatives("tinh") * 2 - 1 == 1', True),
        ("10 <= months_worked <= 12", True),
        ("year - 1 if months_worked > 6 else 0", 2024),
        ("months_worked / 2", 5.5),
        ("-months_worked < 0 and true", True),
    ],
)
def test_allowed_expressions_evaluate_without_eval(source, value):
    assert compile_expr(source, VOCAB).run(Ctx()) == value


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        ("__import__('os').system('rm -rf /')", "chỉ được gọi hàm bằng tên"),
        ("open('/etc/passwd')", "hàm 'open' không có"),
        ("eval('1')", "hàm 'eval' không có"),
        ("task_rating.lower() == 'httnv'", "chỉ được gọi hàm bằng tên"),
        ("().__class__", "truy cập thuộc tính"),
        ("initiatives[0]", "lấy phần tử bằng [ ]"),
        ("(lambda: 1)()", "chỉ được gọi hàm bằng tên"),
        ("lambda: 1", "lambda"),
        ("[x for x in initiatives]", "list comprehension"),
        ("{'a': 1}", "dict"),
        ("months_worked ** 99999", "phép toán Pow"),
        ("(x := 1)", "phép gán :="),
        ("so_thang >= 10", "tên 'so_thang' không phải là dữ kiện đã khai báo"),
        ('consecutive_years("CSTD")', "mã danh hiệu 'CSTD' không có"),
        ("consecutive_years(task_rating)", "phải là một giá trị viết sẵn"),
        ('consecutive_years(title="LDTT")', "không nhận tham số có tên"),
        ('consecutive_years("LDTT", 2)', "cần 1 tham số, có 2"),
        ('initiatives("xa")', "cấp sáng kiến 'xa' không có"),
        ('discipline_at_least("nang")', "mức kỷ luật 'nang' không có"),
        ('times_in_last("LDTT", 0)', "số nguyên dương"),
        ("months_worked >= ", "sai cú pháp"),
        ("months_worked is None", "chỉ được so sánh bằng"),
        ("b'x' == 1", "không được dùng Constant"),
    ],
)
def test_everything_else_is_refused_naming_it(source, reason):
    with pytest.raises(ExprError) as e:
        compile_expr(source, VOCAB)
    assert reason in str(e.value)


def test_no_run_away_expressions():
    with pytest.raises(ExprError, match="dài quá"):
        compile_expr("1 + " * 400 + "1", VOCAB)
    with pytest.raises(ExprError, match="too many nested parentheses"):
        compile_expr("(" * 300 + "1" + ")" * 300, VOCAB)
    with pytest.raises(ExprError, match="lồng nhau quá sâu"):
        compile_expr("-" * 990 + "1", VOCAB)
    # Repetition of text or lists is refused when it runs (the rule then fails, naming why).
    for source in ('"a" * 999999999999', "[1] * 999999999999", "task_rating + 1"):
        with pytest.raises(TypeError, match="phép tính chỉ dùng với số"):
            compile_expr(source, VOCAB).run(Ctx())


def test_thresholds():
    t = parse_threshold(">= 90%")
    assert (t.ratio, t.strict, t.met(9, 10), t.met(8, 10)) == (Fraction(9, 10), False, True, False)
    half = parse_threshold("> 50%")
    assert (half.met(5, 10), half.met(6, 10), half.minimum(10), half.minimum(9)) == (
        False, True, 6, 5,
    )  # fmt: skip
    two_thirds = parse_threshold("2/3")
    assert two_thirds.met(6, 9) and not two_thirds.met(5, 9) and two_thirds.minimum(9) == 6
    assert parse_threshold("≥ 66,5%").ratio == Fraction(133, 200)
    for bad in ("nhiều", "150%", "1/0", ">> 5%"):
        with pytest.raises(ValueError):
            parse_threshold(bad)


def broken(tmp_path: Path, *edits: tuple[str, str]) -> Path:
    text = SHIPPED.read_text(encoding="utf-8")
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new, 1)
    path = tmp_path / "co-quan-x.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if needle in line)


def test_every_mistake_is_reported_at_once_with_file_line_and_field(tmp_path):
    path = broken(
        tmp_path,
        ("    vote_threshold: \"> 50%\"\n", "    vote_treshold: \"> 50%\"\n"),
        ("  CO_THI_DUA:\n", "  CO_THI_DUA_TINH:\n"),
        ('rule: "months_worked + maternity_leave_months >= 10"',
         'rule: "so_thang + maternity_leave_months >= 10"'),
        ("rule: 'initiatives(\"tinh\") >= 1'", "rule: 'initiatives(\"tinh\").count >= 1'"),
        ("    scope: unit ", "    scope: phong "),
        ("    type: boolean\n", "    type: yes_no\n"),
        ("  quorum: \">= 2/3\"", "  quorum: \"hai phần ba\""),
        ("format: 1\n", "format: 1\ncolour: red\n"),
        ("    decided_by: province\n", "    decided_by: bo\n"),
    )  # fmt: skip
    with pytest.raises(InvalidInput) as e:
        load_rule_set(path)
    where = {p.field: p.where for p in e.value.problems}
    reasons = {p.field: p.reason for p in e.value.problems}
    assert e.value.message == "Bộ quy tắc co-quan-x.yaml không hợp lệ"
    assert where["titles.LDTT.vote_treshold"] == f"co-quan-x.yaml:{line_of(path, 'vote_treshold')}"
    assert "trường không có trong định dạng" in reasons["titles.LDTT.vote_treshold"]
    assert "mã danh hiệu không có" in reasons["titles.CO_THI_DUA_TINH"]
    assert where["titles.LDTT.criteria[3].rule"] == f"co-quan-x.yaml:{line_of(path, 'so_thang')}"
    assert "tên 'so_thang' không phải là dữ kiện" in reasons["titles.LDTT.criteria[3].rule"]
    assert "truy cập thuộc tính" in reasons["titles.CSTD_TINH.criteria[2].any_of[1].rule"]
    assert "'phong' không có" in reasons["quotas[1].scope"]
    assert "kiểu 'yes_no' không có" in reasons["facts.all_members_completed.type"]
    assert "không phải là ngưỡng" in reasons["council.quorum"]
    assert where["(gốc).colour"] == f"co-quan-x.yaml:{line_of(path, 'colour: red')}"
    # The quota on the renamed flag now names a title the rule set lacks.
    assert "danh hiệu 'CO_THI_DUA' không có trong bộ quy tắc" in reasons["quotas[2].title"]
    assert "'bo' không có (có: agency, province)" in reasons["titles.CSTD_TINH.decided_by"]
    assert len(e.value.problems) == 10  # nothing reported twice, no knock-on errors


def test_structural_mistakes(tmp_path):
    cyc = broken(tmp_path, ("rule: 'meets(\"LDTT\")'", "rule: 'meets(\"CSTD_TINH\")'"),
                 ("rule: 'initiatives(\"tinh\") >= 1'", "rule: 'meets(\"CSTDCS\")'"))  # fmt: skip
    with pytest.raises(InvalidInput, match="tham chiếu vòng tròn: CSTDCS → CSTD_TINH → CSTDCS"):
        load_rule_set(cyc)
    bad_yaml = tmp_path / "hong.yaml"
    bad_yaml.write_text("name: x\ntitles: [\n  - a: b\n", encoding="utf-8")
    with pytest.raises(InvalidInput) as e:
        load_rule_set(bad_yaml)
    assert e.value.problems[0].where.startswith("hong.yaml:") and "YAML" in str(e.value)
    latin = tmp_path / "latin.yaml"
    latin.write_bytes("name: Lao động".encode("cp1258", errors="replace") + b"\xff")
    with pytest.raises(InvalidInput, match="không phải văn bản UTF-8"):
        load_rule_set(latin)
    dup_key = tmp_path / "trung.yaml"
    dup_key.write_text("format: 1\nname: a\nname: b\n", encoding="utf-8")
    with pytest.raises(InvalidInput) as e:
        load_rule_set(dup_key)
    assert e.value.problems[0].where == "trung.yaml:3"
    empty = tmp_path / "trong.yaml"
    empty.write_text("format: 1\nname: trong\n", encoding="utf-8")
    with pytest.raises(InvalidInput) as e:
        load_rule_set(empty)
    assert {p.field for p in e.value.problems} >= {"titles", "year", "agency", "legal_basis"}
    collective_ldtt = broken(
        tmp_path,
        (
            '    subject: individual\n    kind: danh_hieu\n    basis: "Điều 24 khoản 1',
            '    subject: collective\n    kind: danh_hieu\n    basis: "Điều 24 khoản 1',
        ),
    )
    with pytest.raises(
        InvalidInput, match=r"titles\.LDTT\.subject: Lao động tiên tiến chỉ dành cho cá nhân"
    ):
        load_rule_set(collective_ldtt)
    dup = broken(tmp_path, ("id: CSTDCS.ldtt", "id: LDTT.xep_loai"))
    with pytest.raises(InvalidInput, match=r"mã tiêu chuẩn 'LDTT\.xep_loai' đã dùng ở LDTT"):
        load_rule_set(dup)
    flags = broken(tmp_path, ("flags_per_block: 1", "flags_per_block: 2"))
    with pytest.raises(
        InvalidInput, match=r"quotas\[2\]\.max: 1 Cờ mỗi khối, khác scoring\.flags_per_block \(2\)"
    ):
        load_rule_set(flags)
    wrong_subject = broken(tmp_path, ('rule: "all_members_completed"', 'rule: "months_worked > 0"'))
    with pytest.raises(InvalidInput, match="dữ kiện 'months_worked' không dùng cho tập thể"):
        load_rule_set(wrong_subject)
    with pytest.raises(InvalidInput, match="Không tìm thấy bộ quy tắc 'khong-co'"):
        load_rule_set("khong-co")


def test_an_agency_copy_changes_the_rules_without_code(monkeypatch):
    monkeypatch.setenv("THIDUA_RULES_DIR", str(COPY.parent))
    reset_settings()
    try:
        rs = load_rule_set("sct-thu-2026")
    finally:
        monkeypatch.undo()
        reset_settings()
    assert (rs.name, rs.year) == ("sct-thu-2026", 2026)
    assert load_rule_set("nd152-2025.yaml").name == "nd152-2025"  # a file name in rules/
    quota = rs.quotas[0]
    assert quota.max_ratio == Fraction(1, 5) and quota.rounding == "half_up"
    assert (quota.allowed(7), quota.allowed(3), quota.allowed(2), quota.allowed(0)) == (1, 1, 1, 0)
    assert quota.allowed(13) == 3  # 2.6 → 3 (half up)
    assert rs.titles["LDTT"].rules[-1].id == "LDTT.thoi_gian"  # switched on in the copy
    # The shipped template keeps the 15% cap written down but off: the law in force has none.
    shipped = load_rule_set("nd152-2025")
    assert [q.id for q in shipped.quotas] == ["CO_THI_DUA.moi_khoi"]
    (cap,) = shipped.disabled_quotas
    assert cap.id == "CSTDCS.ty_le_15" and cap.quy_che
    assert (cap.allowed(20), cap.allowed(19), cap.allowed(6)) == (3, 2, 0)


def test_cli_check(tmp_path):
    runner = CliRunner()
    ok = runner.invoke(app, ["check", str(SHIPPED)])
    assert ok.exit_code == 0 and "nd152-2025" in ok.output
    assert "CSTD_TINH — Chiến sĩ thi đua cấp tỉnh (cá nhân): 3 tiêu chuẩn, biểu quyết >= 90%" in (
        ok.output
    )
    assert "tối đa 15,0% số Lao động tiên tiến (làm tròn xuống), mỗi đơn vị" in ok.output
    assert "Chỉ tiêu CSTDCS.ty_le_15 (quy định riêng của cơ quan, đang tắt)" in ok.output
    assert "LDTT.thoi_gian: quy định riêng của cơ quan, đang tắt" in ok.output
    assert "Chưa đối chiếu được văn bản gốc: TTLDTT.xep_loai, TTLDTT.ty_le_ldtt" in ok.output
    assert "thưởng (cá nhân 1,5; tập thể 3,0) lần mức lương cơ sở" in ok.output
    bad = runner.invoke(app, ["check", str(broken(tmp_path, ("  LDTT:\n", "  LDTTX:\n")))])
    assert isinstance(bad.exception, ThiduaError)
    assert "titles.LDTTX" in str(bad.exception)


def test_any_of_unverified_and_reward_mistakes_are_named(tmp_path):
    path = broken(
        tmp_path,
        # A criterion with both forms, one with a single alternative, one without a label.
        ("      - id: LDTT.ky_luat\n", "      - id: LDTT.ky_luat\n        any_of: []\n"),
        ('          - label: "có sáng kiến đã được áp dụng hiệu quả và có khả năng nhân rộng '
         'trong tỉnh"\n', "          - "),
        ('          - label: "hoàn thành xuất sắc nhiệm vụ"\n            rule:',
         "          - rule:"),
        ("        unverified: true\n        source: \"Luật Thi đua, khen thưởng 2003, Điều 28 "
         "khoản 1 điểm a", "        unverified: true\n        sourc: \"x"),
        ("      individual: 0.3\n      basis: \"Điều 50 khoản 1 điểm d NĐ 152/2025\"",
         "      individual: ba\n      collective: 0.1"),
    )  # fmt: skip
    with pytest.raises(InvalidInput) as e:
        load_rule_set(path)
    reasons = {p.field: p.reason for p in e.value.problems}
    both = reasons["titles.LDTT.criteria[2].rule"]
    assert "đúng một trong hai trường 'rule' hoặc 'any_of'" in both
    assert "cần 'rule' và 'label'" in reasons["titles.CSTDCS.criteria[2].any_of[1]"]
    assert "cần 'rule' và 'label'" in reasons["titles.CSTD_TINH.criteria[2].any_of[1]"]
    assert "phải ghi nguồn" in reasons["titles.TTLDTT.criteria[1].source"]
    assert "trường không có trong định dạng" in reasons["titles.TTLDTT.criteria[1].sourc"]
    assert "'ba' không phải là số" in reasons["titles.LDTT.reward.individual"]
    assert "chỉ dành cho cá nhân" in reasons["titles.LDTT.reward.collective"]
    assert "thiếu căn cứ pháp lý của mức tiền thưởng" in reasons["titles.LDTT.reward.basis"]


def test_any_of_is_met_by_one_alternative_and_says_which_when_none_is():
    rs = load_rule_set(SHIPPED)
    rule = next(r for r in rs.titles["CSTD_TINH"].rules if r.id == "CSTD_TINH.sang_kien")
    assert rule.alternatives == (
        "có sáng kiến đã được áp dụng hiệu quả và có khả năng nhân rộng trong tỉnh",
        "có đề tài khoa học, đề án khoa học, công trình khoa học và công nghệ đã được nghiệm "
        "thu và áp dụng hiệu quả, có phạm vi ảnh hưởng trong tỉnh",
    )
    assert rule.test.facts == {"research_tinh"} and rule.test.calls == {"initiatives"}
    unverified = {r.id: r.unverified for t in rs.titles.values() for r in t.rules if r.unverified}
    assert "Bắc Ninh" in unverified["BANG_KHEN_TINH.tieu_chuan"]
    assert rs.titles["GIAY_KHEN"].reward.unverified


def test_the_readme_lists_what_is_unverified_and_what_is_the_agencys_own():
    """rules/README.md stays the office's guide: every criterion not checked against the
    original text and every agency-own rule of the template is named in its section."""
    readme = (SHIPPED.parent / "README.md").read_text(encoding="utf-8")
    unverified = readme.split("### Chưa đối chiếu được văn bản gốc")[1].split("\n## ")[0]
    own = readme.split("### Quy định riêng của cơ quan (quy chế)")[1].split("\n### ")[0]
    rs = load_rule_set(SHIPPED)
    for t in rs.titles.values():
        for r in t.rules:
            assert (f"`{r.id}`" in unverified) == bool(r.unverified), r.id
        for r in t.disabled:
            assert r.quy_che and f"`{r.id}`" in own, r.id
        if t.reward.unverified:
            assert f"tiền thưởng {t.name}" in unverified, t.code
    assert all(q.quy_che and f"`{q.id}`" in own for q in rs.disabled_quotas)
