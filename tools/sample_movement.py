"""A realistic movement to render documents from: Sở Công Thương Hà Nam, 2022 (the seed
letter in tests/data/spec/seeds), with units, reports, nominations, a council meeting and decisions.

Used by the document tests, scripts/render-doc-samples and bench/documents.py; it writes
through the models directly, so it needs neither the spec loader nor the rules engine (only the
rule set, for the reward money of its decisions)."""

from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlmodel import Session

from models import (
    AwardHistory,
    Block,
    BlockMember,
    Content,
    Council,
    CouncilMember,
    Deadline,
    Decision,
    DecisionItem,
    LegalBasis,
    Meeting,
    Movement,
    Nomination,
    Participant,
    Period,
    PeriodReport,
    Person,
    Recipient,
    Registration,
    Target,
    TargetResult,
    TitleQuota,
    Unit,
)
from models.base import saved_id
from thidua.results import BlockRanking, CheckResult, Roll, RuleFailure, UnitRank, VoteResult
from thidua.rewards import price_decision
from thidua.rules import DEFAULT_RULE_SET, load_rule_set

UNITS = [
    ("VP", "Văn phòng Sở"),
    ("TTR", "Thanh tra Sở"),
    ("KHTC", "Phòng Kế hoạch - Tài chính - Tổng hợp"),
    ("QLCN", "Phòng Quản lý công nghiệp"),
    ("QLTM", "Phòng Quản lý thương mại"),
    ("QLNL", "Phòng Quản lý năng lượng"),
    ("KC", "Trung tâm Khuyến công và Xúc tiến thương mại"),
    ("TVPT", "Trung tâm Tư vấn phát triển công nghiệp"),
]
PEOPLE = [
    ("Nguyễn Thị Hương", "Chánh Văn phòng"),
    ("Trần Văn Minh", "Phó Trưởng phòng"),
    ("Phạm Thu Trang", "Chuyên viên"),
    ("Lê Đức Thắng", "Chuyên viên"),
]
TARGETS = [
    ("GTSX_CN", "Giá trị sản xuất công nghiệp", "174186.0", "174.186,0", "tỷ đồng", "Giá SS2010"),
    ("TMBL", "Tổng mức bán lẻ hàng hóa và dịch vụ", "35981.0", "35.981,0", "tỷ đồng", None),
    ("XK", "Kim ngạch xuất khẩu hàng hóa", "4401", "4.401", "triệu USD", None),
    ("NK", "Kim ngạch nhập khẩu hàng hóa", "3882", "3.882", "triệu USD", None),
]


@dataclass
class Demo:
    movement: Movement
    units: list[Unit]
    blocks: list[Block]
    people: list[Person]
    nominations: list[Nomination]
    meeting: Meeting
    decision: Decision
    proposal: Decision
    members: list[CouncilMember] = field(default_factory=list)


def _local(y, m, d, hh=8, mm=0) -> datetime:
    return datetime(y, m, d, hh - 7, mm, tzinfo=UTC)  # given in Hà Nội time (UTC+7)


def _hanam_spec():
    from thidua.settings import PROJECT_ROOT
    from thidua.spec_load import load_spec

    return load_spec(PROJECT_ROOT / "examples" / "hanam-sct-2022.yaml")


def _hanam_authority(spec) -> dict:
    """The authority of the Hà Nam example (examples/hanam-sct-2022.yaml), as stored."""
    from thidua.authority import resolve

    return resolve(
        spec.issuer.authority,
        agency=spec.issuer.agency,
        signer_title=spec.signer.title,
        parent_agency=spec.issuer.parent_agency,
    ).as_json()


