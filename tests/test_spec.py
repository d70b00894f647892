"""The movement spec: the three real directives load completely; bad files are refused with
every problem at once (file:line, field path, Vietnamese reason); storing is all-or-nothing."""

import unicodedata
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError
from sqlalchemy import func
from sqlmodel import Session, select
from typer.testing import CliRunner

from models import (
    AuditEvent,
    Block,
    BlockMember,
    Content,
    CriteriaTable,
    Criterion,
    Deadline,
    LegalBasis,
    Movement,
    Participant,
    Period,
    Recipient,
    Target,
    TitleQuota,
    Unit,
)
from models.db import engine_for
from thidua.cli.spec import app
from thidua.errors import InvalidInput
from thidua.spec import check_spec, enrol_participants, load_spec, spec_hash, store_spec
from thidua.spec_load import locate
from thidua.spec_schema import QuotaSpec, TargetSpec, read_quota
from thidua.vn import number as vn_number

ROOT = Path(__file__).resolve().parent.parent
EX = ROOT / "examples"
DATA = Path(__file__).parent / "data" / "spec"
HANAM, QUANGNGAI, TAMDUONG = (
    EX / "hanam-sct-2022.yaml",
    EX / "quangngai-sct-2021.yaml",
    EX / "tamduong-ubnd-2024.yaml",
)
TABLES = (
    Movement, LegalBasis, Content, Target, TitleQuota, Period, Deadline, Recipient,
    CriteriaTable, Criterion, Participant, AuditEvent,
)  # fmt: skip


