"""Builders shared by the rules, scoring, ballots and history tests (no tests here)."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlmodel import Session

from models import (
    AwardHistory,
    Block,
    CriteriaTable,
    Criterion,
    Movement,
    Nomination,
    Participant,
    Person,
    Unit,
)

T0 = datetime(2025, 11, 25, 8, 0, tzinfo=UTC)


def movement(session: Session, *, year: int = 2025, rule_set: str | None = "nd152-2025"):
    m = Movement(
        code=f"PT-{year}",
        year=year,
        title="Phong trào thi đua năm " + str(year),
        doc_kind="ke_hoach",
        doc_symbol="KH-SCT",
        agency="Sở Công Thương",
        agency_code="SCT",
        place="Hà Nam",
        issued_date=f"{year}-03-05",
        theme="Đoàn kết, sáng tạo",
        signer_title="GIÁM ĐỐC",
        signer_name="Nguyễn Văn A",
        rule_set=rule_set,
    )
    session.add(m)
    session.flush()
    return m


def unit(session: Session, code: str, *, headcount: int | None = None, parent: Unit | None = None):
    u = Unit(
        code=code,
        name=f"Phòng {code}",
        headcount=headcount,
        parent_id=parent.id if parent else None,
    )
    session.add(u)
    session.flush()
    return u


def people(session: Session, u: Unit, n: int, *, prefix: str | None = None, roles=()):
    out = []
    for i in range(n):
        p = Person(
            code=f"{prefix or u.code}-{i + 1:03d}",
            full_name=f"Nguyễn Văn {prefix or u.code} {i + 1}",
            unit_id=u.id,
            roles=list(roles),
        )
        session.add(p)
        out.append(p)
    session.flush()
    return out


_seq = {"n": 0}


def nominate(
    session: Session,
    m: Movement,
    *,
    unit: Unit,
    title: str,
    facts: dict,
    person: Person | None = None,
    collective: Unit | None = None,
    status: str = "submitted",
):
    _seq["n"] += 1
    n = Nomination(
        movement_id=m.id,
        unit_id=unit.id,
        subject_kind="individual" if person else "collective",
        person_id=person.id if person else None,
        collective_unit_id=collective.id if collective else None,
        subject_key=f"person:{person.id}" if person else f"unit:{collective.id}",
        title=title,
        facts=facts,
        status=status,
        submitted_by="test",
        submitted_at=T0 + timedelta(minutes=_seq["n"]),
    )
    session.add(n)
    session.flush()
    return n


def history(session: Session, subject, title: str, *years: int):
    key = f"person:{subject.id}" if isinstance(subject, Person) else f"unit:{subject.id}"
    for y in years:
        session.add(
            AwardHistory(
                subject_key=key,
                year=y,
                title=title,
                person_id=subject.id if isinstance(subject, Person) else None,
                unit_id=subject.id if isinstance(subject, Unit) else None,
            )
        )
    session.flush()


def block(
    session: Session, m: Movement, code: str, units: list[Unit], criteria: dict | None = None
):
    b = Block(code=code, name=f"Khối {code}")
    session.add(b)
    session.flush()
    for u in units:
        session.add(Participant(movement_id=m.id, unit_id=u.id, block_id=b.id))
    if criteria is not None:
        t = CriteriaTable(movement_id=m.id, block_id=b.id, name=f"Bảng tiêu chí khối {code}")
        session.add(t)
        session.flush()
        for i, (c, mx) in enumerate(criteria.items()):
            session.add(
                Criterion(
                    table_id=t.id, seq=i + 1, code=c, text=f"Tiêu chí {c}", max_points=Decimal(mx)
                )
            )
    session.flush()
    return b


GOOD = {
    "task_rating": "HTXSNV",
    "months_worked": 12,
    "discipline": "none",
    "initiatives": [{"level": "tinh", "name": "Số hoá hồ sơ"}, {"level": "co_so"}],
}
