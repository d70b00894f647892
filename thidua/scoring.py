"""Block scoring: units score themselves against their block's criteria table, the block
leader and the council score them too; units are ranked within their block and the leading
unit(s) proposed for the flag (Cờ thi đua).

The score that counts for a unit is its whole sheet from one scorer: the council's if the
council scored it, else the block leader's, else the unit's own.
"""

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import icu
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from models import (
    Block,
    BlockMember,
    CriteriaTable,
    Criterion,
    Movement,
    Participant,
    Score,
    Unit,
)
from models.base import id_col, saved_id, utcnow
from thidua.errors import InvalidInput, NotFound, Problems, ThiduaError
from thidua.lifecycle import State, audit, require_state
from thidua.results import BlockRanking, UnitRank
from thidua.vn import nfc, number

SCORER_KINDS = {"self": "tự chấm", "leader": "khối trưởng chấm", "council": "Hội đồng chấm"}
SCORE_SOURCES = {  # as the final report's Ghi chú says it
    "self": "Điểm tự chấm",
    "leader": "Điểm do khối trưởng chấm",
    "council": "Điểm do Hội đồng chấm",
}
PRECEDENCE = ("council", "leader", "self")
TIE_RULE = (
    "Xếp hạng theo tổng điểm (điểm của Hội đồng nếu có, nếu không là điểm của khối trưởng, "
    "nếu không là điểm tự chấm); bằng tổng điểm thì đơn vị có nhiều tiêu chí đạt điểm tối đa "
    "hơn xếp trên; vẫn bằng nhau thì đồng hạng. Đồng hạng ở vị trí được tặng Cờ thi đua cuối "
    "cùng thì Hội đồng Thi đua - Khen thưởng xem xét, quyết định."
)


# Scores are taken from the first period's start until the final tally ranks the blocks on
# them (the final report prints that ranking: a score given after it would not be in it).
SCORING_STATES = frozenset(
    {
        State.PERIOD1_OPEN,
        State.PERIOD1_CLOSED,
        State.INTERIM_REVIEWED,
        State.PERIOD2_OPEN,
        State.PERIOD2_CLOSED,
    }
)


_COLLATOR = icu.Collator.createInstance(icu.Locale("vi_VN"))


def sort_key(name: str) -> bytes:
    """Vietnamese collation (Â after A, Đ after D), as lists of names are printed."""
    return _COLLATOR.getSortKey(name)


@dataclass(frozen=True)
class UnitRow:
    id: int
    code: str
    name: str


def block_of(session: Session, movement_id: int, unit_id: int) -> int | None:
    """The unit's block in the movement (as enrolled), else its standing block."""
    block = session.execute(
        select(Participant.block_id).where(
            Participant.movement_id == movement_id, Participant.unit_id == unit_id
        )
    ).scalar_one_or_none()
    if block is None:
        block = session.execute(
            select(BlockMember.block_id).where(BlockMember.unit_id == unit_id)
        ).scalar_one_or_none()
    return block


def current_tables(session: Session, movement_id: int) -> dict[int | None, CriteriaTable]:
    """The criteria tables in force, by block (None: the table of every block); replaced
    versions are the record only."""
    return {
        t.block_id: t
        for t in session.execute(
            select(CriteriaTable).where(
                CriteriaTable.movement_id == movement_id, col(CriteriaTable.replaced_at).is_(None)
            )
        ).scalars()
    }


def table_for(
    tables: dict[int | None, CriteriaTable], block_id: int | None
) -> CriteriaTable | None:
    """The block's own table, else the movement's table for every block."""
    return (tables.get(block_id) if block_id is not None else None) or tables.get(None)


def criteria_for(session: Session, movement_id: int, block_id: int | None) -> list[Criterion]:
    """The criteria of the table in force for the block (its own, else every block's)."""
    table = table_for(current_tables(session, movement_id), block_id)
    if table is None:
        return []
    return list(
        session.execute(
            select(Criterion).where(Criterion.table_id == table.id).order_by(col(Criterion.seq))
        ).scalars()
    )


