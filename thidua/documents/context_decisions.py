"""Context builders for what the head signs at the end: the proposal memo upward (tờ trình),
the award decision (quyết định) with its annexed list, and the certificates (giấy khen)."""

from decimal import Decimal
from typing import Any

from sqlmodel import Session, col, select

from models import Decision, DecisionItem, IssuedDocument, Movement, Nomination
from thidua import vn
from thidua.authority import authority_of, cite
from thidua.documents.context_awards import Subjects, _count_text, _short, award_order
from thidua.documents.context_common import (
    copies,
    header,
    local_date,
    nominations_by_id,
    title_name,
)


def _items(session: Session, decision: Decision):
    items = session.exec(
        select(DecisionItem)
        .where(DecisionItem.decision_id == decision.id, col(DecisionItem.revoked_at).is_(None))
        .order_by(col(DecisionItem.id))
    ).all()
    noms = nominations_by_id(session, [i.nomination_id for i in items])
    subjects = Subjects(session, list(noms.values()))
    items = sorted(
        items,
        key=lambda i: (
            award_order(i.title),
            i.title,
            noms[i.nomination_id].subject_kind,
            subjects.sort_key(noms[i.nomination_id]),
        ),
    )
    return items, noms, subjects


def _groups(items, noms) -> list[dict[str, str]]:
    by_title: dict[str, list[Nomination]] = {}
    for i in items:
        by_title.setdefault(i.title, []).append(noms[i.nomination_id])
    return [{"title": title_name(t), "count_text": _count_text(ns)} for t, ns in by_title.items()]


def _doc_symbol(session: Session, movement: Movement, kind: str) -> str | None:
    doc = session.exec(
        select(IssuedDocument)
        .where(IssuedDocument.movement_id == movement.id, IssuedDocument.kind == kind)
        .order_by(col(IssuedDocument.id).desc())
    ).first()
    return doc.symbol if doc else None


def _minutes(session: Session, movement: Movement, form: str) -> str:
    """ " (Biên bản số 05/BB-HĐTĐKT)" or " tại Biên bản số …", empty before the minutes."""
    minutes = _doc_symbol(session, movement, "minutes")
    return form.format(minutes) if minutes else ""


def _signer(movement: Movement, prefix: str | None) -> tuple[str, str, str]:
    return prefix or "", movement.signer_title, movement.signer_name


def proposal_memo_context(
    session: Session, movement: Movement, decision: Decision
) -> dict[str, Any]:
    """The Tờ trình to the authority above (the issuer's profile names it and through whom),
    on the căn cứ of the agency's data."""
    items, noms, subjects = _items(session, decision)
    authority = authority_of(movement)
    to = decision.authority or authority.proposes_to
    via = f" (qua {authority.proposes_through})" if authority.proposes_through else ""
    extra = [authority.proposes_through] if authority.proposes_through else []
    ctx = header(
        movement,
        summary=f"Về việc đề nghị khen thưởng phong trào thi đua năm {movement.year}",
        issued_on=decision.signed_on,
        copy_lines=copies(
            session, movement, *_unique([*authority.proposal_copies[:1], *extra,
                                          *authority.proposal_copies[1:]])
        ),
        signer=_signer(movement, authority.proposal_signer_prefix),
    )  # fmt: skip
    ctx.update(
        addressee=to,
        legal_bases=[cite(b) for b in authority.bases],
        intro=(
            f"Trên cơ sở kết quả thực hiện phong trào thi đua năm {movement.year}, "
            f"{authority.council} đã họp xét"
            + _minutes(session, movement, " (Biên bản số {})")
            + ". "
            f"{authority.name} kính đề nghị {to} xem xét, khen thưởng:"
        ),
        groups=_groups(items, noms),
        rows=[
            {
                "stt": i,
                "name": subjects.name(noms[it.nomination_id]),
                "position_unit": subjects.position_unit(noms[it.nomination_id]),
                "title": title_name(it.title),
                "achievement": _short(noms[it.nomination_id].achievement, 200),
            }
            for i, it in enumerate(items, start=1)
        ],
        closing=f"{authority.name} kính trình {to}{via} xem xét, quyết định./.",
    )
    return ctx


def _unique(lines: list[str]) -> list[str]:
    return list(dict.fromkeys(lines))


def _money(value: Decimal | None) -> str:
    return vn.number(value, 0) if value is not None else "—"


def decision_context(session: Session, movement: Movement, decision: Decision) -> dict[str, Any]:
    """The Quyết định of the agency's head: his title, the căn cứ of the agency's data, "Theo
    đề nghị của …", and Điều 3 and Nơi nhận as the issuer's profile says."""
    items, noms, subjects = _items(session, decision)
    authority = authority_of(movement)
    total = sum((i.amount for i in items if i.amount is not None), Decimal(0))
    ctx = header(
        movement,
        summary=f"Về việc khen thưởng phong trào thi đua năm {movement.year}",
        issued_on=decision.signed_on,
        copy_lines=copies(session, movement, *authority.decision_copies),
        signer=_signer(movement, authority.decision_signer_prefix),
    )
    ctx.update(
        issuer_title=(decision.authority or authority.head_title).upper(),
        legal_bases=[cite(b) for b in authority.bases],
        proposal_line=(
            f"Theo đề nghị của {authority.proposer} và kết quả họp xét của {authority.council}"
            + _minutes(session, movement, " tại Biên bản số {}")
            + "."
        ),
        movement_name=f"phong trào thi đua năm {movement.year} của {authority.name}",
        groups=_groups(items, noms),
        rows=[
            {
                "stt": i,
                "name": subjects.name(noms[it.nomination_id]),
                "position_unit": subjects.position_unit(noms[it.nomination_id]),
                "title": title_name(it.title),
                "amount": _money(it.amount),
            }
            for i, it in enumerate(items, start=1)
        ],
        total_amount=vn.number(total, 0),
        executors="; ".join([*authority.executors, "các tập thể, cá nhân có tên tại Điều 1"]),
    )
    return ctx


