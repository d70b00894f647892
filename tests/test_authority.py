"""Who decides and who proposes is the issuing agency's data (thidua/authority.py): the profiles
of rules/authorities, the spec's issuer.authority block and what the Quyết định and Tờ trình say
because of it. Luật Thi đua, khen thưởng 2022, Điều 78–80."""

from datetime import date, timedelta
from pathlib import Path

import pytest
from docx import Document
from sqlmodel import select

from models import Decision, DecisionItem, Movement, Nomination, Unit
from models.base import utcnow
from tests.test_rules_support import GOOD, history, nominate, people, unit
from thidua import documents as D
from thidua.authority import authority_of, load_profile, profile_names, resolve
from thidua.awarding import draft_decisions
from thidua.ballots import cast_ballot, close_meeting, open_meeting
from thidua.errors import InvalidInput, ThiduaError
from thidua.settings import PROJECT_ROOT
from thidua.spec import store_spec
from thidua.spec_load import check_spec, load_spec
from thidua.spec_schema import AuthoritySpec, LegalTextSpec

EXAMPLES = PROJECT_ROOT / "examples"
HANAM = EXAMPLES / "hanam-sct-2022.yaml"

LAW = "Luật Thi đua, khen thưởng ngày 15 tháng 6 năm 2022"
DECREE = (
    "Nghị định số 152/2025/NĐ-CP ngày 14 tháng 6 năm 2025 của Chính phủ quy định về phân cấp, "
    "phân quyền trong lĩnh vực thi đua, khen thưởng; quy định chi tiết và hướng dẫn thi hành "
    "một số điều của Luật Thi đua, khen thưởng"
)
HANAM_RULES = (
    "Quyết định số 30/2024/QĐ-UBND ngày 03 tháng 7 năm 2024 của Ủy ban nhân dân tỉnh Hà Nam về "
    "việc ban hành Quy chế về công tác thi đua, khen thưởng trên địa bàn tỉnh Hà Nam"
)
SO_COMPETENCE = (
    "Nghị định số 45/2025/NĐ-CP ngày 28 tháng 02 năm 2025 của Chính phủ quy định tổ chức các cơ "
    "quan chuyên môn thuộc Ủy ban nhân dân tỉnh, thành phố trực thuộc trung ương và Ủy ban nhân "
    "dân huyện, quận, thị xã, thành phố thuộc tỉnh, thành phố thuộc thành phố trực thuộc trung "
    "ương"
)
# The same Sở under the law of 2022 (examples/hanam-sct-2022.yaml, profile so-nd91-2017).
LAW_2003 = (
    "Luật Thi đua, khen thưởng ngày 26 tháng 11 năm 2003",
    "Luật sửa đổi, bổ sung một số điều của Luật Thi đua, khen thưởng ngày 14 tháng 6 năm 2005",
    "Luật sửa đổi, bổ sung một số điều của Luật Thi đua, khen thưởng ngày 16 tháng 11 năm 2013",
)
DECREE_2017 = (
    "Nghị định số 91/2017/NĐ-CP ngày 31 tháng 7 năm 2017 của Chính phủ quy định chi tiết thi "
    "hành một số điều của Luật Thi đua, khen thưởng"
)
SO_COMPETENCE_2014 = (
    "Nghị định số 24/2014/NĐ-CP ngày 04 tháng 4 năm 2014 của Chính phủ quy định tổ chức các cơ "
    "quan chuyên môn thuộc Ủy ban nhân dân tỉnh, thành phố trực thuộc Trung ương"
)
CIRCULAR_2019 = (
    "Thông tư số 12/2019/TT-BNV ngày 04 tháng 11 năm 2019 của Bộ trưởng Bộ Nội vụ quy định chi "
    "tiết thi hành một số điều của Nghị định số 91/2017/NĐ-CP ngày 31 tháng 7 năm 2017 của Chính "
    "phủ quy định chi tiết thi hành một số điều của Luật Thi đua, khen thưởng"
)
HANAM_RULES_2019 = (
    "Quyết định số 1041/QĐ-UBND ngày 06 tháng 6 năm 2019 của Ủy ban nhân dân tỉnh Hà Nam về việc "
    "ban hành Quy chế về công tác thi đua, khen thưởng trên địa bàn tỉnh Hà Nam"
)