def _checked_points(
    criteria: dict[str, Criterion], points: Mapping[str, Decimal | str], problems: Problems
) -> dict[str, Decimal]:
    """The points by criterion code, each checked against 0 ≤ points ≤ maximum with at most
    two decimals; what is wrong goes into `problems`."""
    values: dict[str, Decimal] = {}
    for code, raw in points.items():
        code = nfc(str(code))
        field = f"tiêu chí {code}"
        crit = criteria.get(code)
        if crit is None:
            problems.add(field, "không có trong bảng tiêu chí của khối")
            continue
        try:
            if not isinstance(raw, Decimal) and not str(raw).isascii():
                raise InvalidOperation  # "١٢" and "²" are digits to Decimal, not points here
            value = raw if isinstance(raw, Decimal) else Decimal(str(raw).replace(",", "."))
        except InvalidOperation:
            problems.add(field, f"'{raw}' không phải là số điểm")
            continue
        # The range first: quantizing a 30-digit number overflows the decimal context.
        if not value.is_finite() or value < 0 or value > crit.max_points:
            shown = number(value, 2) if value.is_finite() and value < 10**12 else str(raw)[:20]
            problems.add(
                field,
                f"điểm {shown} phải từ 0 đến "
                f"{number(crit.max_points, 2)} (điểm tối đa của tiêu chí «{crit.text}»)",
            )
            continue
        if value != value.quantize(Decimal("0.01")):
            problems.add(field, f"điểm {raw} có quá 2 chữ số thập phân")
            continue
        values[code] = value
    return values


def submit_scores(
    session: Session,
    *,
    movement: Movement,
    unit_id: int,
    scorer_kind: str,
    points: Mapping[str, Decimal | str],  # as typed in a form or a sheet, or Decimals
    actor: str,
    evidence: str | dict[str, str] | None = None,
) -> list[Score]:
    """Record (or correct) one scorer's points for a unit, criterion by criterion, while the
    movement takes scores (SCORING_STATES); every point is checked against 0 ≤ points ≤
    maximum before anything is written. The same points again change nothing. Audited in the
    caller's transaction."""
    doing = f"ghi điểm {SCORER_KINDS.get(scorer_kind, '')}".rstrip()
    require_state(session, movement, SCORING_STATES, doing)
    problems = Problems()
    if scorer_kind not in SCORER_KINDS:
        problems.add("scorer_kind", f"'{scorer_kind}' không có (có: {', '.join(SCORER_KINDS)})")
    unit = session.get(Unit, unit_id)
    if unit is None:
        raise NotFound(f"Không có đơn vị số {unit_id}")
    enrolled = set(
        session.execute(
            select(Participant.unit_id).where(Participant.movement_id == movement.id)
        ).scalars()
    )
    if enrolled and unit_id not in enrolled:
        raise InvalidInput(f"Đơn vị {unit.name} không tham gia phong trào {movement.code}")
    block_id = block_of(session, saved_id(movement), unit_id)
    criteria = {c.code: c for c in criteria_for(session, saved_id(movement), block_id)}
    if not criteria:
        raise InvalidInput(
            f"Chưa có bảng tiêu chí chấm điểm cho khối thi đua của đơn vị {unit.name}"
        )
    values = _checked_points(criteria, points, problems)
    if not points:
        problems.add("points", "chưa có điểm tiêu chí nào")
    problems.raise_if_any(f"Điểm chấm của đơn vị {unit.name} chưa được ghi")

    existing = {
        s.criterion_id: s
        for s in session.execute(
            select(Score).where(
                Score.movement_id == movement.id,
                Score.unit_id == unit_id,
                Score.scorer_kind == scorer_kind,
            )
        ).scalars()
    }

    def unchanged(code: str, value: Decimal) -> bool:
        row, note = existing.get(criteria[code].id), _note(evidence, code)
        return (
            row is not None and row.points == value and (note is None or row.evidence == nfc(note))
        )

    if all(unchanged(c, v) for c, v in values.items()):
        return [existing[criteria[c].id] for c in values]  # the same sheet again
    out = _write_sheet(
        session, movement, unit_id, scorer_kind, criteria, values,
        {c: existing[saved_id(criteria[c])] for c in values if saved_id(criteria[c]) in existing},
        actor, evidence,
    )  # fmt: skip
    try:
        session.flush()
    except IntegrityError:  # the same sheet written at the same moment by someone else
        session.rollback()
        raise ThiduaError(
            f"Điểm của đơn vị {unit.name} vừa được người khác ghi cùng lúc; hãy mở lại và gửi lại"
        ) from None
    return out


