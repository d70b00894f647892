"""A rule set: the titles and awards an agency gives in a year, their criteria, quotas and
council thresholds, read from a YAML file under rules/ (see rules/README.md).

Loading checks everything before anything is used: unknown fields, unknown titles, bad
expressions and bad values are all reported at once, each with file, line and field, in
Vietnamese."""

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from thidua import safeyaml
from thidua.errors import InvalidInput, Problem, Problems
from thidua.filecache import read_once
from thidua.inforce import ALWAYS, InForce
from thidua.rules.expr import Compiled, ExprError, Vocabulary, compile_expr
from thidua.settings import PROJECT_ROOT, get_settings
from thidua.spec_schema import TITLES as SPEC_TITLES
from thidua.vn import nfc

# Title codes the movement spec uses (one list for the whole product, in thidua.spec_schema).
KNOWN_TITLES: dict[str, str] = {code: name for code, (name, _) in SPEC_TITLES.items()}
TITLE_SUBJECTS: dict[str, frozenset[str]] = {code: who for code, (_, who) in SPEC_TITLES.items()}
RATING_TITLES = {"HTTNV", "HTXSNV"}  # task ratings, kept in the award history like titles
SUBJECTS = {"individual": "cá nhân", "collective": "tập thể", "both": "cá nhân và tập thể"}
FACT_TYPES = {"enum", "number", "integer", "boolean", "text", "initiatives", "counts"}
DECIDERS = {"agency": "thủ trưởng cơ quan quyết định", "province": "trình cấp tỉnh quyết định"}
# What the law calls a title: a danh hiệu thi đua, or a hình thức khen thưởng (Luật TĐKT 2022,
# Điều 7 and Điều 8). Reward money treats the two differently (Nghị định 152/2025/NĐ-CP, Điều 49).
KINDS = {"danh_hieu": "danh hiệu thi đua", "khen_thuong": "hình thức khen thưởng"}
AWARD_FORMS = {"GIAY_KHEN", "BANG_KHEN_TINH"}  # the hình thức khen thưởng among KNOWN_TITLES
SCOPES = {"unit": "đơn vị", "block": "khối thi đua", "movement": "phong trào"}
# Whose share a vote percentage is: every member of the council (the law's count), or the
# members left once those recused from the nomination are taken out.
DENOMINATORS = {
    "members": "tổng số thành viên Hội đồng",
    "entitled": "số thành viên Hội đồng được biểu quyết (trừ thành viên không tham gia biểu quyết)",
}
ROUNDINGS = {"floor": "làm tròn xuống", "half_up": "làm tròn (từ 0,5 lên)", "ceil": "làm tròn lên"}
DEFAULT_RULE_SET = "nd152-2025"
# The shipped templates, one per period of law: a movement naming no rule set takes the one in
# force on its decision's day (thidua/inforce.py), else DEFAULT_RULE_SET.
TEMPLATES = ("nd91-2017", "nd98-2023", "nd152-2025")
_RATIO = re.compile(r"^\s*(>=|>)?\s*(\d+(?:[.,]\d+)?)\s*(%|/\s*(\d+))?\s*$")
_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")


@dataclass(frozen=True)
class Threshold:
    """ "≥ 90%", "> 50%", "≥ 2/3" of some count."""

    ratio: Fraction
    strict: bool  # ">" rather than "≥"
    text: str

    def met(self, part: int, whole: int) -> bool:
        if whole <= 0:
            return False
        return (
            Fraction(part, whole) > self.ratio
            if self.strict
            else (Fraction(part, whole) >= self.ratio)
        )

    def minimum(self, whole: int) -> int:
        """The smallest count that meets it out of `whole`."""
        n = self.ratio * whole
        base = int(n) if n.denominator == 1 else int(n) + 1
        return base + 1 if self.strict and n.denominator == 1 else base

    @property
    def percent(self) -> Decimal:
        return (Decimal(self.ratio.numerator) * 100 / Decimal(self.ratio.denominator)).quantize(
            Decimal("0.01")
        )


