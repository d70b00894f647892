"""Checking nominations against a rule set: each title's criteria, then the quotas across the
nominations of a unit, a block and the movement.

Order of work (check_all):
1. load every nomination of the movement, the award history of their subjects, the members of
   the collectives nominated and the block of each unit — one query per table;
2. evaluate the criteria title by title in dependency order, so that "CSTĐ tỉnh needs 3 years
   of CSTĐCS" can count this year's CSTĐCS when that nomination itself meets its criteria;
3. fill each quota in the unit's own order of priority (Nomination.priority, 1 first), then —
   for nominations the unit did not rank — in the order they were submitted: the nominations
   past the quota are the ones that exceed it. Only nominations that meet their own criteria
   (or carry a recorded exception for each criterion they fail) and are not returned,
   rejected, withdrawn or revoked count, both towards a quota and as its base.
"""

from collections import defaultdict
from fractions import Fraction

from sqlalchemy import func, or_
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from models import (
    AwardHistory,
    BlockMember,
    Movement,
    Nomination,
    NominationException,
    Participant,
    Person,
    TitleQuota,
)
from models.base import saved_id
from models.org import Block, Unit
from thidua.results import CheckResult, RuleFailure
from thidua.rules.context import BadFact, Evaluation, MissingFact, Nom, World, render
from thidua.rules.ruleset import (
    DEFAULT_RULE_SET,
    ROUNDINGS,
    SCOPES,
    SUBJECTS,
    Quota,
    Rule,
    RuleSet,
    load_rule_set,
)
from thidua.statuses import COUNTED  # what takes a quota place and counts towards a ratio
from thidua.vn import number

UNRANKED = 10**9  # a nomination the unit gave no priority comes after the ranked ones


def rule_set_for(movement: Movement) -> RuleSet:
    return load_rule_set(movement.rule_set or DEFAULT_RULE_SET)


def check_all(session: Session, movement: Movement) -> list[CheckResult]:
    """Every nomination of the movement, with its failed criteria and exceeded quotas."""
    return _check(session, movement, rule_set_for(movement))


def check_nomination(session: Session, nomination: Nomination, rule_set: RuleSet) -> CheckResult:
    """One nomination: its criteria and the quotas on its title. Only the nominations that can
    change its answer are evaluated — those sharing its quotas, the same subject's other titles,
    the members of a collective — so the answer is the one check_all gives, for less work."""
    session.flush()
    movement = session.get_one(Movement, nomination.movement_id)
    for result in _check(session, movement, rule_set, target=nomination.id):
        if result.nomination_id == nomination.id:
            return result
    return CheckResult(saved_id(nomination), [])


def _check(
    session: Session, movement: Movement, rs: RuleSet, target: int | None = None
) -> list[CheckResult]:
    session.flush()  # the bulk reads below go through the connection, past the ORM
    noms = _load_nominations(session, saved_id(movement))
    world = World(rule_set=rs, year=movement.year)
    _load_members(session, movement, world, noms)
    blocks = (
        _blocks(session, saved_id(movement)) if any(q.scope == "block" for q in rs.quotas) else {}
    )
    if target is not None and any(n.id == target for n in noms):
        noms = _relevant(session, movement, rs, world, blocks, noms, target)
    _load_history(session, movement, world, noms, everyone=target is None)
    _link_people(session, movement, world, noms)
    failures: dict[int, list[RuleFailure]] = {n.id: [] for n in noms}
    excepted = _excepted(session, saved_id(movement))
    by_title: dict[str, list[Nom]] = defaultdict(list)
    for n in noms:
        by_title[n.title].append(n)

    for code in rs.order:
        title = rs.titles[code]
        for n in by_title.get(code, []):
            if title.subject not in {"both", n.subject_kind}:
                failures[n.id].append(
                    RuleFailure(
                        f"{code}.doi_tuong",
                        title.basis,
                        f"{title.name} không xét tặng cho {SUBJECTS[n.subject_kind]}",
                        n.id,
                    )
                )
                continue
            ctx = Evaluation(world, n)
            for rule in title.rules:
                failure = _evaluate(rule, ctx)
                if failure:
                    failures[n.id].append(failure)
            waived = excepted.get(n.id, set())
            if n.status in COUNTED and all(f.rule_id in waived for f in failures[n.id]):
                world.eligible.add((n.subject_key, code))
    for code, items in by_title.items():
        if code not in rs.titles:
            for n in items:
                failures[n.id].append(
                    RuleFailure(
                        "danh_hieu",
                        rs.title,
                        f"Danh hiệu '{code}' không có trong bộ quy tắc {rs.name}",
                        n.id,
                    )
                )

    eligible = [n for n in noms if (n.subject_key, n.title) in world.eligible]
    names = _GroupNames(session, saved_id(movement))
    for quota in rs.quotas:
        ranked = any("block_rank" in r.test.calls for r in rs.titles[quota.title].rules) and any(
            n.title == quota.title for n in eligible
        )
        if ranked and world.ranks is None:
            world.ranks = world.load_ranks()
        ranks = world.ranks if ranked else None
        for n, reason in _quota(quota, rs, eligible, blocks, names, ranks):
            failures[n.id].append(RuleFailure(quota.id, quota.basis, reason, n.id))
    for n, rid, reason in _movement_quotas(session, movement, rs, eligible):
        failures[n.id].append(RuleFailure(rid, "Chỉ tiêu thi đua của phong trào", reason, n.id))
    return [CheckResult(n.id, failures[n.id]) for n in noms]


