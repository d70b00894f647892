"""What every document's context shares: the header and signature fields, "Nơi nhận",
Vietnamese names of titles, dates and counts, and the movement's rows the builders read."""

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlmodel import Session, col, select

from models import LegalBasis, Movement, Participant, Period, Recipient, Target, Unit
from models.awards import Nomination
from models.base import saved_id
from thidua import vn
from thidua.errors import NotFound

TITLE_NAMES = {
    "LDTT": "Lao động tiên tiến",
    "LDXS": "Lao động xuất sắc",
    "CSTDCS": "Chiến sĩ thi đua cơ sở",
    "CSTD_TINH": "Chiến sĩ thi đua cấp tỉnh",
    "TTLDTT": "Tập thể lao động tiên tiến",
    "TTLDXS": "Tập thể lao động xuất sắc",
    "GIAY_KHEN": "Giấy khen",
    "BANG_KHEN_TINH": "Bằng khen của Chủ tịch Ủy ban nhân dân tỉnh",
    "CO_THI_DUA": "Cờ thi đua",
    "HTTNV": "Hoàn thành tốt nhiệm vụ",
    "HTXSNV": "Hoàn thành xuất sắc nhiệm vụ",
    "CO_THI_DUA_CP": "Cờ thi đua của Chính phủ",
    "CSTD_TOAN_QUOC": "Chiến sĩ thi đua toàn quốc",
    "BANG_KHEN_TTG": "Bằng khen của Thủ tướng Chính phủ",
}
_DOC_TYPE = re.compile(
    r"^(Chỉ thị|Nghị quyết|Nghị định|Thông tư|Quyết định|Kế hoạch|Công văn|Luật|Hướng dẫn|"
    r"Kết luận|Thông báo)\s+(.+)$"
)


def paras(text: str | None) -> str:
    """Text with line breaks as separate paragraphs: docxtpl turns "\\a" into a new paragraph
    with the same layout, where a "\\n" (a line break) would stretch a justified line."""
    lines = [ln.strip() for ln in (text or "").replace("\r\n", "\n").split("\n")]
    return "\a".join(ln for ln in lines if ln)


def title_name(code: str) -> str:
    return TITLE_NAMES.get(code, code)


def local_date(value: datetime | date | None) -> date:
    if value is None:
        return vn.today()
    if isinstance(value, datetime):
        if value.tzinfo is None:  # SQLite returns naive UTC
            value = value.replace(tzinfo=UTC)
        return value.astimezone(vn.TZ).date()
    return value


def two(n: int) -> str:
    """Counts in documents take a leading zero below 10 ("05 tập thể")."""
    return f"{n:02d}"


def copies(session: Session, movement: Movement, *extra: str, keep: str = "VT, VP") -> list[str]:
    """ "Nơi nhận" lines: the given ones, else the movement's copy recipients; always ending
    with "Lưu: VT, …"."""
    names = list(extra) or [
        r.name
        for r in session.exec(
            select(Recipient)
            .where(Recipient.movement_id == movement.id, Recipient.role == "copy")
            .order_by(col(Recipient.seq))
        )
    ]
    lines = [n.strip().rstrip(";.") + ";" for n in names if not n.strip().startswith("Lưu")]
    return [*lines, f"Lưu: {keep}."]


def header(
    movement: Movement,
    *,
    summary: str,
    issued_on: date | str | None = None,
    copy_lines: list[str],
    agency: str | None = None,
    parent_agency: str | None = None,
    signer: tuple[str, str, str] | None = None,
) -> dict[str, Any]:
    prefix, title, name = signer or (
        movement.signer_prefix or "",
        movement.signer_title,
        movement.signer_name,
    )
    return {
        "parent_agency": (
            parent_agency if parent_agency is not None else movement.parent_agency or ""
        ).upper(),
        "agency": (agency or movement.agency).upper(),
        "summary": summary,
        "place": movement.place,
        "issued_on": issued_on or vn.today(),
        "signer_prefix": (prefix or "").upper(),
        "signer_title": title.upper(),
        "signer_name": name,
        "copies": copy_lines,
    }