def line_of(path: Path, marker: str) -> int:
    """The 1-based line of the first line of `path` containing `marker`."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, 1) if marker in line)


def targets_of(session: Session, m: Movement) -> list[Target]:
    return list(session.exec(select(Target).where(Target.movement_id == m.id)))


def counts(session: Session) -> dict[str, int]:
    return {t.__name__: session.exec(select(func.count()).select_from(t)).one() for t in TABLES}


# --- the three directives --------------------------------------------------------------------


def test_hanam_is_complete():
    s = load_spec(HANAM)
    assert (s.issuer.parent_agency, s.issuer.agency, s.issuer.agency_code) == (
        "UBND TỈNH HÀ NAM",
        "SỞ CÔNG THƯƠNG",
        "SCT",
    )
    d = s.document
    assert (d.kind, d.number, d.symbol, d.place, d.date) == (
        "cong_van", None, "SCT-VP", "Hà Nam", "2022-03",
    )  # fmt: skip
    assert d.summary == "V/v phát động phong trào thi đua năm 2022"
    assert s.theme == (
        "Đoàn kết, trách nhiệm, chủ động, sáng tạo, vượt khó, thi đua thực hiện thắng lợi "
        "nhiệm vụ chính trị được giao"
    )
    assert [sec.section for sec in s.contents] == [
        "I. Nội dung phong trào thi đua.",
        "II. Mục tiêu phấn đấu hoàn thành xuất sắc các chỉ tiêu.",
        "III. Phát động thi đua.",
    ]
    assert [len(sec.items) for sec in s.contents] == [8, 2, 3]
    two = s.contents[1].items[1]  # "2. Chỉ tiêu thi đua." with 2.1 and 2.2, each with its dashes
    assert [(d, i.number) for d, i in two.walk()][:3] == [(0, "2."), (1, "2.1."), (2, "-")]
    assert sum(1 for _ in two.walk()) == 1 + 2 + 4 + 3
    assert s.contents[1].items[0].targets == [t.code for t in s.targets]
    assert s.contents[2].items[0].number is None  # "Việc thực hiện …": an unnumbered paragraph
    assert s.contents[0].items[7].text.startswith("Tiếp tục thực hiện các phong trào thi đua:")
    assert [(t.label, t.value, t.value_text, t.unit, t.basis) for t in s.targets] == [
        ("Giá trị sản xuất công nghiệp", Decimal("174186.0"), "174.186,0", "tỷ đồng", "Giá SS2010"),
        ("Tổng mức bán lẻ hàng hóa và dịch vụ", Decimal("35981.0"), "35.981,0", "tỷ đồng", None),
        ("Kim ngạch xuất khẩu hàng hóa", Decimal("4401"), "4.401", "triệu USD", None),
        ("Kim ngạch nhập khẩu hàng hóa", Decimal("3882"), "3.882", "triệu USD", None),
    ]
    # every quota, in the letter's order: (subject, title, kind, min, max, words it is read from)
    assert [(q.subject, q.title, q.kind, q.min, q.max) for q in s.quotas] == [
        ("collective", "TTLDXS", "count", 1, 1),
        ("collective", "BANG_KHEN_TINH", "count", 1, 1),
        ("collective", "CO_THI_DUA", "count", 1, 1),
        ("collective", "HTTNV", "percent", 100, None),
        ("collective", "TTLDTT", "percent", 80, None),
        ("collective", "TTLDXS", "percent", 15, 20),
        ("collective", "TTLDXS", "count", 1, 2),
        ("collective", "GIAY_KHEN", "count", 3, 5),
        ("individual", "HTTNV", "percent", 100, None),
        ("individual", "LDTT", "percent", 80, None),
        ("individual", "HTXSNV", "percent", 15, None),
        ("individual", "CSTDCS", "percent", 15, None),
        ("individual", "CSTD_TINH", "count", 1, 2),
        ("individual", "GIAY_KHEN", "count", 20, 25),
    ]
    texts = [q.text for q in s.quotas]
    assert texts[4:7] == [
        "từ 80% đạt Lao động tiên tiến",
        "từ 15 đến 20% đạt Lao động xuất sắc",
        "Có từ 01 đến 02 đơn vị được UBND tỉnh công nhận đạt tập thể đạt Danh hiệu Lao động "
        "xuất sắc",
    ]
    assert texts[10] == "Có ít nhất 15% cá nhân hoàn thành xuất sắc nhiệm vụ"
    assert texts[13] == "Có từ 20 đến 25 cá nhân trở lên được tặng Giấy khen của Giám đốc Sở"
    p1, p2 = s.periods
    assert (p1.name, p1.starts_on, p1.ends_on) == ("Đợt 1", date(2022, 1, 1), date(2022, 6, 30))
    assert p1.theme.startswith("Thi đua lập thành tích chào mừng các ngày lễ lớn")
    assert (p2.name, p2.starts_on, p2.ends_on) == ("Đợt 2", date(2022, 7, 1), date(2022, 11, 20))
    assert p2.theme == "Đoàn kết, năng động, sáng tạo, trách nhiệm"
    assert (s.signer.prefix, s.signer.title, s.signer.name) == (None, "GIÁM ĐỐC", "Lê Nguyên Ngọc")
    assert s.addressees == ["Các phòng chuyên môn, đơn vị trực thuộc Sở"]
    assert s.copies == [
        "Sở Nội vụ", "LĐ Sở", "Thành viên HĐTĐKT Sở", "Các phòng cm, đv trực thuộc Sở", "Lưu: VT",
    ]  # fmt: skip
    assert [(b.number, b.date) for b in s.legal_bases] == [
        ("34-CT/TW", date(2014, 4, 7)),
        ("19/CT-TTg", date(2021, 7, 16)),
    ]
    assert s.closing.endswith("xem xét, giải quyết./.")
    assert s.auto_periods is True and s.rule_set == "nd91-2017"  # the law of 2022
    assert s.reminders.model_dump() == {
        "before_working_days": [7, 3, 1],
        "on_day": True,
        "overdue_every_working_days": 2,
        "escalate_after_working_days": 5,
    }
    (table,) = s.criteria
    assert table.block is None and len(table.criteria) == 6
    assert sum(c.max_points for c in table.criteria) == 100
    assert [d.kind for d in s.deadlines] == [
        "registration", "period_1_report", "period_2_report", "self_score", "nominations",
        "council_vote",
    ]  # fmt: skip


def test_quangngai_is_complete():
    s = load_spec(QUANGNGAI)
    assert (s.document.number, s.document.symbol, s.document.date) == (
        "1888", "SCT-VP", "2021-09-23",
    )  # fmt: skip
    assert s.document.summary.startswith("Về việc tổ chức thực hiện phát động thi đua")
    assert s.content_count() == 10
    assert [i.number for i in s.contents[0].items] == [f"{n}." for n in range(1, 11)]
    assert "Việc thực hiện các phong trào thi đua gắn với" in s.contents[0].items[1].text
    assert [(b.number, b.date, b.issuer) for b in s.legal_bases] == [
        ("14/CT-UBND", date(2021, 8, 6), "Chủ tịch UBND tỉnh Quảng Ngãi"),
        ("193/TB-BCT", date(2021, 9, 15), "Bộ trưởng Bộ Công Thương"),
        ("34-CT/TW", date(2014, 4, 7), "Bộ Chính trị"),
        ("05-CT/TW", None, "Bộ Chính trị"),
        ("01-KL/TW", date(2021, 5, 18), "Bộ Chính trị"),
        ("01-NQ/TU", date(2021, 5, 11), "Hội nghị Tỉnh ủy lần thứ 3 (khóa XX)"),
        ("998/KH-UBND", date(2021, 7, 7), "UBND tỉnh Quảng Ngãi"),
    ]
    assert len(s.addressees) == 3 and s.copies[0] == "Như trên" and s.copies[-1] == "Lưu: VT, VP"
    assert len(s.copies) == 11
    assert (s.signer.title, s.signer.name) == ("GIÁM ĐỐC", "Võ Văn Rân")
    assert s.targets == [] and s.quotas == [] and s.closing is None
    (period,) = s.effective_periods()
    assert (period.starts_on, period.ends_on) == (date(2021, 1, 1), date(2021, 12, 31))


def test_tamduong_is_complete():
    s = load_spec(TAMDUONG)
    assert (s.document.kind, s.document.number, s.document.symbol, s.document.date) == (
        "chi_thi", None, "CT-UBND", "2024",
    )  # fmt: skip
    assert s.theme.startswith("Đoàn kết, trách nhiệm, sáng tạo thi đua phấn đấu")
    assert [(sec.section, len(sec.items)) for sec in s.contents] == [(None, 6)]
    six = s.contents[0].items[5]
    assert (six.number, six.text) == ("6.", "Tổ chức thực hiện")
    assert [i.number for i in six.items] == ["a)", "b)", "c)", "d)", "e)"]
    assert [(b.number, b.date) for b in s.legal_bases] == [
        ("06/2022/QH15", date(2022, 6, 15)),
        ("34-CT/TW", date(2014, 4, 7)),
        ("07/CT-TTg", date(2014, 3, 19)),
        ("19/CT-TTg", date(2021, 7, 16)),
        ("09/CT-UBND", date(2021, 8, 11)),
        ("05-CT/TW", date(2016, 5, 15)),
    ]
    assert (s.signer.prefix, s.signer.title, s.signer.name) == (
        "TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH", "Sùng Lữ Páo",
    )  # fmt: skip
    assert s.addressees == [] and s.copies[-1] == "Lưu: VT" and len(s.copies) == 8
    assert len(s.effective_periods()) == 1


@pytest.mark.parametrize("path", [HANAM, QUANGNGAI, TAMDUONG], ids=lambda p: p.stem)
def test_examples_check_clean(path: Path):
    assert check_spec(path) == []


SEEDS = {
    HANAM: "hanam-sct-2022-cong-van-phat-dong.txt",
    QUANGNGAI: "quangngai-sct-2021-cong-van.txt",
    TAMDUONG: "tamduong-ubnd-2024-chi-thi.txt",
}


def _words(text: str) -> str:
    # the seeds carry markdown emphasis and "“ **" where Word had bold; the words are the same
    text = text.replace("**", "").replace("*", "").replace("|", "").replace("“ ", "“")
    return " ".join(text.split())


@pytest.mark.parametrize("path", list(SEEDS), ids=lambda p: p.stem)
def test_examples_transcribe_their_seed(path: Path):
    """Every paragraph of the directive's body is in the spec, in the same order, as an item
    (its number and text) or as a target (label, figure and unit); every text of the spec is the
    directive's own wording (the seeds are copied into tests/data/spec/seeds)."""
    s = load_spec(path)
    seed = (DATA / "seeds" / SEEDS[path]).read_text(encoding="utf-8")
    targets = {t.code: t for t in s.targets}
    ours: list[str | object] = [s.preamble or ""]  # the body in the spec's order
    for sec in s.contents:
        ours += [sec.section] if sec.section else []
        for top in sec.items:
            for _, it in top.walk():
                first, *rest = it.text.split("\n")  # paragraphs after the first: no number
                ours += [f"{it.number or ''} {first}", *rest]
                ours += [targets[c] for c in it.targets]
    ours += [s.closing] if s.closing else []
    texts = [o for o in ours if isinstance(o, str)]
    extra = [s.theme, s.document.summary or ""] + [q.text for q in s.quotas]
    theirs = _words(seed)
    for part in texts + extra + [p.theme or "" for p in s.periods or []]:
        assert _words(part) in theirs, part
    lines = [_words(p) for p in seed.splitlines()]
    lines = [p for p in lines if p]
    first = next(i for i, p in enumerate(lines) if p.startswith(_words(s.preamble or "")[:40]))
    end = next(i for i, p in enumerate(lines) if p.startswith("Nơi nhận"))
    body = lines[first + 1 : end]  # the paragraphs after the preamble, up to "Nơi nhận"
    # a paragraph broken by a page in the seed is one paragraph of the spec: join the pieces
    mine = [o if not isinstance(o, str) else _words(o) for o in ours[1:]]
    k = 0
    for para in body:
        while k < len(mine) and isinstance(mine[k], str) and para not in mine[k]:
            k += 1
        assert k < len(mine), f"not in the spec, or out of order: {para}"
        if isinstance(mine[k], str):
            continue
        t = mine[k]  # a target line: "- Giá trị … đạt 174.186,0 tỷ đồng."
        assert t.label in para and f"{t.value_text} {t.unit}" in para, (para, t.code)
        k += 1
    placed = [o.code for o in ours if not isinstance(o, str)]
    assert sorted(placed) == sorted(targets)  # every target of the spec is in the text, once
    copies = seed.split("Nơi nhận:")[1].split("\n\n")[1].splitlines()
    assert [c.removeprefix("- ").rstrip(";.") for c in copies if c.startswith("- ")] == [
        c.removesuffix(" (B/c)") for c in s.copies
    ]