# --- the profiles -----------------------------------------------------------------------------


def test_each_tier_decides_its_own_titles_and_proposes_to_the_tier_above():
    assert profile_names() == [
        "so", "so-nd91-2017", "so-nd98-2023", "ubnd-huyen-2024", "ubnd-tinh",
        "ubnd-tinh-nd91-2017", "ubnd-xa",
    ]  # fmt: skip
    so, tinh, xa = load_profile("so"), load_profile("ubnd-tinh"), load_profile("ubnd-xa")
    # Điều 80 khoản 1: the head of a Sở decides TTLĐTT, CSTĐCS, LĐTT and Giấy khen.
    assert set(so.decides) == {"TTLDTT", "CSTDCS", "LDTT", "GIAY_KHEN"}
    assert so.proposes.to == "Chủ tịch Ủy ban nhân dân tỉnh {province}"
    assert set(so.proposes.decides) == {"BANG_KHEN_TINH", "CSTD_TINH", "CO_THI_DUA", "TTLDXS"}
    # Điều 79: the province's chairman decides those, and proposes to the Prime Minister
    # through the Ministry of Home Affairs, never to itself.
    assert set(tinh.decides) == set(so.proposes.decides)
    assert (tinh.proposes.to, tinh.proposes.through) == ("Thủ tướng Chính phủ", "Bộ Nội vụ")
    assert set(tinh.proposes.decides) == {"BANG_KHEN_TTG", "CO_THI_DUA_CP", "CSTD_TOAN_QUOC"}
    assert "Sở" not in " ".join([*tinh.executors, *tinh.decision_copies]).replace("Sở Nội vụ", "")
    # Điều 80 khoản 3: the commune's chairman decides LĐTT and Giấy khen.
    assert set(xa.decides) == {"LDTT", "GIAY_KHEN"}
    # Each is the law for a span of time; a Sở has one profile for each span.
    assert so.in_force.span().start == date(2025, 7, 1) and so.in_force.span().end is None
    district = load_profile("ubnd-huyen-2024").in_force.span()
    assert (district.start, district.end) == (date(2024, 1, 1), date(2025, 6, 30))
    old, mid = load_profile("so-nd91-2017"), load_profile("so-nd98-2023")
    assert old.in_force.span().end == date(2023, 12, 31)
    assert mid.in_force.span().end == date(2025, 6, 30)
    # Luật Thi đua, khen thưởng 2003, Điều 80 khoản 1: the same four titles.
    assert set(old.decides) == set(so.decides) and old.decides_basis.endswith("năm 2003")
    assert {p.tier for p in (so, old, mid)} == {"so"}
    tinh_2017 = load_profile("ubnd-tinh-nd91-2017")
    assert set(tinh_2017.decides) == set(tinh.decides) and tinh_2017.tier == "ubnd-tinh"


def test_a_profile_cannot_begin_before_the_texts_it_cites(tmp_path, monkeypatch):
    from thidua.settings import reset_settings

    rules = tmp_path / "rules"
    (rules / "authorities").mkdir(parents=True)
    text = (PROJECT_ROOT / "rules" / "authorities" / "so.yaml").read_text(encoding="utf-8")
    early = text.replace("  from: 2025-07-01\n", "  from: 2024-01-01\n")
    (rules / "authorities" / "so.yaml").write_text(early, encoding="utf-8")
    monkeypatch.setenv("THIDUA_RULES_DIR", str(rules))
    reset_settings()
    try:
        with pytest.raises(InvalidInput) as e:
            load_profile("so")
    finally:
        monkeypatch.delenv("THIDUA_RULES_DIR")
        reset_settings()
    reasons = {p.field: p.reason for p in e.value.problems}
    assert "sau ngày hồ sơ có hiệu lực" in reasons["bases[1].date"]  # Nghị định 152/2025