def agency_name(movement: Movement) -> str:
    """The agency's name inside a sentence: the name its authority data gives ("Sở Công
    Thương"), else the header's capitals written as a name (thidua.vn.agency_name)."""
    from thidua.authority import authority_of

    return authority_of(movement).name or vn.agency_name(movement.agency)


def legal_bases(session: Session, movement: Movement) -> list[str]:
    rows = session.exec(
        select(LegalBasis)
        .where(LegalBasis.movement_id == movement.id)
        .order_by(col(LegalBasis.seq))
    )
    out = []
    for b in rows:
        when = f" ngày {vn.short_date(b.issued_on)}" if b.issued_on else ""
        m = _DOC_TYPE.match(b.title)
        if m:  # "Chỉ thị số 34-CT/TW ngày 07/4/2014 của Bộ Chính trị về …", as cited
            out.append(f"{m.group(1)} số {b.number}{when} của {b.issuer} {m.group(2)}")
        else:
            out.append(f"{b.title} số {b.number}{when} của {b.issuer}")
    return out


def periods(session: Session, movement: Movement) -> list[Period]:
    return list(
        session.exec(
            select(Period).where(Period.movement_id == movement.id).order_by(col(Period.number))
        )
    )


def period_range(p: Period) -> str:
    return f"từ {vn.short_date(p.starts_on)} đến {vn.short_date(p.ends_on)}"


def targets(session: Session, movement: Movement) -> list[Target]:
    return list(
        session.exec(
            select(Target).where(Target.movement_id == movement.id).order_by(col(Target.seq))
        )
    )


def decimals(value_text: str) -> int:
    return len(value_text.split(",", 1)[1]) if "," in value_text else 0


def growth_text(t: Target, with_basis: bool = True) -> str:
    """ "tăng 8,5% so với ước thực hiện năm 2021", "giảm khoảng 2%"; "" without a growth."""
    if t.growth_pct is None:
        return ""
    text = growth_words(Decimal(t.growth_pct), t.growth_qualifier)
    return f"{text} {t.growth_basis}" if with_basis and t.growth_basis else text


def target_value(t: Target) -> str:
    """The planned figure in Vietnamese grouping with its comparison word: "khoảng 6.492,8"."""
    figure = vn.number(t.value, decimals(t.value_text))
    return f"{t.qualifier} {figure}" if t.qualifier else figure


def target_label(t: Target) -> str:
    """ "Giá trị sản xuất công nghiệp (Giá SS2010)"; a part: "Trong đó: thu nội địa"."""
    label = t.label + (f" ({t.basis})" if t.basis else "")
    return f"Trong đó: {label}" if t.parent_code else label


def growth_words(g: Decimal, qualifier: str | None = None) -> str:
    """ "tăng 12,5%", "giảm khoảng 2%": a growth in the words of a directive."""
    exponent = Decimal(g).normalize().as_tuple().exponent  # an int for a finite number
    places = max(0, -exponent) if isinstance(exponent, int) else 0
    word = "giảm" if g < 0 else "tăng"
    return " ".join(filter(None, (word, qualifier, f"{vn.number(abs(g), places)}%")))


def participants(session: Session, movement: Movement) -> list[Unit]:
    return list(
        session.exec(
            select(Unit)
            .join(Participant, col(Participant.unit_id) == col(Unit.id))
            .where(Participant.movement_id == movement.id)
            .order_by(col(Unit.id))
        )
    )


def period_of(session: Session, movement: Movement, number: int) -> Period:
    p = session.exec(
        select(Period).where(Period.movement_id == movement.id, Period.number == number)
    ).first()
    if p is None:
        raise NotFound(f"Phong trào {movement.code} không có đợt {number}")
    return p


def nominations_by_id(session: Session, ids: list[int]) -> dict[int, Nomination]:
    out: dict[int, Nomination] = {}
    for i in range(0, len(ids), 500):
        for n in session.exec(select(Nomination).where(col(Nomination.id).in_(ids[i : i + 500]))):
            out[saved_id(n)] = n
    return out