# --- refusals ----------------------------------------------------------------------------------


def test_field_errors_all_at_once():
    path = DATA / "bad-fields.yaml"
    with pytest.raises(InvalidInput) as e:
        load_spec(path)
    got = {(p.field, p.where): p.reason for p in e.value.problems}
    expected = {
        ("themme", "themme:"): "trường không được phép",
        ("theme", "code:"): "thiếu trường bắt buộc",
        ("document.kind", "quyet_dinh"): "phải là một trong",
        ("document.date", '"2025-13"'): "ngày không hợp lệ",
        ("targets[1].value", "mười"): "không phải là số",
        ("targets[2].value_text", '"4.410"'): "khác value 4401",
        ("quotas[0].min", "min: 20"): "lớn hơn max",
        ("quotas[1].min", "min: 120"): "không được vượt quá 100",
        ("periods[0].starts_on", "2025-02-30"): "ngày không hợp lệ",
        ("deadlines[0].kind", "hop_hoi_dong"): "phải là một trong",
    }
    for (field, marker), reason in expected.items():
        where = f"{path}:{line_of(path, marker)}"
        assert reason in got[(field, where)], (field, got)
    assert len(e.value.problems) == len(expected)
    # the message a user sees lists them all
    assert str(e.value).count("\n  - ") == len(expected)


