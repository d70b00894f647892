"""The movement's own emulation targets: minimums met or not, maximums exceeded."""

from decimal import Decimal

from sqlmodel import Session, select

from models import Nomination, TitleQuota
from tests.factories import make_movement, make_person, make_units
from thidua.targets import quota_standing


def test_minimums_and_maximums_of_the_directive(session: Session) -> None:
    _, units = make_units(session, 4)
    m = make_movement(session, units=units, state="proposals")
    people = [make_person(session, units[i % 4], []) for i in range(10)]
    for q in [
        TitleQuota(movement_id=m.id, seq=1, subject="individual", title="LDTT",
                   text="từ 80% đạt Lao động tiên tiến", kind="percent", minimum=Decimal(80)),
        TitleQuota(movement_id=m.id, seq=2, subject="collective", title="TTLDXS",
                   text="có từ 01 đến 02 đơn vị", kind="count", minimum=Decimal(1),
                   maximum=Decimal(2)),
        TitleQuota(movement_id=m.id, seq=3, subject="individual", title="HTTNV",
                   text="100% hoàn thành tốt nhiệm vụ", kind="percent", minimum=Decimal(100)),
    ]:  # fmt: skip
        session.add(q)
    for i, p in enumerate(people[:8]):  # 8 of 10 people: exactly 80%; one of them returned
        session.add(
            Nomination(
                movement_id=m.id,
                unit_id=p.unit_id,
                subject_kind="individual",
                person_id=p.id,
                subject_key=f"person:{p.id}",
                title="LDTT",
                status="returned" if i == 0 else "submitted",
                submitted_by="t",
            )
        )
    for u in units[:3]:  # three collectives: more than the maximum of two
        session.add(Nomination(movement_id=m.id, unit_id=u.id, subject_kind="collective",
                               collective_unit_id=u.id, subject_key=f"unit:{u.id}",
                               title="TTLDXS", submitted_by="t"))  # fmt: skip
    session.flush()
    ldtt, ttldxs, rating = quota_standing(session, m)
    assert (ldtt.achieved, ldtt.base, ldtt.status) == (7, 10, "chưa đạt")  # returned: not counted
    assert "7/10 = 70,0%" in ldtt.line()
    assert (ttldxs.achieved, ttldxs.status) == (3, "vượt")
    assert rating.status == "không theo dõi"
    returned = session.exec(select(Nomination).where(Nomination.status == "returned")).one()
    returned.status = "submitted"
    session.flush()
    assert quota_standing(session, m)[0].status == "đạt"  # 8/10 = 80%: the minimum is met