def build_demo(
    session: Session,
    *,
    units: int = 8,
    people_per_unit: int = 2,
    doc_kind: str = "cong_van",
    code: str = "hanam-sct-2022",
) -> Demo:
    """The movement and everything the documents read; flushed, not committed."""
    spec = _hanam_spec()  # its authority and rule set: the law of 2022
    m = Movement(
        code=code,
        year=2022,
        title="Phong trào thi đua năm 2022 của Sở Công Thương Hà Nam",
        doc_kind=doc_kind,
        doc_number=None,
        doc_symbol={"cong_van": "SCT-VP", "chi_thi": "CT-SCT", "ke_hoach": "KH-SCT"}[doc_kind],
        summary="V/v phát động phong trào thi đua năm 2022"
        if doc_kind == "cong_van"
        else "Phát động phong trào thi đua năm 2022",
        parent_agency="UBND tỉnh Hà Nam",
        agency="Sở Công Thương",
        agency_code="SCT",
        place="Hà Nam",
        issued_date="2022-03",
        theme=(
            "Đoàn kết, trách nhiệm, chủ động, sáng tạo, vượt khó, thi đua thực hiện thắng lợi "
            "nhiệm vụ chính trị được giao"
        ),
        preamble=(
            "Phát huy những thành tích đã đạt được trong phong trào thi đua năm 2021, thiết thực "
            "lập thành tích chào mừng các ngày lễ lớn, những sự kiện quan trọng của đất nước, của "
            "tỉnh và của ngành Công Thương, quyết tâm hoàn thành xuất sắc các chỉ tiêu, nhiệm vụ "
            "công tác được giao trong năm 2022, Sở Công Thương Hà Nam phát động phong trào thi "
            "đua với nội dung sau:"
        ),
        closing=(
            "Trên đây là nội dung phát động thi đua năm 2022, đề nghị Thủ trưởng các đơn vị trực "
            "thuộc Sở phát động đến toàn thể cán bộ, công chức, viên chức, người lao động thuộc "
            "đơn vị; trong quá trình triển khai nếu có vướng mắc đề nghị phản ánh bằng văn bản "
            "qua Văn phòng Sở để báo cáo Lãnh đạo Sở xem xét, giải quyết./."
        ),
        signer_prefix=None,
        signer_title="Giám đốc",
        signer_name="Lê Nguyên Ngọc",
        authority=_hanam_authority(spec),
        rule_set=spec.rule_set,
    )
    session.add(m)
    session.flush()
    mid = saved_id(m)
    session.add_all(
        [
            LegalBasis(
                movement_id=mid,
                seq=1,
                number="34-CT/TW",
                issued_on=date(2014, 4, 7),
                issuer="Bộ Chính trị",
                title="Chỉ thị về tiếp tục đổi mới công tác thi đua, khen thưởng",
            ),
            LegalBasis(
                movement_id=mid,
                seq=2,
                number="19/CT-TTg",
                issued_on=date(2021, 7, 16),
                issuer="Thủ tướng Chính phủ",
                title="Chỉ thị về việc phát động thi đua thực hiện thắng lợi nhiệm vụ "
                "phát triển kinh tế - xã hội và Kế hoạch 05 năm (2021-2025)",
            ),
        ]
    )
    texts = [
        "Tiếp tục tổ chức thực hiện tốt chủ trương, đường lối của Đảng, chính sách, pháp luật "
        "của Nhà nước về thi đua, khen thưởng; quán triệt sâu sắc tư tưởng thi đua yêu nước của "
        "Chủ tịch Hồ Chí Minh.",
        "Tổ chức thực hiện các phong trào thi đua hiệu quả, thiết thực, gắn với việc thực hiện "
        "nhiệm vụ chính trị của ngành Công Thương tại địa phương.",
        "Tiếp tục đổi mới nội dung, phương thức tổ chức phong trào thi đua, chống mọi biểu hiện "
        "hình thức và chạy theo thành tích.",
        "Chú trọng việc phát hiện, bồi dưỡng, nhân rộng tấm gương người tốt, việc tốt, điển "
        "hình tiên tiến.",
    ]
    session.add_all(
        Content(
            movement_id=mid,
            seq=i,
            section="I. Nội dung phong trào thi đua.",
            number=f"{i}.",
            text=t,
        )
        for i, t in enumerate(texts, start=1)
    )
    targets = [
        Target(
            movement_id=mid,
            seq=i,
            code=c,
            group="Chỉ tiêu nhiệm vụ chính trị",
            label=lbl,
            value=Decimal(v),
            value_text=vt,
            unit=u,
            basis=b,
        )
        for i, (c, lbl, v, vt, u, b) in enumerate(TARGETS, start=1)
    ]
    session.add_all(targets)
    quotas = [
        (
            "collective",
            "TTLDXS",
            "Có từ 01 đến 02 đơn vị được UBND tỉnh công nhận đạt danh hiệu "
            "Tập thể lao động xuất sắc.",
            "count",
            1,
            2,
        ),
        (
            "collective",
            "GIAY_KHEN",
            "Có từ 03 đến 05 tập thể được Giám đốc Sở tặng Giấy khen.",
            "count",
            3,
            5,
        ),
        (
            "individual",
            "LDTT",
            "100% cá nhân hoàn thành tốt nhiệm vụ, trong đó từ 80% đạt danh "
            "hiệu Lao động tiên tiến.",
            "percent",
            80,
            None,
        ),
        (
            "individual",
            "GIAY_KHEN",
            "Có từ 20 đến 25 cá nhân trở lên được tặng Giấy khen của Giám đốc Sở.",
            "count",
            20,
            25,
        ),
    ]
    session.add_all(
        TitleQuota(
            movement_id=mid,
            seq=i,
            subject=s,
            title=t,
            text=x,
            kind=k,
            minimum=Decimal(lo),
            maximum=Decimal(hi) if hi else None,
        )
        for i, (s, t, x, k, lo, hi) in enumerate(quotas, start=1)
    )
    session.add_all(
        [
            Period(
                movement_id=mid,
                number=1,
                name="Đợt 1",
                starts_on=date(2022, 1, 1),
                ends_on=date(2022, 6, 30),
                theme="Thi đua lập thành tích chào mừng các ngày lễ lớn của đất nước, của "
                "tỉnh, ngành",
            ),
            Period(
                movement_id=mid,
                number=2,
                name="Đợt 2",
                starts_on=date(2022, 7, 1),
                ends_on=date(2022, 11, 20),
                theme="Đoàn kết, năng động, sáng tạo, trách nhiệm",
            ),
            Deadline(
                movement_id=mid,
                kind="registration",
                label="Gửi đăng ký thi đua",
                due_on=date(2022, 3, 31),
            ),
            Deadline(
                movement_id=mid,
                kind="period_1_report",
                label="Báo cáo sơ kết Đợt 1",
                due_on=date(2022, 7, 5),
            ),
            Deadline(
                movement_id=mid,
                kind="nominations",
                label="Gửi hồ sơ đề nghị khen thưởng",
                due_on=date(2022, 11, 30),
            ),
            Recipient(
                movement_id=mid,
                seq=1,
                role="addressee",
                name="Các phòng chuyên môn, đơn vị trực thuộc Sở",
            ),
            *[
                Recipient(movement_id=mid, seq=i, role="copy", name=n)
                for i, n in enumerate(
                    [
                        "Sở Nội vụ",
                        "LĐ Sở",
                        "Thành viên HĐTĐKT Sở",
                        "Các phòng cm, đv trực thuộc Sở",
                    ],
                    start=2,
                )
            ],
        ]
    )
    blocks = [
        Block(code=f"{code}-B1", name="Khối các phòng chuyên môn"),
        Block(code=f"{code}-B2", name="Khối các đơn vị sự nghiệp"),
    ]
    session.add_all(blocks)
    unit_rows = []
    for i in range(units):
        short, name = UNITS[i] if i < len(UNITS) else (f"DV{i + 1}", f"Đơn vị số {i + 1}")
        unit_rows.append(Unit(code=f"{code}-{short}", name=name, short_name=short, headcount=12))
    session.add_all(unit_rows)
    session.flush()
    for i, u in enumerate(unit_rows):
        b = blocks[0] if i < 6 else blocks[1]
        session.add(BlockMember(block_id=saved_id(b), unit_id=saved_id(u)))
        session.add(Participant(movement_id=mid, unit_id=saved_id(u), block_id=saved_id(b)))
    people = []
    for i, u in enumerate(unit_rows):
        for j in range(people_per_unit):
            name, pos = PEOPLE[(i + j) % len(PEOPLE)]
            if i or j:
                name = f"{name} {i + 1}.{j + 1}" if units > 8 else _variant(name, i, j)
            people.append(
                Person(code=f"{code}-p{i}-{j}", full_name=name, position=pos, unit_id=saved_id(u))
            )
    session.add_all(people)
    session.flush()
    _reports(session, mid, unit_rows, targets)
    staff: dict[int, list[Person]] = {}
    for p in people:
        staff.setdefault(p.unit_id, []).append(p)
    for i, u in enumerate(unit_rows):
        if i % 7 == 6:
            continue  # a unit that has not registered yet
        session.add(
            Registration(
                movement_id=mid,
                unit_id=saved_id(u),
                subject_key=f"unit:{u.id}",
                title="TTLDXS" if i % 3 == 0 else "TTLDTT",
                submitted_by="dau.moi",
            )
        )
        session.add_all(
            Registration(
                movement_id=mid,
                unit_id=saved_id(u),
                person_id=p.id,
                subject_key=f"person:{p.id}",
                title="CSTDCS" if p.position != "Chuyên viên" else "LDTT",
                submitted_by="dau.moi",
            )
            for p in staff.get(saved_id(u), [])
        )
    noms = _nominations(session, mid, unit_rows, people)
    _council_row, members, meeting = _council(session, mid, people)
    decision = Decision(
        movement_id=mid,
        kind="decision",
        authority="Giám đốc Sở Công Thương",
        signed_on=date(2022, 12, 20),
        approved_by="Lê Nguyên Ngọc",
    )
    proposal = Decision(
        movement_id=mid,
        kind="proposal",
        authority="Chủ tịch UBND tỉnh Hà Nam",
        signed_on=date(2022, 12, 12),
    )
    session.add_all([decision, proposal])
    session.flush()
    for n in noms:
        target = proposal if n.title in ("TTLDXS", "BANG_KHEN_TINH") else decision
        session.add(
            DecisionItem(decision_id=saved_id(target), nomination_id=saved_id(n), title=n.title)
        )
    session.flush()
    rule_set = load_rule_set(m.rule_set or DEFAULT_RULE_SET)
    for d in (decision, proposal):  # the base salary in force on each one's date
        price_decision(session, d, rule_set)
    session.flush()
    return Demo(m, unit_rows, blocks, people, noms, meeting, decision, proposal, members)