def test_every_wrong_value_gets_a_vietnamese_reason():
    path = DATA / "bad-types.yaml"
    problems = check_spec(path)
    fields = {p.field for p in problems}
    assert {"code", "year", "title", "document", "contents", "legal_bases[0].date"} <= fields
    assert {
        "targets[0].growth_pct",
        "quotas[0].subject",
        "quotas[0].min",
        "periods[0].number",
    } <= fields
    assert {"auto_periods", "reminders.on_day", "criteria[0].criteria", "participants"} <= fields
    assert len(problems) == 16
    for p in problems:
        assert p.where.startswith(f"{path}:") and "Input should" not in p.reason
        assert not p.reason.startswith("giá trị không hợp lệ ("), p  # not the untranslated fallback


def test_cross_field_errors():
    path = DATA / "bad-cross.yaml"
    got = {p.field: (p.reason, p.where) for p in check_spec(path)}
    assert "chồng lên nhau" in got["periods[1].starts_on"][0]
    assert got["periods[1].starts_on"][1] == f"{path}:{line_of(path, 'overlaps period 1')}"
    assert "ngoài năm 2025" in got["periods[1].ends_on"][0]
    assert "registration" in got["deadlines[1].kind"][0]
    assert "Lưu: VT" in got["copies[1]"][0]
    assert "sau ngày ban hành 2025-03" in got["legal_bases[0].date"][0]
    assert got["legal_bases[0].date"][1] == f"{path}:{line_of(path, 'after the directive')}"
    assert "thuộc năm 2025" in got["deadlines[2].due_on"][0]
    assert len(got) == 6


def test_cross_field_errors_come_with_field_errors():
    path = DATA / "bad-mixed.yaml"
    got = {p.field: p for p in check_spec(path)}
    assert "trường không được phép" in got["themme"].reason  # a field error
    assert "không phải là số" in got["targets[1].value"].reason
    overlap = got["periods[1].starts_on"]  # and the cross-field ones, in the same report
    assert "chồng lên nhau" in overlap.reason
    assert overlap.where == f"{path}:{line_of(path, 'overlaps period 1')}"
    assert got["deadlines[1].kind"].where == f"{path}:{line_of(path, 'twice')}"


def test_invalid_periods_raise_no_false_deadline_errors(tmp_path: Path):
    path = tmp_path / "p.yaml"
    text = (DATA / "minimal.yaml").read_text(encoding="utf-8")
    bad_period = "  - {number: 1, starts_on: 2025-01-01, ends_on: 2025-06-31}\n"
    extra = (
        "periods:\n" + bad_period + "  - {number: 2, starts_on: 2025-07-01, ends_on: 2025-11-20}\n"
    )
    extra += "deadlines:\n  - {kind: period_2_report, due_on: 2025-11-30}\n"
    path.write_text(text + extra, encoding="utf-8")
    (p,) = check_spec(path)
    assert p.field == "periods[0].ends_on" and "ngày không hợp lệ" in p.reason


def test_unknown_rule_set(tmp_path: Path):
    path = tmp_path / "rules.yaml"
    text = (DATA / "minimal.yaml").read_text(encoding="utf-8")
    path.write_text(text + "rule_set: nd152-2052\n", encoding="utf-8")
    (p,) = check_spec(path)
    assert p.field == "rule_set" and "Không tìm thấy bộ quy tắc 'nd152-2052'" in p.reason
    assert p.where == f"{path}:{line_of(path, 'nd152-2052')}"


def test_period_2_report_on_one_period_movement():
    (p,) = check_spec(DATA / "one-period-p2.yaml")
    assert p.field == "deadlines[0].kind" and "chỉ có một đợt" in p.reason


@pytest.mark.parametrize(
    "text, read",
    [
        ("từ 80% đạt Lao động tiên tiến", ("percent", 80, None)),
        ("từ 15 đến 20% đạt Lao động xuất sắc", ("percent", 15, 20)),
        ("Có từ 01 đến 02 đơn vị được UBND tỉnh công nhận", ("count", 1, 2)),
        ("Có ít nhất 15% cá nhân hoàn thành xuất sắc nhiệm vụ", ("percent", 15, None)),
        ("Có từ 20 đến 25 cá nhân trở lên được tặng Giấy khen", ("count", 20, 25)),
        ("và Cờ thi đua xuất sắc", None),
        ("100% các phòng hoàn thành tốt nhiệm vụ trong đó từ 80% đạt", None),  # two figures
    ],
)
def test_read_quota(text, read):
    assert read_quota(text) == read


@given(st.integers(min_value=0, max_value=10**12), st.integers(min_value=0, max_value=3))
def test_target_text_as_vietnamese_number_agrees(units: int, decimals: int):
    value = Decimal(units).scaleb(-decimals)
    target = {"code": "t", "label": "Chỉ tiêu", "unit": "tỷ đồng", "value": value}
    ok = TargetSpec.model_validate({**target, "value_text": vn_number(value, decimals)})
    assert ok.value == value
    with pytest.raises(ValidationError, match="khác value"):
        TargetSpec.model_validate({**target, "value_text": vn_number(value + 1, decimals)})


