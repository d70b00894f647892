"""Context builders for the award documents: achievement reports, the list of nominees and
the council's minutes (the memo, the decision and the certificates: context_decisions)."""

from decimal import Decimal
from typing import Any

from sqlmodel import Session, col, select

from models import (
    AwardHistory,
    Council,
    CouncilMember,
    Meeting,
    Movement,
    Nomination,
    Person,
    Recusal,
    Unit,
)
from models.base import saved_id
from thidua import ballots, exceptions, vn
from thidua.authority import authority_of
from thidua.documents.context_common import (
    agency_name,
    copies,
    header,
    local_date,
    nominations_by_id,
    paras,
    title_name,
    two,
)
from thidua.errors import NotFound
from thidua.results import CheckResult, VoteResult
from thidua.rules.engine import rule_set_for
from thidua.rules.ruleset import FactSpec

# The facts a nomination declares are printed with the labels of the movement's rule set
# (rules/*.yaml, facts:); a fact the rule set does not declare is not printed.
YES_NO = {True: "Có", False: "Không"}


def _fact_value(spec: FactSpec | None, value: Any) -> str:
    values = spec.values if spec else {}
    kind = spec.type if spec else ""
    if isinstance(value, bool):
        return YES_NO[value]
    if value is None or value == [] or value == {}:
        return values.get("none", "Không")
    if kind == "initiatives" or (isinstance(value, list) and value and isinstance(value[0], dict)):
        if isinstance(value, int | float):
            return f"{two(int(value))} sáng kiến"
        if isinstance(value, dict):  # {co_so: 2}
            return "; ".join(
                f"{two(int(k))} sáng kiến {values.get(c, '')}".strip()
                for c, k in value.items()
                if k
            )
        out = []
        for item in value:
            if isinstance(item, dict):
                level = values.get(str(item.get("level", "")), "")
                name = str(item.get("name") or "").strip()
                out.append(f"“{name}” ({level})" if name and level else name or level)
            else:
                out.append(values.get(str(item), str(item)))
        return "; ".join(x for x in out if x) or "Không"
    if isinstance(value, dict):  # counts by title or by discipline
        return (
            "; ".join(
                f"{two(int(n))} {values.get(k) or title_name(k)}" for k, n in value.items() if n
            )
            or "Không"
        )
    if isinstance(value, list):
        return "; ".join(_fact_value(spec, v) for v in value) or "Không"
    if isinstance(value, int | float | Decimal):
        return vn.number(Decimal(str(value)), 0 if float(value).is_integer() else 1)
    return values.get(str(value), str(value))


def _facts(movement: Movement, facts: dict) -> list[dict[str, Any]]:
    specs = rule_set_for(movement).facts
    rows: list[dict[str, Any]] = []
    for key, value in facts.items():
        spec = specs.get(key)
        if spec is None:
            continue
        rows.append({"stt": len(rows) + 1, "label": spec.label, "value": _fact_value(spec, value)})
    return rows


class Subjects:
    """Names and positions of nominees, loaded in bulk."""

    def __init__(self, session: Session, nominations: list[Nomination]) -> None:
        pids = {n.person_id for n in nominations if n.person_id}
        self.people = {
            p.id: p for p in session.exec(select(Person).where(col(Person.id).in_(pids or [0])))
        }
        uids = {n.unit_id for n in nominations} | {
            n.collective_unit_id for n in nominations if n.collective_unit_id
        }
        uids |= {p.unit_id for p in self.people.values()}
        self.units = {u.id: u for u in session.exec(select(Unit).where(col(Unit.id).in_(uids)))}

    def name(self, n: Nomination) -> str:
        if n.subject_kind == "individual" and n.person_id in self.people:
            return self.people[n.person_id].full_name
        unit = self.units.get(n.collective_unit_id or n.unit_id)
        return unit.name if unit else n.subject_key

    def sort_key(self, n: Nomination) -> tuple[bytes, ...]:
        """Vietnamese collation: people by given name then full name, collectives by name;
        the unit breaks a tie between namesakes."""
        name = self.name(n)
        if n.subject_kind == "individual":
            return (*vn.person_key(name), vn.sort_key(self.position_unit(n)))
        return (vn.sort_key(name),)

    def position_unit(self, n: Nomination) -> str:
        if n.subject_kind == "individual" and n.person_id in self.people:
            p = self.people[n.person_id]
            unit = self.units.get(p.unit_id)
            return " – ".join(x for x in (p.position, unit.name if unit else "") if x)
        parent = self.units.get(n.unit_id)
        return parent.name if parent and n.collective_unit_id != n.unit_id else ""