def _variant(name: str, i: int, j: int) -> str:
    surnames = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Ngô"]
    middles = ["Văn", "Thị", "Đức", "Minh", "Thu", "Quang", "Thanh", "Hải"]
    given = [
        "An",
        "Bình",
        "Chi",
        "Dũng",
        "Giang",
        "Hà",
        "Khánh",
        "Lan",
        "Nam",
        "Phương",
        "Quân",
        "Sơn",
        "Tâm",
        "Uyên",
        "Việt",
        "Yến",
    ]
    k = i * 3 + j
    return f"{surnames[k % 10]} {middles[(k * 3) % 8]} {given[(k * 5) % 16]}"


def _reports(session, mid, unit_rows, targets) -> None:
    n = len(unit_rows)
    # Year-to-date shares of each target's plan: some ahead, some behind, as in real reports.
    shares = {1: ["0.70", "0.50", "0.72", "0.55"], 2: ["1.06", "0.97", "1.09", "1.01"]}
    for period in (1, 2):
        reports = []
        for i, u in enumerate(unit_rows):
            if period == 1 and i % 5 == 4:
                continue  # late with its period 1 report
            reports.append(
                PeriodReport(
                    movement_id=mid,
                    unit_id=u.id,
                    period_number=period,
                    status="accepted",
                    summary="Đơn vị đã triển khai đầy đủ các nội dung thi đua.",
                    submitted_by=f"dau.moi.{u.short_name.lower()}",
                    submitted_at=_local(2022, 7 if period == 1 else 11, 4 + i % 3, 9),
                )
            )
        session.add_all(reports)
        session.flush()  # one flush per period: the ids for the results
        for i, r in enumerate(reports):
            wobble = Decimal(90 + (i * 7) % 25) / 100
            session.add_all(
                TargetResult(
                    report_id=saved_id(r),
                    target_id=t.id,
                    value=(t.value * _share(shares[period], t.seq) * wobble / n).quantize(
                        Decimal("0.1")
                    ),
                )
                for t in targets
            )


