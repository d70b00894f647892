"""What a criterion sees when it is evaluated for one nomination: its facts, the award
history, the other nominations of the movement and the block rankings.

Everything here is read from memory (thidua.rules.engine loads it with one query per table),
so checking thousands of nominations makes no query per nomination."""

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from thidua.rules.ruleset import RATING_TITLES, FactSpec, Message, RuleSet
from thidua.vn import number, parse_number, percent


class MissingFact(Exception):
    def __init__(self, spec: FactSpec) -> None:
        super().__init__(spec.key)
        self.spec = spec


class BadFact(Exception):
    def __init__(self, spec: FactSpec, reason: str) -> None:
        super().__init__(spec.key)
        self.spec = spec
        self.reason = reason


@dataclass
class Nom:
    """A nomination as the engine needs it (read as plain columns, not ORM objects)."""

    id: int
    unit_id: int
    subject_kind: str
    person_id: int | None
    collective_unit_id: int | None
    subject_key: str
    title: str
    facts: dict
    status: str
    order: tuple  # (unit's priority, submitted_at, id): the order quotas are filled in

    @property
    def subject_unit(self) -> int:
        """The unit whose block this nomination competes in (a collective's own unit, which
        dossiers.nominate requires)."""
        if self.subject_kind == "collective" and self.collective_unit_id is not None:
            return self.collective_unit_id
        return self.unit_id


@dataclass
class World:
    """Everything the criteria of one movement may look at."""

    rule_set: RuleSet
    year: int
    history: dict[str, dict[int, set[str]]] = field(default_factory=dict)
    eligible: set[tuple[str, str]] = field(default_factory=set)  # (subject_key, title) this year
    unit_members: dict[int, list[str]] = field(default_factory=dict)  # unit → person keys
    unit_headcount: dict[int, int] = field(default_factory=dict)
    person_facts: dict[str, list[dict]] = field(default_factory=dict)  # facts of their nominations
    nominated_units: set[int] = field(default_factory=set)  # units with members nominated
    ranks: dict[int, int] | None = None  # unit → rank in its block, loaded when a rule asks
    load_ranks: Any = None