def achievement_kind(nomination: Nomination) -> str:
    """The document kind of a nominee's achievement report."""
    if nomination.subject_kind == "collective":
        return "achievement_collective"
    return "achievement_individual"


def achievement_report_context(session: Session, nomination: Nomination) -> dict[str, Any]:
    movement = session.get_one(Movement, nomination.movement_id)
    return achievement_report_contexts(session, movement, [nomination])[0]


def achievement_report_contexts(
    session: Session, movement: Movement, nominations: list[Nomination]
) -> list[dict[str, Any]]:
    """The achievement report of each nomination, in order: names, units, past awards and
    parent units read for the whole batch in a few queries."""
    subjects = Subjects(session, nominations)
    keys = [n.subject_key for n in nominations]
    history: dict[str, list[AwardHistory]] = {k: [] for k in keys}
    for i in range(0, len(keys), 900):  # stay under SQLite's bound-parameter limit
        for h in session.exec(
            select(AwardHistory)
            .where(
                col(AwardHistory.subject_key).in_(keys[i : i + 900]),
                AwardHistory.year < movement.year,
            )
            .order_by(col(AwardHistory.year))
        ):
            history[h.subject_key].append(h)
    parent_ids = {
        u.parent_id
        for n in nominations
        if n.subject_kind == "collective"
        and (u := subjects.units.get(n.collective_unit_id or n.unit_id)) is not None
        and u.parent_id
    }
    parents = {
        saved_id(u): u
        for u in session.exec(select(Unit).where(col(Unit.id).in_(parent_ids or [0])))
    }
    return [
        _achievement(movement, n, subjects, history[n.subject_key], parents) for n in nominations
    ]


def _achievement(
    movement: Movement,
    nomination: Nomination,
    subjects: "Subjects",
    history: list[AwardHistory],
    parents: dict[int, Unit],
) -> dict[str, Any]:
    unit = subjects.units.get(nomination.unit_id)
    name = subjects.name(nomination)
    collective = nomination.subject_kind == "collective"
    ctx = header(
        movement,
        summary=f"Đề nghị tặng {title_name(nomination.title)} năm {movement.year}",
        issued_on=local_date(nomination.submitted_at),
        copy_lines=[],
        agency=unit.name if unit else movement.agency,
        parent_agency=movement.agency,
        signer=(
            "",
            "THỦ TRƯỞNG ĐƠN VỊ" if collective else "NGƯỜI BÁO CÁO THÀNH TÍCH",
            "" if collective else name,
        ),
    )
    facts = _facts(movement, nomination.facts or {})
    ctx.update(
        title_name=title_name(nomination.title),
        achievement=paras(nomination.achievement) or "(chưa nhập tóm tắt thành tích)",
        facts=facts,
        history=[
            {"year": h.year, "title": title_name(h.title), "decision": h.decision_ref or ""}
            for h in history
        ],
        unit_name=unit.name if unit else "",
    )
    if collective:
        cu = subjects.units.get(nomination.collective_unit_id or nomination.unit_id)
        members = nomination.facts.get("members") or (cu.headcount if cu else None)
        # "Trực thuộc": the collective's parent unit, or the agency itself at the top
        parent = parents.get(cu.parent_id) if cu and cu.parent_id else None
        if cu and unit and cu.id != unit.id:
            parent = unit
        ctx.update(
            collective_name=name,
            headcount_text=f"{two(int(members))} người" if members else "—",
            unit_name=parent.name if parent else agency_name(movement),
        )
    else:
        person = subjects.people.get(nomination.person_id)
        ctx.update(full_name=name, position=(person.position if person else "") or "")
    return ctx