def test_an_unknown_profile_is_refused_with_the_list():
    with pytest.raises(InvalidInput, match=r"Không có hồ sơ thẩm quyền 'bo'.*so, so-nd91-2017"):
        load_profile("bo")


# --- the spec's block -------------------------------------------------------------------------


def test_the_examples_carry_their_authority():
    for name in ("hanam-sct-2022", "quangngai-sct-2021", "tamduong-ubnd-2024"):
        assert check_spec(EXAMPLES / f"{name}.yaml") == [], name
    hanam = _resolved(HANAM)
    assert (hanam.name, hanam.head_title) == ("Sở Công Thương", "Giám đốc Sở Công Thương")
    assert hanam.proposes_to == "Chủ tịch Ủy ban nhân dân tỉnh Hà Nam"
    assert hanam.proposes_through == "Sở Nội vụ tỉnh Hà Nam"
    qn = _resolved(EXAMPLES / "quangngai-sct-2021.yaml")
    assert qn.proposes_to == "Chủ tịch Ủy ban nhân dân tỉnh Quảng Ngãi"
    td = _resolved(EXAMPLES / "tamduong-ubnd-2024.yaml")
    assert td.profile == "ubnd-huyen-2024"
    assert td.head_title == "Chủ tịch Ủy ban nhân dân huyện Tam Đường"
    assert td.proposes_to == "Chủ tịch Ủy ban nhân dân tỉnh Lai Châu"


def _resolved(path: Path):
    s = load_spec(path)
    return resolve(
        s.issuer.authority,
        agency=s.issuer.agency,
        signer_title=s.signer.title,
        parent_agency=s.issuer.parent_agency,
    )


def _variant(tmp_path: Path, base: Path, *edits: tuple[str, str]) -> Path:
    text = base.read_text(encoding="utf-8")
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new, 1)
    out = tmp_path / base.name
    out.write_text(text, encoding="utf-8")
    return out


def _problems(path: Path) -> dict[str, str]:
    return {p.field: p.reason for p in check_spec(path)}


HEAD = "    head_title: Giám đốc Sở Công Thương\n"


@pytest.mark.parametrize(
    ("edits", "field", "reason"),
    [
        ([(HEAD, "")], "issuer.authority.head_title", "thiếu trường bắt buộc"),
        (
            [("    profile: so-nd91-2017\n", "    profile: bo\n")],
            "issuer.authority.profile",
            "không có hồ sơ thẩm quyền 'bo'",
        ),
        (  # a Sở's profile with the province's chairman as head: he would propose to himself
            [(HEAD, "    head_title: Chủ tịch Ủy ban nhân dân tỉnh Hà Nam\n")],
            "issuer.authority.profile",
            "không thể trình chính mình (Chủ tịch Ủy ban nhân dân tỉnh Hà Nam)",
        ),
        (  # a province awards no LĐTT, TTLĐTT, CSTĐCS or Giấy khen, nor does the Prime Minister
            [("    profile: so-nd91-2017\n", "    profile: ubnd-tinh\n")],
            "quotas[4].title",
            "Tập thể lao động tiên tiến không do ai quyết định",
        ),
        (
            [("    proposer: Chánh Văn phòng Sở\n", "    decides: [LDTT, KHONG_CO]\n")],
            "issuer.authority.decides[1]",
            "danh hiệu 'KHONG_CO' không có",
        ),
        (
            [("    competence:", "    old_competence:")],
            "issuer.authority.old_competence",
            "trường không được phép",
        ),
    ],
)
def test_bad_authority_data_is_refused_naming_the_field(tmp_path, edits, field, reason):
    problems = _problems(_variant(tmp_path, HANAM, *edits))
    assert field in problems, problems
    assert reason in problems[field]