@pytest.mark.parametrize(
    "kind, low, high, field",
    [("count", 15, 20, "kind"), ("percent", 10, 20, "min"), ("percent", 15, 25, "max")],
)
def test_quota_numbers_must_agree_with_its_words(kind, low, high, field):
    quota = {"subject": "collective", "title": "TTLDXS", "text": "từ 15 đến 20% đạt LĐXS"}
    with pytest.raises(ValidationError) as e:
        QuotaSpec.model_validate({**quota, "kind": kind, "min": low, "max": high})
    (err,) = e.value.errors()
    assert err["ctx"]["error"].field == field and "văn bản ghi" in str(err["ctx"]["error"])
    assert QuotaSpec.model_validate({**quota, "kind": "percent", "min": 15, "max": 20})


GROWTH = DATA / "growth.yaml"


def test_growth_spec_reads_its_targets():
    s = load_spec(GROWTH)
    assert s.theme_label == "Phương châm" and s.closing is None
    got = [(t.code, t.qualifier, t.comparison, t.growth_pct, t.parent) for t in s.targets]
    assert got == [
        ("grdp", "khoảng", "at_least", None, None),
        ("sxcn", None, "at_least", Decimal("12.5"), None),
        ("thu_ns", None, "at_least", Decimal("8"), None),
        ("thu_nd", None, "at_least", None, "thu_ns"),
        ("ho_ngheo", "không quá", "at_most", None, None),  # judged at most from its word
    ]
    assert s.targets[1].growth_basis == "so với ước thực hiện năm 2021"


@pytest.mark.parametrize(
    "old, new, field, reason",
    [
        # a section without items
        ("  - section: II. NHIỆM VỤ, GIẢI PHÁP\n    items:\n",
         "  - section: II. NHIỆM VỤ, GIẢI PHÁP\n    items: []\n  - section: III\n    items:\n",
         "contents[1].items", "phải có ít nhất 1 mục"),
        # a growth that is not a number
        ("    growth_pct: 12.5\n", "    growth_pct: 12,5%\n", "targets[1].growth_pct",
         "không phải là số"),
        # a part larger than its whole
        ('    value: 2316\n    value_text: "2.316"\n', '    value: 2416\n    value_text: "2.416"\n',
         "targets[3].value", "lớn hơn chỉ tiêu 'Thu ngân sách nhà nước trên địa bàn'"),
        # a part before its whole
        ("    parent: thu_ns\n", "    parent: ho_ngheo\n", "targets[3].parent",
         "phải được khai trước nó"),
        # an item listing a target that does not exist, and one listed twice
        ("targets: [ho_ngheo]", "targets: [ho_ngheo, tong_thu]", "contents[0].items[2].targets[1]",
         "không có chỉ tiêu mã 'tong_thu'"),
        ("targets: [ho_ngheo]", "targets: [ho_ngheo, grdp]", "contents[0].items[2].targets[1]",
         "đã được liệt kê ở một mục khác"),
        # a comparison word that says the opposite of the comparison
        ("    qualifier: không quá\n", "    qualifier: không quá\n    comparison: at_least\n",
         "targets[4].comparison", "văn bản ghi 'không quá'"),
        # an item number in no form a directive uses
        ('number: "2."\n        text: "Về xã hội:"', 'number: "2.)"\n        text: x',
         "contents[0].items[2].number", "không đúng dạng"),
    ],
)  # fmt: skip
def test_bad_structure_is_named(tmp_path: Path, old, new, field, reason):
    text = GROWTH.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "bad.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    problems = check_spec(path)
    assert problems, new
    hit = [p for p in problems if p.field == field]
    assert hit and reason in hit[0].reason, problems
    assert hit[0].where.startswith(f"{path}:")


def test_bad_structure_stores_nothing(session: Session, tmp_path: Path):
    path = tmp_path / "bad.yaml"
    text = GROWTH.read_text(encoding="utf-8").replace("    parent: thu_ns\n", "    parent: x\n")
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InvalidInput):
        store_spec(session, load_spec(path), actor="vp")
    assert set(counts(session).values()) == {0}


def test_empty_lists_may_be_left_blank(tmp_path: Path):
    path = tmp_path / "blank.yaml"
    text = (DATA / "minimal.yaml").read_text(encoding="utf-8")
    path.write_text(text + "targets:\naddressees:\ncopies:\n", encoding="utf-8")
    s = load_spec(path)
    assert s.targets == [] and s.addressees == [] and s.copies == []


def test_minimal_spec_gets_one_period_for_the_year():
    s = load_spec(DATA / "minimal.yaml")
    (p,) = s.effective_periods()
    assert (p.number, p.starts_on, p.ends_on) == (1, date(2025, 1, 1), date(2025, 12, 31))
    assert s.reminders.before_working_days == [7, 3, 1]