class Evaluation:
    """The `ctx` an expression runs against, for one nomination."""

    def __init__(self, world: World, nom: Nom) -> None:
        self.world = world
        self.rs = world.rule_set
        self.nom = nom
        self._cache: dict[str, Any] = {}
        self._meets: dict[str, bool] = {}

    # -- names ------------------------------------------------------------------------------
    def builtin(self, name: str) -> Any:
        return self.world.year if name == "year" else self.nom.subject_kind

    def fact(self, key: str) -> Any:
        if key in self._cache:
            return self._cache[key]
        spec = self.rs.facts[key]
        raw = self.nom.facts.get(key)
        if raw is None or raw == "":
            if not spec.has_default:
                raise MissingFact(spec)
            raw = spec.default
        value = _coerce(spec, raw)
        self._cache[key] = value
        return value

    def optional(self, key: str, fallback: Any = None) -> Any:
        if key not in self.rs.facts:
            return fallback
        try:
            return self.fact(key)
        except MissingFact:
            return fallback

    # -- functions --------------------------------------------------------------------------
    def call(self, name: str, args: tuple) -> Any:
        return getattr(self, f"f_{name}")(*args)

    def _years(self, title: str) -> set[int]:
        key = self.nom.subject_key
        years = {y for y, ts in self.world.history.get(key, {}).items() if title in ts}
        rated = title in RATING_TITLES and self.optional("task_rating") == title
        if rated or (key, title) in self.world.eligible:
            years.add(self.world.year)
        return years

    def f_streak_years(self, title: str) -> list[int]:
        years = self._years(title)
        y = self.world.year if self.world.year in years else self.world.year - 1
        streak = []
        while y in years:
            streak.append(y)
            y -= 1
        return sorted(streak)

    def f_consecutive_years(self, title: str) -> int:
        return len(self.f_streak_years(title))

    def f_years_with(self, title: str) -> list[int]:
        return sorted(self._years(title))

    def f_times_in_last(self, title: str, n: int) -> int:
        return sum(1 for y in self._years(title) if self.world.year - n < y <= self.world.year)

    def f_meets(self, title: str) -> bool:
        if title not in self._meets:
            t = self.rs.titles.get(title)
            ok = t is not None and t.subject in {"both", self.nom.subject_kind}
            if ok:
                assert t is not None
                ok = all(_safe_test(r.test.run, self) for r in t.rules)
            self._meets[title] = ok
        return self._meets[title]

    def f_why(self, title: str) -> str:
        """Why the subject does not meet another title's criteria (its failed messages)."""
        t = self.rs.titles.get(title)
        if t is None:
            return ""
        return "; ".join(
            render(r.message, self) for r in t.rules if not _safe_test(r.test.run, self)
        )

    def f_initiatives(self, level: str) -> int:
        counts = self.fact("initiatives")
        levels = list(self.rs.facts["initiatives"].values)
        i = levels.index(level)
        return sum(n for lv, n in counts.items() if lv in levels and levels.index(lv) >= i)

    def _rank(self, key: str, level: str) -> bool:
        levels = self.rs.disciplines
        return levels.index(key) >= levels.index(level) if key in levels else False

    def f_discipline_at_least(self, level: str) -> bool:
        return self._rank(self.fact("discipline"), level)

    # Collective functions: members from the database where the unit nominates its people
    # through the system, else from the facts the unit declared.
    def _unit(self) -> int:
        return self.nom.collective_unit_id or self.nom.unit_id

    def _from_db(self) -> bool:
        return self._unit() in self.world.nominated_units

    def f_members(self) -> int:
        declared = self.optional("members")
        if declared:
            return int(declared)
        unit = self._unit()
        n = self.world.unit_headcount.get(unit) or len(self.world.unit_members.get(unit, []))
        if not n:
            if "members" in self.rs.facts:
                raise MissingFact(self.rs.facts["members"])
            raise ZeroDivisionError("không có số thành viên")
        return n

    def f_member_count(self, title: str) -> int:
        if self._from_db():
            year, n = self.world.year, 0
            for key in self.world.unit_members.get(self._unit(), []):
                if (
                    (key, title) in self.world.eligible
                    or title in self.world.history.get(key, {}).get(year, ())
                    or (
                        title in RATING_TITLES
                        and any(
                            f.get("task_rating") == title
                            for f in self.world.person_facts.get(key, [])
                        )
                    )
                ):
                    n += 1
            return n
        return int((self.optional("member_counts") or {}).get(title, 0))

    def f_member_ratio(self, title: str) -> float:
        return self.f_member_count(title) / self.f_members()

    def f_members_disciplined(self, level: str) -> int:
        declared = sum(
            n
            for lv, n in (self.optional("member_discipline") or {}).items()
            if self._rank(lv, level)
        )
        found = 0
        for key in self.world.unit_members.get(self._unit(), []):
            if any(
                self._rank(str(f.get("discipline", "")), level)
                for f in self.world.person_facts.get(key, [])
            ):
                found += 1
        return max(declared, found)

    def f_block_rank(self) -> int:
        if self.world.ranks is None:
            self.world.ranks = self.world.load_ranks() if self.world.load_ranks else {}
        return self.world.ranks.get(self._unit(), 0)

    def f_label(self, code: Any) -> str:
        code = str(code)
        if code in self.rs.titles or code in RATING_TITLES:
            return self.rs.title_name(code)
        for spec in self.rs.facts.values():
            if code in spec.values:
                return spec.values[code]
        return code

    def f_pct(self, value: Any) -> str:
        return percent(Decimal(str(value)) * 100)

    def f_years(self, value: Any) -> str:
        items = list(value) if isinstance(value, list | tuple | set) else [value]
        return ", ".join(str(v) for v in sorted(items)) if items else "không năm nào"

    def f_count(self, value: Any) -> int:
        return len(value)