def test_a_so_must_cite_its_competence_and_a_district_is_history(tmp_path):
    text = HANAM.read_text(encoding="utf-8")
    start = text.index("    competence:")
    end = text.index("    regulations:")
    no_competence = tmp_path / "a.yaml"
    no_competence.write_text(text[:start] + text[end:], encoding="utf-8")
    assert (
        "chức năng, nhiệm vụ, quyền hạn" in _problems(no_competence)["issuer.authority.competence"]
    )
    # Tam Đường in 2026: no district tier since 01/7/2025.
    later = _variant(
        tmp_path,
        EXAMPLES / "tamduong-ubnd-2024.yaml",
        ("year: 2024", "year: 2026"),
    )
    assert "cấp huyện không còn từ ngày 01/7/2025" in _problems(later)["issuer.authority.profile"]
    # An Ủy ban must say its tier: only a Sở may leave the block out.
    text = (EXAMPLES / "tamduong-ubnd-2024.yaml").read_text(encoding="utf-8")
    start, end = text.index("  authority:"), text.index("document:")
    blockless = tmp_path / "b.yaml"
    blockless.write_text(text[:start] + text[end:], encoding="utf-8")
    assert "không phải là một Sở" in _problems(blockless)["issuer.authority"]
    # A district cannot pass for a commune.
    commune = _variant(
        tmp_path,
        EXAMPLES / "tamduong-ubnd-2024.yaml",
        ("profile: ubnd-huyen-2024", "profile: ubnd-xa"),
    )
    assert "hồ sơ thẩm quyền của cấp huyện" in _problems(commune)["issuer.authority.profile"]


def test_the_law_in_force_on_the_decision_day_is_required(tmp_path):
    """A 2022 movement cannot be judged by the texts of 2025, nor cite texts not yet issued."""
    old = _variant(
        tmp_path,
        HANAM,
        ("    profile: so-nd91-2017\n", "    profile: so\n"),
        ("rule_set: nd91-2017", "rule_set: nd152-2025"),
        ("- number: 1041/QĐ-UBND\n        date: 2019-06-06",
         "- number: 30/2024/QĐ-UBND\n        date: 2024-07-03"),
    )  # fmt: skip
    problems = _problems(old)
    day = "ngày 15 tháng 12 năm 2022 (hạn Hội đồng Thi đua - Khen thưởng xét, biểu quyết)"
    assert "hồ sơ thẩm quyền 'so'" in problems["issuer.authority.profile"]
    assert day in problems["issuer.authority.profile"]
    assert "có hiệu lực vào ngày đó: so-nd91-2017" in problems["issuer.authority.profile"]
    assert "bộ quy tắc 'nd152-2025'" in problems["rule_set"]
    assert "có hiệu lực vào ngày đó: nd91-2017" in problems["rule_set"]
    assert "chưa ban hành" in problems["issuer.authority.regulations[0].date"]
    # The decision is expected at the council's deadline: moved into 2024, the old law is over.
    late = _variant(tmp_path, HANAM, ("    due_on: 2022-12-15", "    due_on: 2023-01-10"))
    assert _problems(late) == {}
    later = _variant(tmp_path, HANAM, ("    due_on: 2022-12-15", "    due_on: 2024-01-10"),
                     ("year: 2022", "year: 2023"))  # fmt: skip
    assert "so-nd98-2023" in _problems(later)["issuer.authority.profile"]
    assert "nd98-2023" in _problems(later)["rule_set"]