def _evaluate(rule: Rule, ctx: Evaluation) -> RuleFailure | None:
    nid = ctx.nom.id
    try:
        if rule.test.run(ctx):
            return None
    except MissingFact as e:
        return RuleFailure(
            rule.id, rule.basis, f"Hồ sơ thiếu dữ kiện «{e.spec.label}» ({e.spec.key})", nid
        )
    except BadFact as e:
        return RuleFailure(
            rule.id,
            rule.basis,
            f"Dữ kiện «{e.spec.label}» ({e.spec.key}) không hợp lệ: {e.reason}",
            nid,
        )
    except (TypeError, ValueError, ZeroDivisionError) as e:
        return RuleFailure(rule.id, rule.basis, f"Không xét được tiêu chuẩn: {e}", nid)
    return RuleFailure(rule.id, rule.basis, render(rule.message, ctx), nid)


# -- loading ---------------------------------------------------------------------------------


def _load_nominations(session: Session, movement_id: int) -> list[Nom]:
    n = Nomination
    columns = (
        n.id, n.unit_id, n.subject_kind, n.person_id, n.collective_unit_id, n.subject_key,
        n.title, n.facts, n.status, n.submitted_at, n.priority,
    )  # fmt: skip
    # SQLAlchemy's select: SQLModel's is typed for up to four columns
    query = sa_select(*map(col, columns)).where(col(n.movement_id) == movement_id)
    rows = session.connection().execute(query).all()
    out = []
    for r in rows:
        facts = r[7] if isinstance(r[7], dict) else {}  # a malformed value reads as no facts
        order = (UNRANKED if r[10] is None else r[10], r[9], r[0])
        out.append(Nom(r[0], r[1], r[2], r[3], r[4], r[5], r[6], facts, r[8], order))
    return out


def _excepted(session: Session, movement_id: int) -> dict[int, set[str]]:
    """nomination → the criteria the office excepted (thidua.exceptions): a nomination whose
    every failure is excepted counts as meeting its title, e.g. towards a collective's ratio."""
    out: dict[int, set[str]] = {}
    for nid, rid in session.execute(
        select(NominationException.nomination_id, NominationException.rule_id)
        .join(Nomination, col(Nomination.id) == col(NominationException.nomination_id))
        .where(Nomination.movement_id == movement_id)
    ):
        out.setdefault(nid, set()).add(rid)
    return out


def _load_members(session: Session, movement: Movement, world: World, noms: list[Nom]) -> None:
    """The people of every collective nominated, and its headcount."""
    if not any(n.collective_unit_id for n in noms):
        return
    units = select(Nomination.collective_unit_id).where(
        Nomination.movement_id == movement.id, col(Nomination.collective_unit_id).is_not(None)
    )
    for pid, unit_id in session.execute(
        select(Person.id, Person.unit_id).where(Person.active, col(Person.unit_id).in_(units))
    ):
        world.unit_members.setdefault(unit_id, []).append(f"person:{pid}")
    for uid, headcount in session.execute(
        select(Unit.id, Unit.headcount).where(col(Unit.id).in_(units))
    ):
        if headcount:
            world.unit_headcount[uid] = headcount


def _load_history(
    session: Session, movement: Movement, world: World, noms: list[Nom], *, everyone: bool
) -> None:
    """The history of the nominees, and this year's titles of anyone (members of collectives)."""
    h = AwardHistory
    columns = select(h.subject_key, h.year, h.title)
    if everyone:
        subjects = select(Nomination.subject_key).where(Nomination.movement_id == movement.id)
        queries = [
            columns.where(or_(col(h.subject_key).in_(subjects), col(h.year) == movement.year))
        ]
    else:
        keys = sorted({n.subject_key for n in noms})
        queries = [columns.where(h.year == movement.year)] + [
            columns.where(col(h.subject_key).in_(keys[i : i + 5000]), h.year != movement.year)
            for i in range(0, len(keys), 5000)  # stay under SQLite's bound-parameter limit
        ]
    history = world.history
    for query in queries:
        for key, year, title in session.connection().execute(query).all():
            history.setdefault(key, {}).setdefault(year, set()).add(title)


