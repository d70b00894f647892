"""The movement spec: load and check a YAML launch directive, store it as a draft movement,
enrol the participating units.

    spec = load_spec("examples/hanam-sct-2022.yaml")      # InvalidInput lists every problem
    with session_scope() as s:
        movement = store_spec(s, spec, actor="admin")      # stage "draft"
        ...
        enrol_participants(s, movement)                    # at launch

The models are in thidua/spec_schema.py, the reading and checking in thidua/spec_load.py.
"""

import hashlib
import json

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from models import (
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
from models.base import id_col, saved_id, table_of
from thidua.authority import resolve as resolve_authority
from thidua.errors import InvalidInput, Problem
from thidua.inforce import expected_decision_day
from thidua.lifecycle import audit
from thidua.rules.ruleset import default_rule_set
from thidua.spec_load import check_spec, deadline_label, load_spec, parse_spec
from thidua.spec_schema import MovementSpec

__all__ = [
    "MovementSpec",
    "check_spec",
    "enrol_participants",
    "load_spec",
    "parse_spec",
    "spec_hash",
    "store_spec",
]


def spec_hash(spec: MovementSpec) -> str:
    """sha256 of the normalised spec (NFC, defaults filled, keys sorted)."""
    canonical = json.dumps(spec.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _block_ids(session: Session, spec: MovementSpec) -> dict[str, int]:
    codes = {t.block for t in spec.criteria if t.block}
    if not codes:
        return {}
    rows = session.exec(select(Block.code, id_col(Block)).where(col(Block.code).in_(codes))).all()
    return dict(rows)


def _unit_ids(session: Session, codes: list[str]) -> dict[str, int]:
    if not codes:
        return {}
    rows = session.exec(
        select(Unit.code, id_col(Unit)).where(col(Unit.code).in_(codes), Unit.active == True)  # noqa: E712
    ).all()
    return dict(rows)


def store_spec(session: Session, spec: MovementSpec, *, actor: str) -> Movement:
    """Write the spec as a draft movement with every row it implies, in the caller's session.

    Everything is checked (duplicate code, block and unit codes) before the first write, so a
    refusal leaves the session untouched."""
    problems: list[Problem] = []
    if session.exec(select(Movement.id).where(Movement.code == spec.code)).first():
        problems.append(Problem("code", f"đã có phong trào mã '{spec.code}'; hãy đặt một mã khác"))
    blocks = _block_ids(session, spec)
    for i, table in enumerate(spec.criteria):
        if table.block and table.block not in blocks:
            problems.append(
                Problem(f"criteria[{i}].block", f"không có khối thi đua mã '{table.block}'")
            )
    units = _unit_ids(session, spec.participants or [])
    for i, code in enumerate(spec.participants or []):
        if code not in units:
            problems.append(
                Problem(f"participants[{i}]", f"không có đơn vị đang hoạt động mã '{code}'")
            )
    if problems:
        raise InvalidInput(f"Không thể lưu phong trào '{spec.code}'", problems)

    doc, signer = spec.document, spec.signer
    decision = expected_decision_day(spec)  # a whole spec: never None
    decided_on = decision[0] if decision else None
    movement = Movement(
        code=spec.code,
        year=spec.year,
        title=spec.title,
        doc_kind=doc.kind,
        doc_number=doc.number,
        doc_symbol=doc.symbol,
        summary=doc.summary,
        parent_agency=spec.issuer.parent_agency,
        agency=spec.issuer.agency,
        agency_code=spec.issuer.agency_code,
        place=doc.place,
        issued_date=doc.date,
        theme=spec.theme,
        theme_label=spec.theme_label,
        preamble=spec.preamble,
        closing=spec.closing,
        signer_prefix=signer.prefix,
        signer_title=signer.title,
        signer_name=signer.name,
        auto_periods=spec.auto_periods,
        # the law of the decision's day, stored with the movement (thidua/inforce.py)
        rule_set=spec.rule_set or default_rule_set(decided_on),
        authority=resolve_authority(
            spec.issuer.authority,
            agency=spec.issuer.agency,
            signer_title=signer.title,
            parent_agency=spec.issuer.parent_agency,
            on=decided_on,
        ).as_json(),
        reminder_policy=spec.reminders.model_dump(mode="json"),
        state="draft",
        spec_hash=spec_hash(spec),
    )
    session.add(movement)
    try:
        session.flush()  # a concurrent insert of the same code fails here
    except IntegrityError:
        raise InvalidInput(
            f"Không thể lưu phong trào '{spec.code}'",
            [Problem("code", f"đã có phong trào mã '{spec.code}'; hãy đặt một mã khác")],
        ) from None
    mid = saved_id(movement)
    rows: list = []
    rows += [
        LegalBasis(
            movement_id=mid, seq=i, number=b.number, issued_on=b.date, issuer=b.issuer,
            title=b.title,
        )
        for i, b in enumerate(spec.legal_bases, 1)
    ]  # fmt: skip
    one_period_year = spec.year if len(spec.effective_periods()) == 1 else None
    contents, placed_at, group_of = _content_rows(mid, spec)
    rows += contents
    rows += [
        Target(
            movement_id=mid, seq=i, code=t.code, group=t.group or group_of.get(t.code),
            label=t.label, value=t.value, value_text=t.value_text, unit=t.unit,
            comparison=t.comparison, basis=t.basis, growth_pct=t.growth_pct,
            qualifier=t.qualifier, growth_qualifier=t.growth_qualifier,
            growth_basis=t.growth_basis, parent_code=t.parent, content_seq=placed_at.get(t.code),
        )
        for i, t in enumerate(spec.targets, 1)
    ]  # fmt: skip
    rows += [
        TitleQuota(
            movement_id=mid, seq=i, subject=q.subject, title=q.title, text=q.text, kind=q.kind,
            minimum=q.min, maximum=q.max,
        )
        for i, q in enumerate(spec.quotas, 1)
    ]  # fmt: skip
    rows += [
        Period(
            movement_id=mid, number=p.number, name=p.name or f"Đợt {p.number}", theme=p.theme,
            starts_on=p.starts_on, ends_on=p.ends_on,
        )
        for p in spec.effective_periods()
    ]  # fmt: skip
    rows += [
        Deadline(movement_id=mid, kind=d.kind, due_on=d.due_on,
                 label=deadline_label(d.kind, d.label, one_period_year))
        for d in spec.deadlines
    ]  # fmt: skip
    recipients = [("addressee", n) for n in spec.addressees] + [("copy", n) for n in spec.copies]
    rows += [
        Recipient(movement_id=mid, seq=i, role=role, name=name)
        for i, (role, name) in enumerate(recipients, 1)
    ]
    session.add_all(rows)
    for table in spec.criteria:
        ct = CriteriaTable(movement_id=mid, block_id=blocks.get(table.block or ""), name=table.name)
        session.add(ct)
        session.flush()
        session.add_all(
            Criterion(
                table_id=saved_id(ct), seq=i, code=c.code, text=c.text, max_points=c.max_points,
                evidence_required=c.evidence,
            )
            for i, c in enumerate(table.criteria, 1)
        )  # fmt: skip
    if spec.participants:
        _add_participants(session, movement, [units[c] for c in spec.participants])
    audit(
        session,
        actor=actor,
        entity="movement",
        entity_id=mid,
        movement_id=mid,
        action="movement.created",
        to_state="draft",
        data={
            "spec_hash": movement.spec_hash,
            "contents": spec.content_count(),
            "targets": len(spec.targets),
            "quotas": len(spec.quotas),
            "periods": len(spec.effective_periods()),
            "participants": len(spec.participants or []),
        },
    )
    session.flush()
    return movement


def _content_rows(
    mid: int, spec: MovementSpec
) -> tuple[list[Content], dict[str, int], dict[str, str]]:
    """The directive's items in text order (depth kept), where each listed target stands
    (the seq of its item) and the group it is under (the item's first line)."""
    rows: list[Content] = []
    placed_at: dict[str, int] = {}
    group_of: dict[str, str] = {}
    for section in spec.contents:
        for top in section.items:
            for depth, item in top.walk():
                rows.append(
                    Content(movement_id=mid, seq=len(rows) + 1, section=section.section,
                            number=item.number or "", depth=depth, text=item.text)
                )  # fmt: skip
                heading = " ".join(filter(None, (item.number, item.text.split("\n")[0])))
                for code in item.targets:
                    placed_at.setdefault(code, len(rows))
                    group_of.setdefault(code, heading[:300])
    return rows, placed_at, group_of


def _block_of(session: Session, unit_ids: list[int]) -> dict[int, int]:
    if not unit_ids:
        return {}
    rows = session.exec(
        select(BlockMember.unit_id, BlockMember.block_id).where(
            col(BlockMember.unit_id).in_(unit_ids)
        )
    ).all()
    return dict(rows)


def _add_participants(session: Session, movement: Movement, unit_ids: list[int]) -> int:
    existing = dict(
        session.exec(
            select(Participant.unit_id, Participant.id).where(
                Participant.movement_id == movement.id
            )
        ).all()
    )
    block_of = _block_of(session, unit_ids)
    new = [
        {"movement_id": movement.id, "unit_id": u, "block_id": block_of.get(u)}
        for u in dict.fromkeys(unit_ids)
        if u not in existing
    ]
    if new:
        session.execute(table_of(Participant).insert(), new)
    return len(new)


def enrol_participants(session: Session, movement: Movement) -> int:
    """Fix the movement's participants (unit and its block) at launch; returns their number.

    A movement whose spec listed its participants keeps that list (their blocks are refreshed);
    otherwise every active unit but the root(s) of the tree takes part. Idempotent."""
    enrolled = session.exec(select(Participant).where(Participant.movement_id == movement.id)).all()
    if enrolled:
        block_of = _block_of(session, [p.unit_id for p in enrolled])
        for p in enrolled:
            if p.block_id != block_of.get(p.unit_id):
                p.block_id = block_of.get(p.unit_id)
                session.add(p)
        session.flush()
        return len(enrolled)
    unit_ids = list(
        session.exec(
            select(id_col(Unit))
            .where(Unit.active == True, col(Unit.parent_id).is_not(None))  # noqa: E712
            .order_by(col(Unit.id))
        ).all()
    )
    _add_participants(session, movement, unit_ids)
    session.flush()
    return session.exec(
        select(func.count()).select_from(Participant).where(Participant.movement_id == movement.id)
    ).one()