def test_store_refuses_bad_authority_and_keeps_nothing(session, tmp_path):
    bad = _variant(tmp_path, HANAM, (HEAD, ""))
    with pytest.raises(InvalidInput) as e:
        store_spec(session, load_spec(bad), actor="t")
    assert "issuer.authority.head_title" in str(e.value)
    assert session.exec(select(Movement)).first() is None
    m = store_spec(session, load_spec(HANAM), actor="t")
    session.commit()
    stored = authority_of(session.get(Movement, m.id))
    assert stored.head_title == "Giám đốc Sở Công Thương"
    assert stored.bases[0]["title"] == "Luật Thi đua, khen thưởng"


# --- drafting and the documents ---------------------------------------------------------------


def _movement(session, authority, **kw) -> Movement:
    m = Movement(
        code=f"PT-{kw.get('agency_code', 'SCT')}",
        year=2025,
        title="Phong trào thi đua năm 2025",
        doc_kind="ke_hoach",
        doc_symbol="KH",
        agency=kw.get("agency", "SỞ CÔNG THƯƠNG"),
        parent_agency=kw.get("parent_agency", "UBND TỈNH HÀ NAM"),
        agency_code=kw.get("agency_code", "SCT"),
        place="Hà Nam",
        issued_date="2025-03-05",
        theme="Đoàn kết, sáng tạo",
        signer_title=kw.get("signer_title", "GIÁM ĐỐC"),
        signer_name="Nguyễn Văn A",
        rule_set="nd152-2025",
        authority=authority.as_json(),
    )
    session.add(m)
    session.flush()
    return m


def _province() -> AuthoritySpec:
    return AuthoritySpec(
        profile="ubnd-tinh",
        name="Ủy ban nhân dân tỉnh Hà Nam",
        province="Hà Nam",
        head_title="Chủ tịch Ủy ban nhân dân tỉnh Hà Nam",
        regulations=[
            LegalTextSpec(
                number="30/2024/QĐ-UBND",
                date=date(2024, 7, 3),
                issuer="Ủy ban nhân dân tỉnh Hà Nam",
                title=(
                    "Quyết định về việc ban hành Quy chế về công tác thi đua, khen thưởng trên "
                    "địa bàn tỉnh Hà Nam"
                ),
            )
        ],
    )


def _province_movement(session) -> Movement:
    auth = resolve(_province(), agency="ỦY BAN NHÂN DÂN TỈNH HÀ NAM", signer_title="CHỦ TỊCH",
                   parent_agency=None)  # fmt: skip
    return _movement(
        session,
        auth,
        agency="ỦY BAN NHÂN DÂN TỈNH HÀ NAM",
        parent_agency=None,
        agency_code="UBND",
        signer_title="CHỦ TỊCH",
    )


def _vote_all_yes(session, m, titles: list[str]):
    office = unit(session, "VP")
    chair = people(session, office, 1, prefix="CT", roles=["council_chair"])[0]
    members = [chair, *people(session, office, 4, prefix="TV", roles=["council_member"])]
    nominees = people(session, office, len(titles), prefix="DN")
    for p, t in zip(nominees, titles, strict=True):
        if t == "CSTD_TINH":  # three years of CSTĐCS: it meets its criteria and is on the paper
            history(session, p, "CSTDCS", m.year - 3, m.year - 2, m.year - 1)
    noms = [
        nominate(session, m, unit=office, person=p, title=t, facts=GOOD)
        for p, t in zip(nominees, titles, strict=True)
    ]
    session.commit()
    meeting = open_meeting(session, m, actor="vanphong",
                           vote_deadline=utcnow() + timedelta(days=2))  # fmt: skip
    session.commit()
    for p in members:
        for n in noms:
            cast_ballot(session, meeting, member_person_id=p.id, nomination_id=n.id,
                        choice="yes")  # fmt: skip
    close_meeting(session, meeting, actor=chair.code)
    session.commit()
    return meeting, noms


def _titles(session, decision: Decision) -> list[str]:
    items = session.exec(select(DecisionItem).where(DecisionItem.decision_id == decision.id))
    return sorted(i.title for i in items)