@pytest.mark.parametrize(
    "text, reason",
    [
        (None, "không tìm thấy tệp"),
        ("", "tệp rỗng"),
        ("code: [unclosed\n  year: 2022\n", "cú pháp YAML sai"),
        ("- a\n- b\n", "không phải một danh sách"),
        ("code: a\ncode: b\n", "trường 'code' được khai hai lần"),
        ("code: a\n\tyear: 1\n", "có ký tự Tab"),
        ("\x00\x01binary", "không phải YAML"),
        (b"PK\x03\x04\xff\xfe", "không phải văn bản UTF-8"),
    ],
    ids=["missing", "empty", "syntax", "list", "duplicate-key", "tab", "control", "binary"],
)
def test_unreadable_files(tmp_path: Path, text, reason):
    path = tmp_path / "spec.yaml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    elif text is not None:
        path.write_text(text, encoding="utf-8")
    (p,) = check_spec(path)
    assert reason in p.reason and str(path) in p.where


def test_nfd_input_is_stored_nfc(session: Session, tmp_path: Path):
    """Text pasted from Word is often NFD; what is stored (and hashed) is NFC."""
    nfd = unicodedata.normalize("NFD", TAMDUONG.read_text(encoding="utf-8"))
    assert nfd != unicodedata.normalize("NFC", nfd)
    path = tmp_path / "nfd.yaml"
    path.write_text(nfd, encoding="utf-8")
    s = load_spec(path)
    assert spec_hash(s) == spec_hash(load_spec(TAMDUONG))
    store_spec(session, s, actor="vp")
    session.commit()
    session.expire_all()
    m = session.exec(select(Movement)).one()
    assert m.agency == "ỦY BAN NHÂN DÂN HUYỆN TAM ĐƯỜNG" and m.signer_name == "Sùng Lữ Páo"
    stored = [m.theme, m.preamble, m.closing, m.place, m.signer_prefix]
    stored += [c.text for c in session.exec(select(Content)).all()]
    stored += [r.name for r in session.exec(select(Recipient)).all()]
    stored += [b.issuer for b in session.exec(select(LegalBasis)).all()]
    assert all(unicodedata.is_normalized("NFC", t) for t in stored)
    assert session.exec(select(Movement).where(Movement.place == "Tam Đường")).one()


# --- storing -----------------------------------------------------------------------------------


def test_store_hanam(session: Session):
    spec = load_spec(HANAM)
    m = store_spec(session, spec, actor="vanphong")
    session.commit()
    m = session.exec(select(Movement).where(Movement.code == "hanam-sct-2022")).one()
    assert (m.state, m.doc_kind, m.issued_date, m.doc_number) == (
        "draft",
        "cong_van",
        "2022-03",
        None,
    )
    assert m.spec_hash == spec_hash(spec) and len(m.spec_hash) == 64
    assert m.reminder_policy["before_working_days"] == [7, 3, 1]
    targets = session.exec(select(Target).where(Target.movement_id == m.id).order_by(Target.seq))
    assert [(t.value, t.value_text, t.unit) for t in targets] == [
        (Decimal("174186.0"), "174.186,0", "tỷ đồng"),
        (Decimal("35981.0"), "35.981,0", "tỷ đồng"),
        (Decimal("4401"), "4.401", "triệu USD"),
        (Decimal("3882"), "3.882", "triệu USD"),
    ]
    periods = session.exec(select(Period).where(Period.movement_id == m.id).order_by(Period.number))
    assert [(p.number, p.starts_on, p.ends_on) for p in periods] == [
        (1, date(2022, 1, 1), date(2022, 6, 30)),
        (2, date(2022, 7, 1), date(2022, 11, 20)),
    ]
    contents = session.exec(select(Content).where(Content.movement_id == m.id)).all()
    # 8 + (1 + 1 + 2.1 with its 4 dashes + 2.2 with its 3) + (the paragraph and 2 in III)
    assert len(contents) == 8 + 11 + 3
    assert [c.depth for c in contents if c.section and c.section.startswith("II.")] == [
        0, 0, 1, 2, 2, 2, 2, 1, 2, 2, 2,
    ]  # fmt: skip
    assert {t.content_seq for t in targets_of(session, m)} == {9}
    recipients = session.exec(select(Recipient).order_by(Recipient.seq)).all()
    assert [r.role for r in recipients] == ["addressee"] + ["copy"] * 5
    assert recipients[-1].name == "Lưu: VT"
    quota = session.exec(select(TitleQuota).where(TitleQuota.title == "CSTD_TINH")).one()
    assert (quota.kind, quota.minimum, quota.maximum) == ("count", 1, 2)
    table = session.exec(select(CriteriaTable)).one()
    assert table.block_id is None
    points = session.exec(select(func.sum(Criterion.max_points))).one()
    assert points == 100
    assert session.exec(select(func.count()).select_from(Deadline)).one() == 6
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "movement.created")).one()
    assert event.actor == "vanphong" and event.movement_id == m.id
    assert event.data["spec_hash"] == m.spec_hash


def test_store_all_examples_and_duplicate_refused(session: Session):
    for path in (HANAM, QUANGNGAI, TAMDUONG):
        store_spec(session, load_spec(path), actor="vp")
    session.commit()
    bases = session.exec(
        select(LegalBasis).join(Movement).where(Movement.code == "quangngai-sct-2021")
    ).all()
    assert len(bases) == 7 and bases[3].issued_on is None
    one = session.exec(select(Period).join(Movement).where(Movement.code == "tamduong-ubnd-2024"))
    assert [(p.starts_on, p.ends_on) for p in one] == [(date(2024, 1, 1), date(2024, 12, 31))]
    before = counts(session)
    with pytest.raises(InvalidInput) as e:
        store_spec(session, load_spec(HANAM), actor="vp")
    assert e.value.problems[0].field == "code"
    assert "đã có phong trào mã 'hanam-sct-2022'" in e.value.problems[0].reason
    session.rollback()
    assert counts(session) == before