def submit_scores_many(
    session: Session,
    *,
    movement: Movement,
    scorer_kind: str,
    sheets: dict[int, dict[str, Decimal]],
    actor: str | dict[int, str],
) -> int:
    """Many units' sheets from one kind of scorer at once (a block leader's whole block, an
    import): the same checks as submit_scores for every sheet before anything is written (all
    or nothing), in a few queries for the whole lot. `actor` may differ per unit. Returns the
    number of scores written."""
    doing = f"ghi điểm {SCORER_KINDS.get(scorer_kind, '')}".rstrip()
    require_state(session, movement, SCORING_STATES, doing)
    problems = Problems()
    if scorer_kind not in SCORER_KINDS:
        problems.add("scorer_kind", f"'{scorer_kind}' không có (có: {', '.join(SCORER_KINDS)})")
        problems.raise_if_any("Điểm chấm chưa được ghi")
    ids = sorted(sheets)
    names: dict[int, str] = {}
    for i in range(0, len(ids), 900):  # stay under SQLite's bound-parameter limit
        names.update(
            session.execute(
                select(id_col(Unit), Unit.name).where(col(Unit.id).in_(ids[i : i + 900]))
            ).all()
        )
    enrolled = dict(
        session.execute(
            select(Participant.unit_id, Participant.block_id).where(
                Participant.movement_id == movement.id
            )
        ).all()
    )
    standing = dict(session.execute(select(BlockMember.unit_id, BlockMember.block_id)).all())
    tables = current_tables(session, saved_id(movement))
    by_table: dict[int, dict[str, Criterion]] = defaultdict(dict)
    if tables:
        for c in session.execute(
            select(Criterion).where(col(Criterion.table_id).in_([t.id for t in tables.values()]))
        ).scalars():
            by_table[c.table_id][c.code] = c
    checked: dict[int, tuple[dict[str, Criterion], dict[str, Decimal]]] = {}
    for unit_id in ids:
        if unit_id not in names:
            problems.add("unit_id", f"không có đơn vị số {unit_id}")
            continue
        name = names[unit_id]
        if enrolled and unit_id not in enrolled:
            problems.add(name, f"không tham gia phong trào {movement.code}")
            continue
        table = table_for(tables, enrolled.get(unit_id) or standing.get(unit_id))
        criteria = by_table.get(saved_id(table), {}) if table else {}
        if not criteria:
            problems.add(name, "chưa có bảng tiêu chí chấm điểm cho khối thi đua của đơn vị")
            continue
        mine = Problems()
        values = _checked_points(criteria, sheets[unit_id], mine)
        if not sheets[unit_id]:
            mine.add("points", "chưa có điểm tiêu chí nào")
        for p in mine.items:
            problems.add(f"{name}: {p.field}", p.reason, p.where)
        checked[unit_id] = (criteria, values)
    problems.raise_if_any("Điểm chấm chưa được ghi (không đơn vị nào)")

    existing: dict[tuple[int, int], Score] = {}
    for i in range(0, len(ids), 900):
        for row in session.execute(
            select(Score).where(
                Score.movement_id == movement.id,
                Score.scorer_kind == scorer_kind,
                col(Score.unit_id).in_(ids[i : i + 900]),
            )
        ).scalars():
            existing[(row.unit_id, row.criterion_id)] = row
    written = 0
    for unit_id in ids:
        criteria, values = checked[unit_id]
        who = actor.get(unit_id, "") if isinstance(actor, dict) else actor
        rows = {c: existing[(unit_id, saved_id(criteria[c]))]
                for c in values if (unit_id, saved_id(criteria[c])) in existing}  # fmt: skip
        written += len(
            _write_sheet(session, movement, unit_id, scorer_kind, criteria, values, rows, who)
        )
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise ThiduaError(
            "Điểm chấm vừa được người khác ghi cùng lúc; hãy mở lại và gửi lại"
        ) from None
    return written


