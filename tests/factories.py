"""Small, explicit builders for tests that need rows without going through a spec file."""

from datetime import date
from decimal import Decimal
from itertools import count

from sqlmodel import Session

from models import Movement, Participant, Period, Person, Target, Unit

_seq = count(1)


def make_units(session: Session, n: int = 3) -> tuple[Unit, list[Unit]]:
    """A root agency with n units under it."""
    k = next(_seq)
    root = Unit(code=f"ROOT{k}", name="Sở Công Thương")
    session.add(root)
    session.flush()
    units = [Unit(code=f"U{k}-{i}", name=f"Phòng {i}", parent_id=root.id) for i in range(1, n + 1)]
    session.add_all(units)
    session.flush()
    return root, units


def make_person(session: Session, unit: Unit, roles: list[str], **kw: object) -> Person:
    k = next(_seq)
    p = Person(
        code=f"P{k}",
        full_name=kw.pop("full_name", f"Nguyễn Văn {k}"),
        unit_id=unit.id,
        email=kw.pop("email", f"p{k}@thidua.test"),
        zalo_phone=kw.pop("zalo_phone", f"8491{k:07d}"),
        roles=roles,
        **kw,
    )
    session.add(p)
    session.flush()
    return p


def make_movement(
    session: Session, *, periods: int = 2, units: list[Unit] | None = None, state: str = "draft"
) -> Movement:
    k = next(_seq)
    m = Movement(
        code=f"test-{k}",
        year=2022,
        title="Phong trào thi đua năm 2022",
        doc_kind="cong_van",
        doc_symbol="SCT-VP",
        agency="SỞ CÔNG THƯƠNG",
        parent_agency="UBND TỈNH HÀ NAM",
        agency_code="SCT",
        place="Hà Nam",
        issued_date="2022-03",
        theme="Đoàn kết, trách nhiệm, chủ động, sáng tạo",
        signer_title="GIÁM ĐỐC",
        signer_name="Lê Nguyên Ngọc",
        state=state,
    )
    session.add(m)
    session.flush()
    spans = [(date(2022, 1, 1), date(2022, 6, 30)), (date(2022, 7, 1), date(2022, 11, 20))]
    if periods == 1:
        spans = [(date(2022, 1, 1), date(2022, 12, 31))]
    for i, (a, b) in enumerate(spans[:periods], start=1):
        session.add(Period(movement_id=m.id, number=i, name=f"Đợt {i}", starts_on=a, ends_on=b))
    session.add(
        Target(
            movement_id=m.id,
            seq=1,
            code="GTSXCN",
            label="Giá trị sản xuất công nghiệp",
            value=Decimal("174186.0"),
            value_text="174.186,0",
            unit="tỷ đồng",
        )
    )
    for u in units or []:
        session.add(Participant(movement_id=m.id, unit_id=u.id))
    session.flush()
    return m