def _text(doc) -> str:
    d = Document(str(D.document_path(doc)))
    parts = [p.text for p in d.paragraphs]
    for t in d.tables:
        parts += [c.text for row in t.rows for c in row.cells]
    return "\n".join(parts)


def _so_2025() -> AuthoritySpec:
    """The Hà Nam Sở under the law of 2025 (profile so), with its texts of that time."""
    return AuthoritySpec(
        profile="so",
        name="Sở Công Thương",
        province="Hà Nam",
        head_title="Giám đốc Sở Công Thương",
        competence=LegalTextSpec(
            number="45/2025/NĐ-CP",
            date=date(2025, 2, 28),
            issuer="Chính phủ",
            title=(
                "Nghị định quy định tổ chức các cơ quan chuyên môn thuộc Ủy ban nhân dân tỉnh, "
                "thành phố trực thuộc trung ương và Ủy ban nhân dân huyện, quận, thị xã, thành "
                "phố thuộc tỉnh, thành phố thuộc thành phố trực thuộc trung ương"
            ),
        ),
        regulations=[_province().regulations[0]],
        proposer="Chánh Văn phòng Sở",
    )


def test_the_hanam_example_cites_the_texts_of_2022():
    auth = _resolved(HANAM)
    assert auth.profile == "so-nd91-2017"
    from thidua.authority import cite

    assert [cite(b) for b in auth.bases] == [
        *LAW_2003, DECREE_2017, SO_COMPETENCE_2014, CIRCULAR_2019, HANAM_RULES_2019,
    ]  # fmt: skip
    assert auth.decides_basis == "Điều 80 khoản 1 Luật Thi đua, khen thưởng năm 2003"


def test_a_so_decides_ldtt_and_proposes_cstd_tinh_to_the_province(session):
    so = resolve(_so_2025(), agency="SỞ CÔNG THƯƠNG", signer_title="GIÁM ĐỐC",
                 parent_agency="UBND TỈNH HÀ NAM")  # fmt: skip
    m = _movement(session, so)
    meeting, _ = _vote_all_yes(session, m, ["LDTT", "CSTD_TINH"])
    made = draft_decisions(session, m, meeting, actor="vanphong")
    session.commit()
    decision, proposal = sorted(made, key=lambda d: d.kind)
    assert (decision.kind, decision.authority) == ("decision", "Giám đốc Sở Công Thương")
    assert _titles(session, decision) == ["LDTT"]
    assert (proposal.kind, proposal.authority) == (
        "proposal",
        "Chủ tịch Ủy ban nhân dân tỉnh Hà Nam",
    )
    assert _titles(session, proposal) == ["CSTD_TINH"]

    ctx = D.decision_context(session, m, decision)
    assert ctx["issuer_title"] == "GIÁM ĐỐC SỞ CÔNG THƯƠNG"
    assert ctx["legal_bases"] == [LAW, DECREE, SO_COMPETENCE, HANAM_RULES]
    assert ctx["proposal_line"] == (
        "Theo đề nghị của Chánh Văn phòng Sở và kết quả họp xét của Hội đồng Thi đua - Khen "
        "thưởng Sở Công Thương."
    )
    assert ctx["executors"] == (
        "Chánh Văn phòng Sở; Trưởng các phòng, đơn vị thuộc Sở; các tập thể, cá nhân có tên "
        "tại Điều 1"
    )
    assert ctx["copies"] == [
        "Như Điều 3;",
        "Sở Nội vụ tỉnh Hà Nam;",
        "Lãnh đạo Sở;",
        "Lưu: VT, VP.",
    ]
    memo = D.proposal_memo_context(session, m, proposal)
    assert memo["addressee"] == "Chủ tịch Ủy ban nhân dân tỉnh Hà Nam"
    assert memo["legal_bases"] == ctx["legal_bases"]
    assert memo["closing"] == (
        "Sở Công Thương kính trình Chủ tịch Ủy ban nhân dân tỉnh Hà Nam (qua Sở Nội vụ tỉnh "
        "Hà Nam) xem xét, quyết định./."
    )
    assert "SỞ CÔNG THƯƠNG" not in memo["intro"] + memo["closing"] + ctx["proposal_line"]