def _write_sheet(
    session: Session,
    movement: Movement,
    unit_id: int,
    scorer_kind: str,
    criteria: Mapping[str, Criterion],
    values: Mapping[str, Decimal],
    rows: Mapping[str, Score],
    actor: str,
    evidence: str | dict[str, str] | None = None,
) -> list[Score]:
    """Write one scorer's checked points for a unit over its stored rows (by criterion code),
    and audit the sheet once with the points it replaced."""
    out = []
    before = {}
    for code, value in values.items():
        note = _note(evidence, code)
        row = rows.get(code)
        if row is None:
            row = Score(
                movement_id=saved_id(movement),
                unit_id=unit_id,
                criterion_id=saved_id(criteria[code]),
                scorer_kind=scorer_kind,
                points=value,
                evidence=nfc(note),
                scored_by=actor,
            )
            session.add(row)
        else:
            before[code] = str(row.points)
            row.points, row.scored_by, row.updated_at = value, actor, utcnow()
            if note is not None:
                row.evidence = nfc(note)
        out.append(row)
    audit(
        session,
        actor=actor,
        movement_id=movement.id,
        entity="score",
        entity_id=unit_id,
        action=f"score.{scorer_kind}",
        data={"points": {c: str(v) for c, v in values.items()}, "before": before},
    )
    return out


def _note(evidence: str | dict[str, str] | None, code: str) -> str | None:
    return evidence.get(code) if isinstance(evidence, dict) else evidence


def block_rankings(session: Session, movement: Movement) -> list[BlockRanking]:
    """Each block's units ranked by the score that counts, with the flag proposal."""
    from thidua.rules.engine import rule_set_for

    flags = rule_set_for(movement).flags_per_block
    session.flush()  # scores are read through the connection, past the ORM
    members: dict[int, list[int]] = defaultdict(list)
    participants = (
        session.execute(
            select(Participant.unit_id, Participant.block_id).where(
                Participant.movement_id == movement.id
            )
        )
        .tuples()
        .all()
    )
    standing = dict(session.execute(select(BlockMember.unit_id, BlockMember.block_id)).all())
    pairs: Sequence[tuple[int, int | None]] = participants or [(u, None) for u in standing]
    for unit_id, block_id in pairs:
        block_id = block_id or standing.get(unit_id)
        if block_id is not None:
            members[block_id].append(unit_id)
    if not members:
        return []
    blocks = {
        b.id: b
        for b in session.execute(select(Block).where(col(Block.id).in_(list(members)))).scalars()
    }
    units = {
        uid: UnitRow(uid, code, name)
        for uid, code, name in session.execute(
            select(Unit.id, Unit.code, Unit.name).where(
                col(Unit.id).in_([u for us in members.values() for u in us])
            )
        )
    }
    tables = current_tables(session, saved_id(movement))
    crits: dict[int, list[Criterion]] = defaultdict(list)
    if tables:
        for c in session.execute(
            select(Criterion).where(col(Criterion.table_id).in_([t.id for t in tables.values()]))
        ).scalars():
            crits[c.table_id].append(c)
    # Only scores given against a table in force count; those of a replaced version are record.
    points: dict[tuple[int, str], dict[int, Decimal]] = defaultdict(dict)
    for unit_id, crit_id, scorer, value in session.connection().execute(
        select(Score.unit_id, Score.criterion_id, Score.scorer_kind, col(Score.points))
        .join(Criterion, col(Criterion.id) == col(Score.criterion_id))
        .join(CriteriaTable, col(CriteriaTable.id) == col(Criterion.table_id))
        .where(Score.movement_id == movement.id, col(CriteriaTable.replaced_at).is_(None))
    ):
        points[(unit_id, scorer)][crit_id] = Decimal(value)

    out = []
    for block_id in sorted(members, key=lambda b: blocks[b].code):
        table = table_for(tables, block_id)
        if table is None:  # nothing to score against: no ranking, no flag from one
            names = sorted((units[u].name for u in members[block_id]), key=sort_key)
            out.append(BlockRanking(block_id, blocks[block_id].code, blocks[block_id].name, [],
                                    "", scored=False, members=names))  # fmt: skip
            continue
        criteria = crits.get(saved_id(table), [])
        max_total = sum((c.max_points for c in criteria), Decimal(0))
        rows: list[_Sheet] = []
        for unit_id in members[block_id]:
            kind = next((k for k in PRECEDENCE if (unit_id, k) in points), None)
            sheet = points.get((unit_id, kind), {}) if kind else {}
            total = sum((sheet.get(saved_id(c), Decimal(0)) for c in criteria), Decimal(0))
            full = sum(1 for c in criteria if sheet.get(saved_id(c)) == c.max_points)
            own = points.get((unit_id, "self"), {})
            self_total = sum((own.get(saved_id(c), Decimal(0)) for c in criteria), Decimal(0))
            rows.append((unit_id, kind, total, full, self_total))
        out.append(_rank_block(blocks[block_id], rows, units, max_total, flags))
    return out