def _org(session: Session) -> dict[str, int]:
    """A root, four units under it (one inactive), one block."""
    root = Unit(code="SCT", name="Sở Công Thương")
    session.add(root)
    session.flush()
    units = [
        Unit(code=c, name=f"Phòng {c}", parent_id=root.id, active=c != "P4")
        for c in ("P1", "P2", "P3", "P4")
    ]
    session.add_all(units)
    block = Block(code="K1", name="Khối 1")
    session.add(block)
    session.flush()
    session.add(BlockMember(block_id=block.id, unit_id=units[0].id))
    session.flush()
    return {u.code: u.id for u in [root, *units]} | {"K1": block.id}


def test_enrol_default_and_listed(session: Session, tmp_path: Path):
    ids = _org(session)
    m = store_spec(session, load_spec(HANAM), actor="vp")
    assert enrol_participants(session, m) == 3  # not the root, not the inactive unit
    assert enrol_participants(session, m) == 3  # idempotent
    rows = {p.unit_id: p.block_id for p in session.exec(select(Participant)).all()}
    assert rows == {ids["P1"]: ids["K1"], ids["P2"]: None, ids["P3"]: None}

    text = (DATA / "minimal.yaml").read_text(encoding="utf-8")
    listed = tmp_path / "listed.yaml"
    table = "criteria:\n  - block: K1\n    name: Bảng khối 1\n    criteria:\n"
    table += "      - {code: TC1, text: Nhiệm vụ, max_points: 60}\n"
    table += "      - {code: TC2, text: Phong trào, max_points: 40, evidence: Báo cáo}\n"
    listed.write_text(text + "participants: [P2, P1]\n" + table, encoding="utf-8")
    m2 = store_spec(session, load_spec(listed), actor="vp")
    ct = session.exec(select(CriteriaTable).where(CriteriaTable.movement_id == m2.id)).one()
    assert ct.block_id == ids["K1"]
    crit = session.exec(select(Criterion).where(Criterion.table_id == ct.id)).all()
    assert [(c.code, c.max_points, c.evidence_required) for c in crit] == [
        ("TC1", 60, None),
        ("TC2", 40, "Báo cáo"),
    ]
    assert enrol_participants(session, m2) == 2
    got = session.exec(select(Participant.unit_id).where(Participant.movement_id == m2.id)).all()
    assert sorted(got) == sorted([ids["P1"], ids["P2"]])


def test_unknown_block_and_unit_store_nothing(sqlite_url: str, tmp_path: Path):
    session = Session(engine_for(sqlite_url))
    _org(session)
    session.commit()
    text = (DATA / "minimal.yaml").read_text(encoding="utf-8")
    path = tmp_path / "bad-refs.yaml"
    path.write_text(
        text
        + "participants: [P1, KHONG_CO]\n"
        + "criteria:\n  - block: K9\n    name: Bảng\n    criteria:\n"
        + "      - {code: TC1, text: Nhiệm vụ, max_points: 100}\n",
        encoding="utf-8",
    )
    spec = load_spec(path)
    before = counts(session)
    with pytest.raises(InvalidInput) as e:
        store_spec(session, spec, actor="vp")
    reasons = {p.field: p.reason for p in e.value.problems}
    assert "K9" in reasons["criteria[0].block"] and "KHONG_CO" in reasons["participants[1]"]
    where = {p.field: p.where for p in locate(path, e.value.problems)}
    assert where["criteria[0].block"] == f"{path}:{line_of(path, 'block: K9')}"
    assert where["participants[1]"] == f"{path}:{line_of(path, 'participants:')}"
    session.rollback()
    assert counts(session) == before


def test_failing_store_rolls_back_partial_writes(db_url: str):
    """A failure after the first write (here the movement row conflicts only at flush) leaves
    nothing behind once the caller's transaction rolls back."""
    from models.db import session_scope

    spec = load_spec(TAMDUONG)
    with session_scope() as s:
        store_spec(s, spec, actor="vp")
    with Session(engine_for(db_url)) as s:
        before = counts(s)
    with pytest.raises(InvalidInput), session_scope() as s:
        s.add(Unit(code="MOI", name="Đơn vị mới"))  # the caller's own earlier write
        store_spec(s, spec, actor="vp")
    with Session(engine_for(db_url)) as s:
        assert counts(s) == before
        assert s.exec(select(Unit).where(Unit.code == "MOI")).first() is None


# --- the command line --------------------------------------------------------------------------