def _share(shares: list[str], seq: int) -> Decimal:
    return Decimal(shares[(seq - 1) % len(shares)])


def _nominations(session, mid, unit_rows, people) -> list[Nomination]:
    noms = []
    for k, p in enumerate(people[: min(40, max(6, len(people) // 2))]):
        title = ["LDTT", "CSTDCS", "GIAY_KHEN"][k % 3]
        noms.append(
            Nomination(
                movement_id=mid,
                unit_id=p.unit_id,
                subject_kind="individual",
                person_id=p.id,
                subject_key=f"person:{p.id}",
                title=title,
                submitted_by="dau.moi",
                submitted_at=_local(2022, 11, 25, 10),
                achievement=(
                    "Hoàn thành xuất sắc nhiệm vụ được giao năm 2022; chủ trì tham mưu xây dựng kế "
                    "hoạch phát triển công nghiệp hỗ trợ, tham gia thẩm định 12 dự án đầu tư."
                ),
                facts={
                    "task_rating": "HTXSNV" if title != "LDTT" else "HTTNV",
                    "months_worked": 12,
                    "discipline": None,
                    "initiatives": ["Số hóa hồ sơ cấp phép hóa chất"] if title == "CSTDCS" else [],
                },
                status="accepted",
            )
        )
        session.add(
            AwardHistory(
                subject_key=f"person:{p.id}",
                person_id=p.id,
                year=2021,
                title="LDTT",
                decision_ref="QĐ số 25/QĐ-SCT ngày 18/12/2021",
            )
        )
    for k, u in enumerate(unit_rows[:3]):
        title = ["TTLDXS", "GIAY_KHEN", "TTLDTT"][k % 3]
        noms.append(
            Nomination(
                movement_id=mid,
                unit_id=u.id,
                subject_kind="collective",
                collective_unit_id=u.id,
                subject_key=f"unit:{u.id}",
                title=title,
                submitted_by="dau.moi",
                submitted_at=_local(2022, 11, 26, 15),
                achievement="Dẫn đầu khối thi đua; 100% cán bộ hoàn thành tốt nhiệm vụ trở lên.",
                facts={"task_rating": "HTXSNV", "members": 12, "ldtt_count": 10, "cstdcs_count": 1},
                status="accepted",
            )
        )
    session.add_all(noms)
    session.flush()
    return noms


def _council(session, mid, people):
    council = Council(
        movement_id=mid, name="Hội đồng Thi đua - Khen thưởng Sở", chair_person_id=people[0].id
    )
    session.add(council)
    session.flush()
    members = []
    for k, p in enumerate(people[:7]):
        role = (
            "chair" if k == 0 else ("secretary" if k == 6 or k == len(people[:7]) - 1 else "member")
        )
        members.append(
            CouncilMember(council_id=saved_id(council), person_id=saved_id(p), role=role)
        )
    session.add_all(members)
    meeting = Meeting(
        council_id=saved_id(council),
        opened_at=_local(2022, 12, 5, 14),
        place="Phòng họp tầng 3, Sở Công Thương",
        status="closed",
        closed_at=_local(2022, 12, 5, 16, 30),
        closed_by="chu.tich",
    )
    session.add(meeting)
    session.flush()
    # everyone sat: the roll as ballots.close_meeting stores it
    roll = Roll(members=len(members), present=[m.person_id for m in members], absent=[],
                quorum=">= 2/3", quorum_required=5, quorum_met=True)  # fmt: skip
    meeting.result = {"attendance": asdict(roll)}
    session.add(meeting)
    session.flush()
    return council, members, meeting


def demo_rankings(demo: Demo) -> list[BlockRanking]:
    """Block rankings as the scoring engine would give them (built by hand here)."""
    out = []
    for b, units in ((demo.blocks[0], demo.units[:6]), (demo.blocks[1], demo.units[6:])):
        ranks = []
        for k, u in enumerate(units):
            total = Decimal(98) - Decimal(k) * Decimal("2.5")
            ranks.append(
                UnitRank(
                    unit_id=saved_id(u),
                    unit_code=u.code,
                    unit_name=u.name,
                    total=total,
                    self_total=total + 1,
                    max_total=Decimal(100),
                    rank=k + 1,
                    flag=k == 0,
                )
            )
        if ranks:
            out.append(
                BlockRanking(
                    block_id=saved_id(b),
                    block_code=b.code,
                    block_name=b.name,
                    ranks=ranks,
                    tie_rule="Bằng điểm: xếp trên đơn vị có điểm tiêu chí 1 cao hơn.",
                )
            )
    return out


def demo_checks(demo: Demo) -> list[CheckResult]:
    out = []
    for k, n in enumerate(demo.nominations):
        fails = []
        if k == 4:
            fails = [
                RuleFailure(
                    "CSTDCS.ti_le",
                    "Điều 21 Luật TĐKT 2022",
                    "Vượt tỷ lệ 15% số Lao động tiên tiến của đơn vị",
                    n.id,
                )
            ]
        out.append(CheckResult(nomination_id=saved_id(n), failures=fails))
    return out


def demo_votes(session: Session, demo: Demo) -> list[VoteResult]:
    """Secret-ballot results as the ballots module would count them (built by hand here)."""
    from thidua.documents.context_awards import Subjects

    subjects = Subjects(session, demo.nominations)
    out = []
    for k, n in enumerate(demo.nominations):
        yes = 7 - (k % 4)
        out.append(
            VoteResult(
                nomination_id=saved_id(n),
                subject_name=subjects.name(n),
                title=n.title,
                members=7,
                present=7,
                recused=0,
                issued=7,
                returned=7,
                valid=7 - (k % 2),
                yes=yes,
                no=7 - (k % 2) - yes,
                yes_pct=(Decimal(yes) * 100 / 7).quantize(Decimal("0.01")),
                threshold_pct=Decimal(60),
                denominator=7,
                quorum_met=True,
                passed=yes * 100 / 7 >= 60,
            )
        )
    return out