def _safe_test(run: Any, ctx: Evaluation) -> bool:
    """A criterion of another title: a missing or bad fact propagates, so that the failure
    names it; a value that cannot be computed fails the criterion."""
    try:
        return bool(run(ctx))
    except (TypeError, ValueError, ZeroDivisionError):
        return False


def _coerce(spec: FactSpec, raw: Any) -> Any:
    t = spec.type
    try:
        if t == "enum":
            text = str(raw).strip()
            if text not in spec.values:
                raise BadFact(spec, f"'{raw}' không thuộc: {', '.join(spec.values)}")
            return text
        if t in {"number", "integer"}:
            if isinstance(raw, bool):
                raise BadFact(spec, f"'{raw}' không phải là số")
            value = raw if isinstance(raw, int | float) else float(parse_number(str(raw)))
            if t == "integer" and value != int(value):
                raise BadFact(spec, f"'{raw}' không phải là số nguyên")
            if spec.minimum is not None and value < spec.minimum:
                raise BadFact(spec, f"{raw} nhỏ hơn {number(spec.minimum)}")
            if spec.maximum is not None and value > spec.maximum:
                raise BadFact(spec, f"{raw} lớn hơn {number(spec.maximum)}")
            return value
        if t == "boolean":
            if isinstance(raw, bool):
                return raw
            text = str(raw).strip().lower()
            if text in {"true", "1", "có", "co", "yes"}:
                return True
            if text in {"false", "0", "không", "khong", "no"}:
                return False
            raise BadFact(spec, f"'{raw}' không phải là có/không")
        if t == "initiatives":
            return _initiatives(spec, raw)
        if t == "counts":
            if not isinstance(raw, dict):
                raise BadFact(spec, "phải là bảng mã → số lượng")
            return {str(k): int(v) for k, v in raw.items()}
        return str(raw)
    except (ValueError, TypeError):
        raise BadFact(spec, f"giá trị '{raw}' không đọc được") from None


def _initiatives(spec: FactSpec, raw: Any) -> dict[str, int]:
    """A list of initiatives ({level: …} or a level), a {level: count} table, or a count
    (taken as initiatives at the lowest level)."""
    levels = list(spec.values)
    if isinstance(raw, bool):
        raise BadFact(spec, f"'{raw}' không phải là danh sách sáng kiến")
    if isinstance(raw, int):
        return {levels[0]: raw}
    items: list = []
    out: dict[str, int] = {}
    if isinstance(raw, dict):
        for k, v in raw.items():
            if k not in levels:
                raise BadFact(spec, f"cấp '{k}' không có (có: {', '.join(levels)})")
            out[k] = int(v)
        return out
    if isinstance(raw, list):
        items = raw
    else:
        raise BadFact(spec, f"'{raw}' không phải là danh sách sáng kiến")
    for item in items:
        level = item.get("level") if isinstance(item, dict) else item
        if level not in levels:
            raise BadFact(spec, f"sáng kiến có cấp '{level}' không có (có: {', '.join(levels)})")
        out[level] = out.get(level, 0) + 1
    return out


def render(message: Message, ctx: Evaluation) -> str:
    out = []
    for part in message.parts:
        if isinstance(part, str):
            out.append(part)
            continue
        try:
            value = part.run(ctx)
        except (MissingFact, BadFact, TypeError, ValueError, ZeroDivisionError):
            value = "?"
        if isinstance(value, float) and value == int(value):
            value = int(value)
        if isinstance(value, list):
            value = ", ".join(str(v) for v in value) or "không có"
        elif isinstance(value, int | float) and not isinstance(value, bool):
            value = number(Decimal(str(value)), 0 if value == int(value) else 2)
        out.append(str(value))
    return "".join(out)