@dataclass(frozen=True)
class FactSpec:
    key: str
    label: str
    type: str
    values: dict[str, str] = field(default_factory=dict)  # enum: code → label, in order
    default: Any = None
    has_default: bool = False
    minimum: float | None = None
    maximum: float | None = None
    subject: str = "both"


@dataclass(frozen=True)
class Message:
    """A Vietnamese message with {expression} placeholders."""

    parts: tuple[str | Compiled, ...]


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    test: Compiled
    message: Message
    basis: str
    where: str
    alternatives: tuple[str, ...] = ()  # "đạt một trong các tiêu chuẩn": the alternatives' names
    unverified: str | None = None  # the source relied on where the legal text was not read
    quy_che: bool = False  # the agency's own rule (quy chế), not the law's


@dataclass(frozen=True)
class Reward:
    """Reward money as multiples of the base salary (mức lương cơ sở)."""

    individual: Decimal | None
    collective: Decimal | None
    basis: str
    unverified: str | None = None

    def multiple(self, subject_kind: str) -> Decimal | None:
        return self.collective if subject_kind == "collective" else self.individual


@dataclass(frozen=True)
class Title:
    code: str
    name: str
    subject: str
    basis: str
    rules: tuple[Rule, ...]
    reward: Reward | None
    vote_threshold: Threshold
    depends_on: frozenset[str]
    decided_by: str = "agency"  # agency: the head decides | province: proposed upward
    kind: str = "danh_hieu"  # danh_hieu | khen_thuong (KINDS)
    disabled: tuple[Rule, ...] = ()  # criteria written down but switched off (enabled: false)

    @property
    def reward_multiple(self) -> Decimal | None:
        """The multiple for an individual (for a collective-only title, the collective's)."""
        if self.reward is None:
            return None
        return (
            self.reward.individual
            if self.reward.individual is not None
            else (self.reward.collective)
        )