# A unit's sheet in its block: (unit id, whose scores count, total, full marks, own total).
_Sheet = tuple[int, str | None, Decimal, int, Decimal]


def _rank_block(
    block: Block, rows: list[_Sheet], units: dict[int, UnitRow], max_total: Decimal, flags: int
) -> BlockRanking:
    rows.sort(key=lambda r: (-r[2], -r[3], units[r[0]].code))
    ranks: list[tuple[int, int, str | None, Decimal, int, Decimal]] = []
    for i, (unit_id, kind, total, full, self_total) in enumerate(rows):
        prev = rows[i - 1] if i else None
        rank = ranks[-1][0] if prev and (prev[2], prev[3]) == (total, full) else i + 1
        ranks.append((rank, unit_id, kind, total, full, self_total))
    # The flags go to the best ranks; a tie across the last flag is left to the council.
    group: dict[int, int] = defaultdict(int)
    for r in ranks:
        if r[2] is not None:
            group[r[0]] += 1
    result = []
    for rank, unit_id, kind, total, _full, self_total in ranks:
        unit = units[unit_id]
        tied = [units[r[1]].name for r in ranks if r[0] == rank and r[1] != unit_id]
        # The note goes into the final report: words an office writes, names not codes (which
        # score counts is said once, in TIE_RULE).
        notes = []
        if kind is None:
            notes.append("Chưa có điểm chấm")
        else:
            notes.append(SCORE_SOURCES[kind])
        if tied:
            notes.append(f"Đồng hạng {rank} với {', '.join(tied)}")
        # rank - 1 units are strictly ahead; the tied group ends at rank - 1 + its size.
        in_reach = kind is not None and rank <= flags
        flag = in_reach and rank - 1 + group[rank] <= flags
        if in_reach and not flag:
            notes.append(
                f"Đồng hạng ở vị trí xét tặng Cờ thi đua ({flags - rank + 1} Cờ cho "
                f"{group[rank]} đơn vị): đề nghị Hội đồng xem xét, quyết định"
            )
        result.append(
            UnitRank(
                unit_id=unit_id,
                unit_code=unit.code,
                unit_name=unit.name,
                total=total,
                self_total=self_total,
                max_total=max_total,
                rank=rank,
                flag=flag,
                note="; ".join(notes),
            )
        )
    return BlockRanking(saved_id(block), block.code, block.name, result, TIE_RULE)