def _short(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def _count_text(noms: list[Nomination]) -> str:
    coll = sum(1 for n in noms if n.subject_kind == "collective")
    ind = len(noms) - coll
    parts = [f"{two(coll)} tập thể" if coll else "", f"{two(ind)} cá nhân" if ind else ""]
    return " và ".join(p for p in parts if p) or "không có"


# The order of awards in a list: highest first (as in the decision's annex).
AWARD_ORDER = (
    "CO_THI_DUA",
    "BANG_KHEN_TINH",
    "CSTD_TINH",
    "TTLDXS",
    "TTLDTT",
    "CSTDCS",
    "LDXS",
    "LDTT",
    "GIAY_KHEN",
)


def award_order(title: str) -> int:
    return AWARD_ORDER.index(title) if title in AWARD_ORDER else len(AWARD_ORDER)


def list_order(session: Session, nomination_ids: list[int]) -> dict[int, int]:
    """Each nomination's place in a list the office writes (the Danh sách, the minutes, the
    decision's annex): by award, collectives first, then Vietnamese collation of the names."""
    noms = nominations_by_id(session, nomination_ids)
    subjects = Subjects(session, list(noms.values()))
    ranked = sorted(
        noms.values(),
        key=lambda n: (
            award_order(n.title),
            n.title,
            n.subject_kind != "collective",
            subjects.sort_key(n),
        ),
    )
    return {saved_id(n): i for i, n in enumerate(ranked)}


def list_in_order(session: Session, nominations) -> list[Nomination]:
    """Nominations in list_order (for the portal's lists)."""
    noms = list(nominations)
    order = list_order(session, [n.id for n in noms])
    return sorted(noms, key=lambda n: order[n.id])


def nominee_list_context(
    session: Session, movement: Movement, checks: list[CheckResult]
) -> dict[str, Any]:
    """The list of nominees put before the council: by award, collectives first, then names
    in Vietnamese collation. The checker's reasons are not printed here (they are in the
    appraisal artifact and on the portal); a dossier that does not yet meet its criteria is
    only marked so, in words an office uses."""
    noms = nominations_by_id(session, [c.nomination_id for c in checks])
    listed = [c for c in checks if c.nomination_id in noms]
    subjects = Subjects(session, [noms[c.nomination_id] for c in listed])
    order = list_order(session, list(noms))
    listed.sort(key=lambda c: order[c.nomination_id])
    rows = []
    for i, c in enumerate(listed, start=1):
        n = noms[c.nomination_id]
        rows.append(
            {
                "stt": i,
                "name": subjects.name(n),
                "position_unit": subjects.position_unit(n),
                "title": title_name(n.title),
                "achievement": _short(n.achievement),
                "note": "" if c.ok else "Chưa đủ điều kiện",
            }
        )
    ok = sum(1 for c in listed if c.ok)
    ctx = header(
        movement,
        summary=f"Đề nghị khen thưởng phong trào thi đua năm {movement.year}",
        copy_lines=copies(session, movement),
    )
    count = f"Tổng số: {_count_text([noms[c.nomination_id] for c in listed])}"
    if ok < len(listed):
        count += (
            f"; trong đó {two(len(listed) - ok)} hồ sơ chưa đủ điều kiện theo kết quả kiểm tra"
            " của Văn phòng"
        )
    ctx.update(
        intro="(Kèm theo kết quả kiểm tra hồ sơ đề nghị khen thưởng của Văn phòng)",
        rows=rows,
        count_text=count + ".",
    )
    return ctx


def _person_name(session: Session, person_id: int | None) -> str:
    p = session.get(Person, person_id) if person_id else None
    return p.full_name if p else ""


def _time(dt) -> str:
    d = local_date(dt)
    if dt is None:
        return vn.long_date(d)
    from datetime import UTC

    t = (dt if dt.tzinfo else dt.replace(tzinfo=UTC)).astimezone(vn.TZ)
    return f"{t.hour:02d} giờ {t.minute:02d} phút, {vn.long_date(d)}"


ROLE_TITLES = {"chair": "Chủ tịch Hội đồng", "vice_chair": "Phó Chủ tịch Hội đồng",
               "secretary": "Thư ký Hội đồng", "member": "Thành viên"}  # fmt: skip
ROLE_ORDER = ("chair", "vice_chair", "secretary", "member")  # minutes list members by rank


def exceptions_considered(session: Session, meeting: Meeting) -> list[dict[str, str]]:
    """The exceptions to the rules behind the nominations on the sitting's paper: whom, for
    which rule, why, and who recorded it."""
    return [
        {
            "subject": x.subject_name,
            "title": x.title_name,
            "rule": x.rule_text or x.finding,
            "reason": x.reason.rstrip(". "),
            "by": x.recorded_by,
        }
        for x in exceptions.for_meeting(session, meeting)
    ]


def _pct(r: VoteResult) -> str:
    """Agree over the denominator to one decimal; two where one would round up to the
    threshold the vote did not reach (89,95% is not 90,0%)."""
    shown = vn.percent(r.yes_pct, 1)
    if not r.passed and r.quorum_met and vn.parse_number(shown[:-1]) >= r.threshold_pct:
        return vn.percent(r.yes_pct, 2)
    return shown


def minutes_context(
    session: Session, movement: Movement, meeting: Meeting, results: list[VoteResult]
) -> dict[str, Any]:

    council = session.get(Council, meeting.council_id)
    if council is None:
        raise NotFound("Không tìm thấy Hội đồng của cuộc họp")
    rs = rule_set_for(movement)
    agency_name = authority_of(movement).name  # in normal case, as a sentence names it
    members = sorted(
        session.exec(select(CouncilMember).where(CouncilMember.council_id == council.id)).all(),
        key=lambda m: (ROLE_ORDER.index(m.role) if m.role in ROLE_ORDER else 9, m.id),
    )
    people = {
        p.id: p
        for p in session.exec(
            select(Person).where(col(Person.id).in_([m.person_id for m in members]))
        )
    }

    def who(person_id: int | None, role: str | None = None) -> str:
        p = people.get(person_id) if person_id else None
        if p is None:
            return ""
        parts = [p.full_name, p.position or "", ROLE_TITLES.get(role or "", "")]
        return ", ".join(x for x in parts if x)

    chair_id = council.chair_person_id or next(
        (m.person_id for m in members if m.role == "chair"), None
    )
    secretary_id = next((m.person_id for m in members if m.role == "secretary"), None)
    chair = people[chair_id].full_name if chair_id in people else ""
    secretary = people[secretary_id].full_name if secretary_id in people else ""
    roll = ballots.attendance(session, meeting)
    present, absent = set(roll.present), dict(roll.absent)
    recusals = session.exec(
        select(Recusal, CouncilMember.person_id)
        .join(CouncilMember, col(CouncilMember.id) == col(Recusal.member_id))
        .where(Recusal.meeting_id == meeting.id)
        .order_by(col(Recusal.nomination_id), col(CouncilMember.id))
    ).all()
    passed = sum(1 for r in results if r.passed)
    n = roll.members
    quorum_text = QUORUM_WORDS.get(roll.quorum, f"{roll.quorum} tổng số thành viên")
    ctx = header(
        movement,
        summary=f"Họp {council.name} xét đề nghị khen thưởng năm {movement.year}",
        issued_on=local_date(meeting.closed_at or meeting.opened_at),
        copy_lines=copies(session, movement, "Thành viên Hội đồng", keep="VT, HĐTĐKT"),
        agency="Hội đồng Thi đua - Khen thưởng",
        parent_agency=movement.agency,
        signer=("", "CHỦ TỊCH HỘI ĐỒNG", chair),
    )
    ctx.update(
        council_name=council.name,
        meeting_line=(
            f"Vào lúc {_time(meeting.opened_at)}, tại {meeting.place or agency_name}, "
            f"{council.name} họp xét đề nghị khen thưởng phong trào thi đua năm {movement.year}."
        ),
        members_total=two(n),
        members_present=two(len(present)),
        chair_name=chair,
        secretary_name=secretary,
        chair_line=f"Chủ trì: {who(chair_id, 'chair')}." if chair else "Chủ trì: chưa phân công.",
        secretary_line=(
            f"Thư ký: {who(secretary_id, 'secretary')}."
            if secretary
            else "Thư ký: Hội đồng chưa phân công thư ký."
        ),
        present_line=f"Thành viên có mặt: {two(len(present))}/{two(n)} thành viên Hội đồng:",
        present_people=[who(m.person_id, m.role) for m in members if m.person_id in present],
        absent_line=(
            f"Thành viên vắng mặt: {two(len(absent))}/{two(n)} thành viên:"
            if absent
            else "Thành viên vắng mặt: không."
        ),
        absent_people=[
            who(m.person_id, m.role)
            + (f" (lý do: {absent[m.person_id]})" if absent[m.person_id] else " (không có lý do)")
            for m in members
            if m.person_id in absent
        ],
        quorum_line=(
            f"Số thành viên có mặt: {two(len(present))}/{two(n)}; quy định phải có {quorum_text} "
            f"(ít nhất {two(roll.quorum_required)} thành viên) dự họp. "
            + (
                "Phiên họp đủ số thành viên theo quy định, kết quả biểu quyết có giá trị."
                if roll.quorum_met
                else "Phiên họp không đủ số thành viên theo quy định: kết quả biểu quyết không "
                "có giá trị, không trường hợp nào được đề nghị khen thưởng."
            )
        ),
        recusal_lines=_recusal_lines(recusals, results, who),
        exceptions=exceptions_considered(session, meeting),
        intro=(
            "Hội đồng đã nghe báo cáo kết quả kiểm tra hồ sơ, thảo luận, thẩm định và bỏ phiếu "
            "kín đối với từng trường hợp đề nghị khen thưởng."
        ),
        denominator_line=(
            f"Tỷ lệ đồng ý tính trên {DENOMINATOR_WORDS[rs.denominator]}"
            + (f" ({two(n)} thành viên)." if rs.denominator == "members" else ".")
        ),
        rows=[
            {
                "stt": i,
                "name": r.subject_name,
                "title": title_name(r.title),
                "issued": two(r.issued),
                "returned": two(r.returned),
                "valid": two(r.valid),
                "yes": two(r.yes),
                "no": two(r.no),
                "yes_pct": _pct(r),
                "result": (
                    "Đạt"
                    if r.passed
                    else "Không đạt (chưa đủ số thành viên dự họp)"
                    if not r.quorum_met
                    else f"Không đạt (cần {_threshold_words(r)})"
                ),
            }
            for i, r in enumerate(results, start=1)
        ],
        passed_count=(
            f"Kết quả: {two(passed)}/{two(len(results))} trường hợp đạt tỷ lệ phiếu đồng ý "
            "theo quy định."
        ),
        closing=(
            f"Cuộc họp kết thúc lúc {_time(meeting.closed_at)}. Biên bản đã được thông qua "
            "trước Hội đồng./."
            if meeting.closed_at
            else "Biên bản đã được thông qua trước Hội đồng./."
        ),
    )
    return ctx


QUORUM_WORDS = {">= 2/3": "ít nhất 2/3 tổng số thành viên", "> 50%": "quá nửa tổng số thành viên",
                ">= 50%": "ít nhất một nửa tổng số thành viên"}  # fmt: skip
DENOMINATOR_WORDS = {
    "members": "tổng số thành viên Hội đồng",
    "entitled": "số thành viên Hội đồng được biểu quyết (không kể thành viên không tham gia "
    "biểu quyết)",
}


def _recusal_lines(recusals, results: list[VoteResult], who) -> list[str]:
    """One line per member: the dossiers he did not vote on and why; his own dossiers together
    ("hồ sơ đề nghị tặng Lao động tiên tiến, Chiến sĩ thi đua cơ sở của chính mình")."""
    by_id = {r.nomination_id: r for r in results}
    own: dict[int, list[str]] = {}
    other: list[tuple[int, str]] = []
    for recusal, person_id in recusals:
        r = by_id.get(recusal.nomination_id)
        if r is None:
            continue
        if recusal.reason == ballots.OWN_NOMINATION:
            own.setdefault(person_id, []).append(title_name(r.title))
        else:
            reason = recusal.reason[:1].lower() + recusal.reason[1:]
            other.append((person_id, f"hồ sơ đề nghị tặng {title_name(r.title)} của "
                                     f"{r.subject_name}, lý do: {reason}"))  # fmt: skip
    lines = [
        f"{who(pid)}: không biểu quyết hồ sơ đề nghị tặng {', '.join(titles)} của chính mình"
        for pid, titles in own.items()
    ]
    lines += [f"{who(pid)}: không tham gia biểu quyết {what}" for pid, what in other]
    return lines


def _threshold_words(r: VoteResult) -> str:
    pct = r.threshold_pct
    shown = vn.percent(pct, 0 if pct == pct.to_integral() else 1)
    return f"trên {shown}" if r.threshold_strict else f"từ {shown} trở lên"


__all__ = [
    "achievement_kind",
    "achievement_report_context",
    "exceptions_considered",
    "minutes_context",
    "nominee_list_context",
]