def _lower_first(text: str) -> str:
    """ "Dẫn đầu khối…" reads "Đã có thành tích dẫn đầu khối…" (acronyms keep their case)."""
    if len(text) > 1 and text[0].isupper() and text[1].islower():
        return text[0].lower() + text[1:]
    return text


# What each award is printed on. A Giấy khen is a Giấy khen; of the danh hiệu thi đua, only
# "Chiến sĩ thi đua cơ sở" and "Tập thể lao động xuất sắc" carry a Bằng chứng nhận (Nghị định
# 98/2023/NĐ-CP, Điều 54, carried over by Nghị định 152/2025/NĐ-CP); "Lao động tiên tiến" and
# "Tập thể lao động tiên tiến" are recognised in the decision with their reward money and no
# certificate (Bộ Nội vụ, trả lời ngày 14/11/2023). Titles the head does not decide (Chiến sĩ
# thi đua cấp tỉnh, Bằng khen, Cờ thi đua) are printed by the authority that awards them.
CERTIFICATE_FORMS = {
    "GIAY_KHEN": ("TẶNG", "GIẤY KHEN"),
    "CSTDCS": ("CHỨNG NHẬN", ""),
    "TTLDXS": ("CHỨNG NHẬN", ""),
}


def _citation(it: DecisionItem, n: Nomination, name: str, year: int) -> str:
    """The line under the name: the achievement of a Giấy khen, the danh hiệu of a Bằng
    chứng nhận."""
    if it.title != "GIAY_KHEN" and "giấy khen" not in title_name(it.title).lower():
        return f"Đạt danh hiệu “{title_name(it.title)}” năm {year}"
    text = " ".join((n.achievement or "").split()).rstrip(".")
    # "Phòng X hoàn thành tốt…": the name is printed just above; otherwise "Dẫn đầu…" → "dẫn…"
    named = text.startswith(name)
    text = text[len(name) :].strip(" ,:") if named else _lower_first(text)
    if not text or len(text) > 160:
        text = f"xuất sắc trong phong trào thi đua năm {year}"
    return f"Đã có thành tích {text}"


def _form(title: str) -> tuple[str, str] | None:
    if title in CERTIFICATE_FORMS:
        return CERTIFICATE_FORMS[title]
    if "giấy khen" in title_name(title).lower():
        return CERTIFICATE_FORMS["GIAY_KHEN"]
    return None


def certificate_contexts(
    session: Session, movement: Movement, decision: Decision
) -> list[dict[str, Any]]:
    """One entry per certificate the decision gives: a Giấy khen for each Giấy khen, a Bằng
    chứng nhận for each danh hiệu that carries one (CERTIFICATE_FORMS), none for the others.
    In the decision's order: by award, then Vietnamese collation of the names."""
    items, noms, subjects = _items(session, decision)
    out: list[dict[str, Any]] = []
    for it in items:
        form = _form(it.title)
        if form is None:
            continue
        n = noms[it.nomination_id]
        name = subjects.name(n)
        out.append(
            {
                "recipient": name,
                "position_unit": subjects.position_unit(n),
                "verb": form[0],
                "form": form[1],
                "citation": _citation(it, n, name, movement.year),
                "title": title_name(it.title),
                "book_number": f"{len(out) + 1:03d}",
            }
        )
    return out


def certificates_context(
    session: Session, movement: Movement, decision: Decision
) -> dict[str, Any]:
    """The merged file's context: the shared lines and every recipient's certificate."""
    symbol = _decision_symbol(session, decision, movement)
    when = decision.signed_on or vn.today()
    ctx = header(
        movement,
        summary=f"Giấy khen, Bằng chứng nhận theo Quyết định số {symbol}",
        issued_on=when,
        copy_lines=[],
    )
    ctx.update(
        issuer_title=(decision.authority or authority_of(movement).head_title).upper(),
        decision_line=f"Quyết định số {symbol} {vn.long_date(local_date(when))}",
        certificates=certificate_contexts(session, movement, decision),
    )
    return ctx


def _decision_symbol(session: Session, decision: Decision, movement: Movement) -> str:
    doc = session.get(IssuedDocument, decision.document_id) if decision.document_id else None
    if doc is None:
        doc = session.exec(
            select(IssuedDocument).where(
                IssuedDocument.movement_id == movement.id,
                IssuedDocument.kind == "decision",
                IssuedDocument.subject_key == f"decision:{decision.id}",
            )
        ).first()
    return doc.symbol if doc and doc.symbol else f"      /QĐ-{movement.agency_code}"