def test_cli_check_and_load(db_url: str):
    runner = CliRunner()
    ok = runner.invoke(app, ["check", str(HANAM)])
    assert ok.exit_code == 0 and ok.stdout.startswith("Hợp lệ: hanam-sct-2022")
    assert "4 chỉ tiêu nhiệm vụ" in ok.stdout and "2 đợt" in ok.stdout
    three = runner.invoke(app, ["check", str(HANAM), str(QUANGNGAI), str(TAMDUONG)])
    assert three.exit_code == 0 and three.stdout.count("Hợp lệ: ") == 3
    bad = runner.invoke(app, ["check", str(QUANGNGAI), str(DATA / "bad-fields.yaml")])
    assert bad.exit_code == 1
    assert "targets[1].value" in bad.output and "bad-fields.yaml:" in bad.output
    for missing in ("khong-co.yaml", str(DATA)):
        r = runner.invoke(app, ["check", missing])
        assert r.exit_code == 1 and "Traceback" not in r.output
    loaded = runner.invoke(app, ["load", str(QUANGNGAI)])
    assert loaded.exit_code == 0, loaded.output
    assert "Đã lưu phong trào quangngai-sct-2021" in loaded.output
    again = runner.invoke(app, ["load", str(QUANGNGAI)])
    assert again.exit_code == 1 and "đã có phong trào mã" in again.output
    assert f"{QUANGNGAI}:{line_of(QUANGNGAI, 'code:')}: code:" in again.output
    with Session(engine_for(db_url)) as s:
        assert s.exec(select(func.count()).select_from(Movement)).one() == 1


def test_cli_never_shows_a_traceback(sqlite_url: str, tmp_path: Path, monkeypatch):
    from thidua.settings import reset_settings

    runner = CliRunner()
    empty = tmp_path / "rong.yaml"
    empty.write_text("", encoding="utf-8")
    for args in (
        ["check", str(empty)],
        ["load", str(empty)],
        ["load", str(DATA / "bad-cross.yaml")],
    ):
        r = runner.invoke(app, args)
        assert r.exit_code == 1 and "Traceback" not in r.output and "lỗi" in r.output
        assert not isinstance(r.exception, Exception) or isinstance(r.exception, SystemExit)
    with Session(engine_for(sqlite_url)) as s:
        assert s.exec(select(func.count()).select_from(Movement)).one() == 0
    # a database without the schema: a message, exit 2, no traceback
    monkeypatch.setenv("THIDUA_DATABASE_URL", f"sqlite:///{tmp_path / 'no-schema.db'}")
    reset_settings()
    r = runner.invoke(app, ["load", str(HANAM)])
    assert r.exit_code == 2 and "Lỗi cơ sở dữ liệu, chưa lưu gì" in r.output
    assert "Traceback" not in r.output


def test_concurrent_duplicate_code_refused_on_postgres(pg_url: str, tmp_path: Path):
    """Two offices storing the same code at once: PostgreSQL's unique index makes the second
    wait for the first, then refuse with the Vietnamese message (not an IntegrityError)."""
    import threading
    import uuid

    code = f"dua-{uuid.uuid4().hex[:8]}"
    path = tmp_path / "race.yaml"
    text = (DATA / "minimal.yaml").read_text(encoding="utf-8")
    path.write_text(text.replace("code: toi-thieu-2025", f"code: {code}"), encoding="utf-8")
    spec, engine = load_spec(path), engine_for(pg_url)
    outcome: list[object] = []
    first = Session(engine)
    store_spec(first, spec, actor="vp1")  # written, not yet committed

    def second() -> None:
        with Session(engine) as s:
            try:
                store_spec(s, spec, actor="vp2")
                s.commit()
                outcome.append("stored")
            except InvalidInput as e:
                s.rollback()
                outcome.append(e)

    t = threading.Thread(target=second)
    t.start()
    t.join(timeout=1.5)
    assert t.is_alive()  # waiting on the first transaction's row
    first.commit()
    first.close()
    t.join(timeout=30)
    (e,) = outcome
    assert isinstance(e, InvalidInput) and "đã có phong trào mã" in e.problems[0].reason
    with Session(engine) as s:
        assert len(s.exec(select(Movement).where(Movement.code == code)).all()) == 1


def test_enrol_follows_the_imported_org(session: Session, tmp_path: Path):
    """The org imported from CSV, the movement enrolled; after a re-import moves a unit to
    another block, enrolling again (idempotent) records its new block."""
    from thidua.orgdata import import_org

    org = Path(__file__).parent / "data" / "org" / "csv"
    import_org(session, org, actor="vp")
    m = store_spec(session, load_spec(HANAM), actor="vp")
    assert enrol_participants(session, m) == 4  # SCT is the root
    block = dict(session.exec(select(Block.code, Block.id)).all())
    unit = dict(session.exec(select(Unit.code, Unit.id)).all())
    got = dict(session.exec(select(Participant.unit_id, Participant.block_id)).all())
    assert got[unit["SCT-QLTM-T1"]] == block["K1"] and got[unit["SCT-VP"]] == block["K2"]
    (tmp_path / "blocks.csv").write_text(
        'code,name,leader,members\nK2,Khối Văn phòng,SCT-VP,"SCT-VP, SCT-QLTM-T1"\n',
        encoding="utf-8",
    )
    import_org(session, tmp_path / "blocks.csv", actor="vp")
    assert enrol_participants(session, m) == 4
    got = dict(session.exec(select(Participant.unit_id, Participant.block_id)).all())
    assert got[unit["SCT-QLTM-T1"]] == block["K2"]