def _link_people(session: Session, movement: Movement, world: World, noms: list[Nom]) -> None:
    member_unit = {k: u for u, keys in world.unit_members.items() for k in keys}
    for n in noms:
        if n.subject_kind == "individual" and n.status in COUNTED:
            world.person_facts.setdefault(n.subject_key, []).append(n.facts)
            if n.subject_key in member_unit:
                world.nominated_units.add(member_unit[n.subject_key])

    def load_ranks() -> dict[int, int]:
        from thidua.scoring import block_rankings

        return {r.unit_id: r.rank for b in block_rankings(session, movement) for r in b.ranks}

    world.load_ranks = load_ranks


def _relevant(
    session: Session,
    movement: Movement,
    rs: RuleSet,
    world: World,
    blocks: dict[int, int],
    noms: list[Nom],
    target: int,
) -> list[Nom]:
    """The nominations whose outcome can change the target's: those counted with it or as the
    base of a quota on its title, then — until nothing is added — the same subject's other
    titles and the individual nominations of a collective's members."""
    by_id = {n.id: n for n in noms}
    t = by_id[target]
    by_subject: dict[str, list[Nom]] = defaultdict(list)
    for n in noms:
        by_subject[n.subject_key].append(n)
    keep = {t.id}
    for q in rs.quotas:
        if q.title != t.title:
            continue
        titles = {q.title, q.of} - {None}

        def group(n: Nom, q: Quota = q):
            if q.scope == "unit":
                return n.unit_id
            return blocks.get(n.subject_unit) if q.scope == "block" else 0

        g = group(t)
        keep |= {n.id for n in noms if n.title in titles and group(n) == g}
    if session.execute(
        select(TitleQuota.id).where(
            TitleQuota.movement_id == movement.id,
            TitleQuota.title == t.title,
            col(TitleQuota.maximum).is_not(None),
        )
    ).first():
        keep |= {n.id for n in noms if n.title == t.title}
    frontier = list(keep)
    while frontier:
        n = by_id[frontier.pop()]
        more = list(by_subject[n.subject_key])
        if n.subject_kind == "collective":
            for key in world.unit_members.get(n.collective_unit_id or n.unit_id, []):
                more += by_subject.get(key, [])
        for m in more:
            if m.id not in keep:
                keep.add(m.id)
                frontier.append(m.id)
    return [n for n in noms if n.id in keep]


def _blocks(session: Session, movement_id: int) -> dict[int, int]:
    """unit → block: the participant's block for this movement, else the standing membership."""
    out = dict(session.execute(select(BlockMember.unit_id, BlockMember.block_id)).all())
    for unit_id, block_id in session.execute(
        select(Participant.unit_id, Participant.block_id).where(
            Participant.movement_id == movement_id, col(Participant.block_id).is_not(None)
        )
    ):
        out[unit_id] = block_id
    return out


# -- quotas ----------------------------------------------------------------------------------


class _GroupNames:
    """ "đơn vị Phòng Kế hoạch", "khối thi đua Khối 1": how a quota's message names its group.
    Read only when some quota is exceeded, one query per scope."""

    def __init__(self, session: Session, movement_id: int) -> None:
        self.session, self.movement_id = session, movement_id
        self.names: dict[str, dict[int, str]] = {}

    def get(self, scope: str, group: int) -> str:
        if scope == "movement":
            return "phong trào"
        if scope not in self.names:
            if scope == "unit":
                proposing = select(Nomination.unit_id).where(
                    Nomination.movement_id == self.movement_id
                )
                query = select(Unit.id, "đơn vị " + Unit.name).where(col(Unit.id).in_(proposing))
            else:
                query = select(Block.id, "khối thi đua " + Block.name)
            self.names[scope] = dict(self.session.execute(query).all())
        return self.names[scope].get(group, SCOPES[scope])