@dataclass(frozen=True)
class Quota:
    id: str
    title: str
    scope: str  # unit | block | movement
    max_count: int | None
    max_ratio: Fraction | None
    of: str | None  # base: nominations of this title in the scope (that meet its criteria)
    rounding: str
    min_allowed: int
    basis: str
    where: str
    unverified: str | None = None
    quy_che: bool = False

    def allowed(self, base: int) -> int:
        if self.max_count is not None:
            return self.max_count
        assert self.max_ratio is not None
        n = self.max_ratio * base
        if self.rounding == "floor":
            value = n.numerator // n.denominator
        elif self.rounding == "ceil":
            value = -((-n.numerator) // n.denominator)
        else:
            value = int(n + Fraction(1, 2))
        return max(value, self.min_allowed if base > 0 else 0)


@dataclass(frozen=True)
class RuleSet:
    name: str
    title: str
    version: str
    year: int
    agency: str
    legal_basis: tuple[str, ...]
    facts: dict[str, FactSpec]
    titles: dict[str, Title]
    order: tuple[str, ...]  # titles in dependency order (meets/consecutive_years/member_*)
    quotas: tuple[Quota, ...]
    quorum: Threshold  # of the council's members present at the sitting
    blank_is_valid: bool
    flags_per_block: int
    path: Path
    denominator: str = "members"  # see DENOMINATORS
    quorum_basis: str = ""
    vote_basis: str = ""  # the legal basis of the titles' vote thresholds
    denominator_basis: str = ""
    disabled_quotas: tuple[Quota, ...] = ()  # written down but switched off (enabled: false)
    in_force: InForce = ALWAYS  # when these are the law (thidua/inforce.py)
    # the articles a zero-money line cites (thidua/rewards.py): one danh hiệu per period, one
    # hình thức per achievement
    highest_title_basis: str = ""
    highest_form_basis: str = ""

    @property
    def disciplines(self) -> list[str]:
        return list(self.facts["discipline"].values) if "discipline" in self.facts else []

    def title_name(self, code: str) -> str:
        t = self.titles.get(code)
        return t.name if t else KNOWN_TITLES.get(code, code)


def rules_dir() -> Path:
    return get_settings().rules_dir or PROJECT_ROOT / "rules"


def resolve(name_or_path: str | Path) -> Path:
    """A rule set by name ("nd152-2025", looked up in the rules folder) or by path."""
    p = Path(name_or_path)
    if p.is_file():
        return p
    if p.suffix in {".yaml", ".yml"}:
        return p if p.is_absolute() or len(p.parts) > 1 else rules_dir() / p
    return rules_dir() / f"{name_or_path}.yaml"


def load_rule_set(name_or_path: str | Path) -> RuleSet:
    """The checked rule set; kept in memory until its file changes (size or modification)."""
    path = resolve(name_or_path)
    if not path.is_file():
        raise InvalidInput(
            f"Không tìm thấy bộ quy tắc '{name_or_path}' (thư mục quy tắc: {rules_dir()})"
        )
    return read_once(path, _load)


def _load(path: Path) -> RuleSet:
    yaml = YAML(typ="rt")
    try:
        text = safeyaml.checked(path.read_text("utf-8"), path.name, "Bộ quy tắc không đọc được")
        data = yaml.load(text)
    except UnicodeDecodeError:
        raise InvalidInput(
            f"Bộ quy tắc {path.name} không đọc được",
            [Problem("tệp", "không phải văn bản UTF-8 (hãy lưu lại với mã UTF-8)", path.name)],
        ) from None
    except YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"{path.name}:{mark.line + 1}" if mark else path.name
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise InvalidInput(
            f"Bộ quy tắc {path.name} không đọc được",
            [Problem("YAML", f"sai cú pháp YAML ({problem})", where)],
        ) from None
    from thidua.rules.loader import build

    problems = Problems()
    rule_set = build(data, path, problems)
    problems.raise_if_any(f"Bộ quy tắc {path.name} không hợp lệ")
    assert rule_set is not None
    return rule_set


def default_rule_set(day: date | None) -> str:
    """The shipped template in force on `day` (DEFAULT_RULE_SET when none is, or no day)."""
    if day is None:
        return DEFAULT_RULE_SET
    for name in TEMPLATES:
        path = rules_dir() / f"{name}.yaml"
        if path.is_file() and load_rule_set(path).in_force.covers(day):
            return name
    return DEFAULT_RULE_SET


def in_force_on(day: date) -> list[str]:
    """The rule sets of the rules folder (by file name) that say they are in force on `day`;
    unreadable ones are left out (`thidua rules check` names their faults)."""
    from thidua.rewards import BASE_SALARY_FILE

    out = []
    for path in sorted(rules_dir().glob("*.yaml")):
        if path.name == BASE_SALARY_FILE:
            continue
        try:
            rs = load_rule_set(path)
        except InvalidInput:
            continue
        if rs.in_force != ALWAYS and rs.in_force.covers(day):
            out.append(path.stem)
    return out


def parse_threshold(text: Any) -> Threshold:
    """ ">= 90%", "> 50%", "2/3", "≥ 2/3" (≥ when no sign is written)."""
    raw = nfc(str(text)).replace("≥", ">=")
    m = _RATIO.match(raw)
    if not m:
        raise ValueError(f'\'{text}\' không phải là ngưỡng (ví dụ: ">= 90%", "> 50%", "2/3")')
    sign, number, suffix, den = m.groups()
    value = Fraction(number.replace(",", "."))
    if suffix == "%":
        ratio = value / 100
    elif den:
        if int(den) == 0:
            raise ValueError(f"'{text}': mẫu số bằng 0")
        ratio = value / int(den)
    else:
        ratio = value
    if not 0 <= ratio <= 1:
        raise ValueError(f"'{text}': ngưỡng phải trong khoảng 0 đến 100%")
    return Threshold(ratio, sign == ">", raw.strip())


def compile_message(text: str, vocab: Vocabulary) -> Message:
    parts: list[str | Compiled] = []
    pos = 0
    for m in _PLACEHOLDER.finditer(text):
        parts.append(text[pos : m.start()])
        try:
            parts.append(compile_expr(m.group(1), vocab))
        except ExprError as e:
            raise ExprError(f"chỗ {{{m.group(1)}}}: {e}") from None
        pos = m.end()
    parts.append(text[pos:])
    return Message(tuple(p for p in parts if p != ""))