def test_a_province_decides_cstd_tinh_and_proposes_to_the_prime_minister(session):
    m = _province_movement(session)
    meeting, _ = _vote_all_yes(session, m, ["CSTD_TINH"])
    (decision,) = draft_decisions(session, m, meeting, actor="vanphong")
    session.commit()
    assert decision.authority == "Chủ tịch Ủy ban nhân dân tỉnh Hà Nam"
    assert _titles(session, decision) == ["CSTD_TINH"]
    auth = authority_of(m)
    assert auth.proposed_upward("BANG_KHEN_TTG") and not auth.decided_here("BANG_KHEN_TTG")

    decision.signed_on = date(2025, 12, 20)
    doc = D.issue_document(session, m, "decision", context=D.decision_context(session, m, decision),
                           subject_key=f"decision:{decision.id}")  # fmt: skip
    text = _text(doc)
    assert "CHỦ TỊCH ỦY BAN NHÂN DÂN TỈNH HÀ NAM" in text
    assert "Căn cứ Luật Tổ chức chính quyền địa phương ngày 16 tháng 6 năm 2025;" in text
    assert f"Căn cứ {HANAM_RULES};" in text
    assert (
        "Theo đề nghị của Giám đốc Sở Nội vụ và kết quả họp xét của Hội đồng Thi đua - Khen "
        "thưởng tỉnh Hà Nam."
    ) in text
    assert (
        "Chánh Văn phòng Ủy ban nhân dân tỉnh; Giám đốc Sở Nội vụ; Thủ trưởng các cơ quan, đơn "
        "vị có liên quan; các tập thể, cá nhân có tên tại Điều 1 chịu trách nhiệm thi hành"
    ) in text
    # No Sở as the issuer anywhere: the only Sở named is the Sở Nội vụ.
    assert "Sở" not in text.replace("Sở Nội vụ", "")

    # The proposal upward: to the Prime Minister through the Ministry, signed for the Ủy ban.
    office = session.exec(select(Unit).where(Unit.code == "VP")).one()
    n = nominate(session, m, unit=office, collective=office, title="BANG_KHEN_TTG", facts=GOOD)
    memo = Decision(movement_id=m.id, kind="proposal", authority=auth.proposes_to,
                    signed_on=date(2025, 12, 21))  # fmt: skip
    session.add(memo)
    session.flush()
    session.add(DecisionItem(decision_id=memo.id, nomination_id=n.id, title="BANG_KHEN_TTG"))
    session.flush()
    ctx = D.proposal_memo_context(session, m, memo)
    assert ctx["addressee"] == "Thủ tướng Chính phủ"
    assert ctx["closing"] == (
        "Ủy ban nhân dân tỉnh Hà Nam kính trình Thủ tướng Chính phủ (qua Bộ Nội vụ) xem xét, "
        "quyết định./."
    )
    assert ctx["signer_prefix"] == "TM. ỦY BAN NHÂN DÂN"
    assert "Bộ Nội vụ;" in ctx["copies"]
    assert ctx["rows"][0]["title"] == "Bằng khen của Thủ tướng Chính phủ"


def test_a_title_nobody_may_decide_is_refused_and_nothing_changes(session):
    m = _province_movement(session)
    meeting, noms = _vote_all_yes(session, m, ["CSTD_TINH", "LDTT"])
    with pytest.raises(ThiduaError, match="Lao động tiên tiến không thuộc thẩm quyền"):
        draft_decisions(session, m, meeting, actor="vanphong")
    session.rollback()
    assert session.exec(select(Decision)).first() is None
    assert {session.get(Nomination, n.id).status for n in noms} == {"submitted"}