def _quota(
    quota: Quota,
    rs: RuleSet,
    eligible: list[Nom],
    blocks: dict[int, int],
    names: "_GroupNames",
    ranks: dict[int, int] | None = None,
):
    """The nominations past the quota, in the order the quota is filled: by the unit's priority,
    then by submission; for a title given by block rank (the flag), by rank first — and a tie
    for the last place is left to the council rather than settled by who submitted first."""

    def group(n: Nom) -> int | None:
        if quota.scope == "unit":
            return n.unit_id
        if quota.scope == "block":
            return blocks.get(n.subject_unit)
        return 0

    taken: dict[int, list[Nom]] = defaultdict(list)
    base: dict[int, int] = defaultdict(int)
    for n in eligible:
        g = group(n)
        if g is None:
            continue
        if n.title == quota.title:
            taken[g].append(n)
        if quota.of and n.title == quota.of:
            base[g] += 1
    name = rs.title_name(quota.title)

    def rank(n: Nom) -> int:  # 0 for all when the title is not given by block rank
        return 0 if ranks is None else ranks.get(n.subject_unit) or 10**9

    for g, items in taken.items():
        allowed = quota.allowed(base[g])
        if len(items) <= allowed:
            continue
        if quota.max_ratio is not None:
            how = (
                f"{_pct(quota.max_ratio)} của {base[g]} {rs.title_name(quota.of or '')}, "
                f"{ROUNDINGS[quota.rounding]}"
            )
        else:
            how = "theo bộ quy tắc"
        items.sort(key=lambda n: (rank(n), n.order))
        tied: list[Nom] = []
        if (
            ranks is not None
            and 0 < allowed < len(items)
            and rank(items[allowed - 1]) == rank(items[allowed])
        ):
            tied = [n for n in items if rank(n) == rank(items[allowed])]
        where = names.get(quota.scope, g)
        for n in tied:
            left = allowed - sum(1 for o in items if rank(o) < rank(n))
            yield (
                n,
                (
                    f"Đồng hạng {rank(n)} với {len(tied) - 1} tập thể khác của {where}: còn {left} "
                    f"{name} cho {len(tied)} tập thể — đề nghị Hội đồng xem xét, quyết định"
                ),
            )
        tied_ids = {n.id for n in tied}
        for i, n in enumerate(items[allowed:], start=allowed + 1):
            if n.id in tied_ids:
                continue
            yield (
                n,
                (
                    f"Vượt chỉ tiêu {name} của {where}: được tối đa {allowed} ({how}), "
                    f"đã đề nghị {len(items)}; hồ sơ này đứng thứ {i}"
                    + (" theo thứ hạng trong khối" if ranks is not None else _by(items))
                ),
            )


def _by(items: list[Nom]) -> str:
    ranked = any(n.order[0] != UNRANKED for n in items)
    return " theo thứ tự ưu tiên của đơn vị" if ranked else " theo thứ tự gửi"


def _pct(ratio: Fraction) -> str:
    value = ratio * 100
    text = number(value.numerator / value.denominator, 0 if value.denominator == 1 else 2)
    return f"{text}%"


def _movement_quotas(session: Session, movement: Movement, rs: RuleSet, eligible: list[Nom]):
    """The movement's own emulation targets (TitleQuota rows) that set a maximum."""
    quotas = [
        q
        for q in session.execute(
            select(TitleQuota).where(TitleQuota.movement_id == movement.id)
        ).scalars()
        if q.maximum is not None and q.title in rs.titles
    ]
    if not quotas:
        return
    units = select(Participant.unit_id).where(Participant.movement_id == movement.id)
    n_units = session.execute(select(func.count()).select_from(units.subquery())).scalar_one()
    n_people = None
    for q in quotas:
        items = sorted(
            (n for n in eligible if n.title == q.title and n.subject_kind == q.subject),
            key=lambda n: n.order,
        )
        if q.kind == "percent":
            if q.subject == "individual" and n_people is None:
                n_people = (
                    session.execute(
                        select(func.coalesce(func.sum(Unit.headcount), 0)).where(
                            col(Unit.id).in_(units)
                        )
                    ).scalar_one()
                    or session.execute(
                        select(func.count(col(Person.id))).where(
                            Person.active, col(Person.unit_id).in_(units)
                        )
                    ).scalar_one()
                )
            base = n_people if q.subject == "individual" else n_units
            if not base:
                continue  # no participants enrolled: the percentage has nothing to apply to
            ratio = Fraction(str(q.maximum)) / 100
            allowed = (ratio * base).numerator // (ratio * base).denominator
            how = f"{_pct(ratio)} của {base} {SUBJECTS[q.subject]}, làm tròn xuống"
        else:
            allowed = int(q.maximum)
            how = q.text
        for i, n in enumerate(items[allowed:], start=allowed + 1):
            yield (
                n,
                f"chi_tieu.{q.seq}",
                (
                    f"Vượt chỉ tiêu thi đua của phong trào «{q.text}»: tối đa {allowed} "
                    f"{rs.title_name(q.title)} ({how}), đã đề nghị {len(items)}; "
                    f"hồ sơ này đứng thứ {i}{_by(items)}"
                ),
            )
