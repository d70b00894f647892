"""Who decides and who proposes: the issuing agency's authority profile, as data.

A profile (rules/authorities/NAME.yaml, an office may edit it) is one tier of agency under the
texts of one period (`in_force`): which titles its head decides himself (Luật Thi đua, khen
thưởng 2022, Điều 78–80; before 2024 Luật Thi đua, khen thưởng 2003, Điều 78–80), to whom the
rest is proposed and through whom, the laws its decisions cite, who carries a decision out
(Điều 3) and who receives copies. A movement's profile must be in force on the day its decision
is expected (thidua/inforce.py). The movement spec's `issuer.authority` block names the profile
and adds the agency's own data: its name in sentences, its head's title, the text that gives it
its powers and its quy chế thi đua, khen thưởng. `resolve` merges both into the plain dict
stored on the movement (what was in force when it was launched); `authority_of` reads it back.
"""

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from pydantic import ConfigDict, Field, ValidationError, model_validator
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from models import Movement
from thidua import safeyaml, vn
from thidua.errors import InvalidInput, Problem
from thidua.filecache import read_once
from thidua.inforce import InForce, expected_decision_day
from thidua.spec_schema import (
    RATINGS,
    TITLES,
    AuthoritySpec,
    LegalTextSpec,
    Strict,
    Text,
    short,
)

DEFAULT_PROFILE = "so"  # a spec without an authority block: a Sở, as every spec before it
DEFAULT_TIER = "so"  # its tier: the default is the Sở profile in force on the decision day


class UpwardProfile(Strict):
    to: Annotated[str, short(200)]
    through: Annotated[str, Field(max_length=200)] | None = None
    decides: list[Annotated[str, short(60)]] = Field(min_length=1)
    basis: Text


class InForceSpec(Strict):
    """When the profile is the law: the texts it cites are in force (thidua/inforce.py)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
    start: dt.date | None = Field(default=None, alias="from")
    until: dt.date | None = None
    note: Annotated[str, Field(max_length=300)] = ""

    @model_validator(mode="after")
    def _order(self) -> "InForceSpec":
        if self.start and self.until and self.start > self.until:
            raise ValueError("ngày hết hiệu lực (until) trước ngày có hiệu lực (from)")
        return self

    def span(self) -> InForce:
        return InForce(self.start, self.until, " ".join(self.note.split()))


# The tiers of issuing agency; a profile is one tier under the texts of a period.
TIERS = {"so": "Sở", "ubnd-tinh": "Ủy ban nhân dân tỉnh", "ubnd-huyen": "Ủy ban nhân dân huyện",
         "ubnd-xa": "Ủy ban nhân dân xã"}  # fmt: skip


class Profile(Strict):
    name: Text
    tier: Annotated[str, short(20)]  # one of TIERS
    in_force: InForceSpec  # when its căn cứ and its powers are the law
    needs_competence: bool = False  # the agency must cite the text that gives it its powers
    decides: list[Annotated[str, short(60)]] = Field(min_length=1)
    decides_basis: Text
    proposes: UpwardProfile
    bases: list[LegalTextSpec] = Field(min_length=1)
    decision_signer_prefix: Annotated[str, Field(max_length=60)] | None = None
    proposal_signer_prefix: Annotated[str, Field(max_length=60)] | None = None
    proposer: Annotated[str, short(200)]
    council: Annotated[str, short(200)]  # "Hội đồng Thi đua - Khen thưởng {name}"
    executors: list[Annotated[str, short(200)]] = Field(min_length=1)
    decision_copies: list[Annotated[str, short(300)]] = Field(default_factory=list)
    proposal_copies: list[Annotated[str, short(300)]] = Field(default_factory=list)


def profiles_dir() -> Path:
    from thidua.rules.ruleset import rules_dir

    return rules_dir() / "authorities"


def profile_names() -> list[str]:
    return sorted(p.stem for p in profiles_dir().glob("*.yaml"))


def load_profile(name: str) -> Profile:
    """The profile rules/authorities/NAME.yaml, or InvalidInput naming the field at fault."""
    path = profiles_dir() / f"{name}.yaml"
    if not path.is_file():
        raise InvalidInput(f"Không có hồ sơ thẩm quyền '{name}' (có: {', '.join(profile_names())})")
    return read_once(path, _load_profile)  # a spec check reads it twice


def _load_profile(path: Path) -> Profile:
    try:
        text = path.read_text(encoding="utf-8")
        # alias bombs and deep nesting refused before the parser expands them
        text = safeyaml.checked(text, path.name, f"Hồ sơ thẩm quyền {path} không đọc được")
        data = YAML(typ="safe").load(text)
    except (YAMLError, UnicodeDecodeError) as e:
        raise InvalidInput(f"Hồ sơ thẩm quyền {path} không đọc được: {e}") from None
    from thidua.spec_load import field_path, plain, reason_vi

    try:
        profile = Profile.model_validate(plain(data))
    except ValidationError as e:
        raise InvalidInput(
            f"Hồ sơ thẩm quyền {path} có lỗi",
            [Problem(field_path(err["loc"]), reason_vi(err), str(path)) for err in e.errors()],
        ) from None
    unknown = [c for c in [*profile.decides, *profile.proposes.decides] if c not in TITLES]
    problems = [Problem("decides", f"danh hiệu '{c}' không có", str(path)) for c in unknown]
    if profile.tier not in TIERS:
        problems.append(Problem("tier", f"'{profile.tier}' không có (có: {', '.join(TIERS)})",
                                str(path)))  # fmt: skip
    start = profile.in_force.start
    for i, b in enumerate(profile.bases):
        if start is None or b.date > start:  # it cannot be cited before it exists
            problems.append(Problem(f"bases[{i}].date", f"văn bản {b.number} ban hành ngày "
                                    f"{vn.short_date(b.date)}, sau ngày hồ sơ có hiệu lực "
                                    "(in_force.from)", str(path)))  # fmt: skip
    if problems:
        raise InvalidInput(f"Hồ sơ thẩm quyền {path} có lỗi", problems)
    return profile


def load_tier(name: str) -> str | None:
    """The tier of a profile, None when it cannot be read."""
    try:
        return load_profile(name).tier
    except InvalidInput:
        return None


def profiles_in_force(day: dt.date, tier: str) -> list[str]:
    """The profiles of `tier` in force on `day`, by name (unreadable ones left out)."""
    out = []
    for name in profile_names():
        try:
            p = load_profile(name)
        except InvalidInput:
            continue
        if p.tier == tier and p.in_force.span().covers(day):
            out.append(name)
    return out


@dataclass(frozen=True)
class Authority:
    """The resolved authority of one agency (see the module's docstring)."""

    profile: str
    name: str  # in sentences: "của Sở Công Thương"
    head_title: str  # "Giám đốc Sở Công Thương"
    decides: frozenset[str]
    decides_basis: str
    proposes_to: str
    proposes_through: str | None
    upward_decides: frozenset[str]
    upward_basis: str
    bases: tuple[dict, ...]  # {number, date (ISO), issuer, title}, in the order cited
    decision_signer_prefix: str | None
    proposal_signer_prefix: str | None
    proposer: str
    council: str  # "Hội đồng Thi đua - Khen thưởng tỉnh Hà Nam"
    executors: tuple[str, ...]
    decision_copies: tuple[str, ...]
    proposal_copies: tuple[str, ...]

    def decided_here(self, title: str) -> bool:
        return title in self.decides

    def proposed_upward(self, title: str) -> bool:
        return title not in self.decides and title in self.upward_decides

    def as_json(self) -> dict[str, Any]:
        return {
            k: sorted(v) if isinstance(v, frozenset) else list(v) if isinstance(v, tuple) else v
            for k, v in self.__dict__.items()
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Authority":
        kw = dict(data)
        for k in ("decides", "upward_decides"):
            kw[k] = frozenset(kw[k])
        for k in ("bases", "executors", "decision_copies", "proposal_copies"):
            kw[k] = tuple(kw[k])
        return cls(**kw)


# Hierarchy of texts in a căn cứ: the law first, then decrees, circulars, decisions.
_RANK = ("Luật", "Nghị quyết", "Nghị định", "Thông tư", "Quyết định", "Chỉ thị", "Kế hoạch")


def _rank(title: str) -> int:
    return next((i for i, k in enumerate(_RANK) if title.startswith(k)), len(_RANK))


def province_of(parent_agency: str | None) -> str | None:
    """ "UBND TỈNH HÀ NAM" → "Hà Nam"; None when the parent names no province."""
    _, sep, tail = (parent_agency or "").upper().partition("TỈNH ")
    return tail.strip().title() or None if sep else None


def default_profile(day: dt.date | None) -> str:
    """A Sở's profile in force on `day` (DEFAULT_PROFILE when none is, or no day)."""
    names = profiles_in_force(day, DEFAULT_TIER) if day else []
    return DEFAULT_PROFILE if DEFAULT_PROFILE in names or not names else names[0]


def resolve(
    spec: AuthoritySpec | None,
    *,
    agency: str,
    signer_title: str,
    parent_agency: str | None,
    on: dt.date | None = None,
) -> Authority:
    """Profile + the agency's data. Without a block: the Sở's profile in force `on` the
    decision's day, the agency's name in normal case and its head's title from the signer
    ("GIÁM ĐỐC" → "Giám đốc Sở …"); the province, unless given, from the parent agency ("UBND
    TỈNH HÀ NAM")."""
    if spec is None:
        name = vn.agency_name(agency)  # "SỞ CÔNG THƯƠNG" → "Sở Công Thương"
        spec = AuthoritySpec(
            profile=default_profile(on), name=name, head_title=f"{signer_title.capitalize()} {name}"
        )
    p = load_profile(spec.profile)
    province = spec.province or province_of(parent_agency) or ""

    def fill(text: str) -> str:
        text = text.replace("{province}", province).replace("{name}", spec.name)
        return text.replace("  ", " ").strip()

    cited = [*p.bases, *([spec.competence] if spec.competence else []), *spec.regulations]
    bases = sorted(cited, key=lambda b: _rank(b.title))  # stable: the given order within a rank
    return Authority(
        profile=spec.profile,
        name=spec.name,
        head_title=spec.head_title,
        decides=frozenset(spec.decides if spec.decides is not None else p.decides),
        decides_basis=p.decides_basis,
        proposes_to=fill(p.proposes.to),
        proposes_through=fill(p.proposes.through) if p.proposes.through else None,
        upward_decides=frozenset(p.proposes.decides),
        upward_basis=p.proposes.basis,
        bases=tuple(b.model_dump(mode="json") for b in bases),
        decision_signer_prefix=p.decision_signer_prefix,
        proposal_signer_prefix=p.proposal_signer_prefix,
        proposer=spec.proposer or p.proposer,
        council=fill(spec.council or p.council),
        executors=tuple(fill(e) for e in (spec.executors or p.executors)),
        decision_copies=tuple(fill(c) for c in p.decision_copies),
        proposal_copies=tuple(fill(c) for c in p.proposal_copies),
    )


def authority_of(movement: Movement) -> Authority:
    """The authority stored with the movement; one stored before authorities were data gets
    the Sở's profile of its year's end, named from the movement."""
    if movement.authority:
        return Authority.from_json(movement.authority)
    return resolve(
        None,
        agency=movement.agency,
        signer_title=movement.signer_title,
        parent_agency=movement.parent_agency,
        on=dt.date(movement.year, 12, 31),
    )


def cite(basis: dict) -> str:
    """A text as a căn cứ cites it: "Luật Thi đua, khen thưởng ngày 15 tháng 6 năm 2022";
    "Nghị định số 152/2025/NĐ-CP ngày 14 tháng 6 năm 2025 của Chính phủ quy định …"."""
    when = vn.long_date(dt.date.fromisoformat(basis["date"]))
    title = " ".join(basis["title"].split())
    if title.startswith("Luật"):  # a law is cited by its name and date, as the Công báo does
        return f"{title} {when}"
    kind, _, rest = title.partition(" ")
    for two in ("Nghị quyết", "Nghị định", "Thông tư", "Quyết định", "Chỉ thị", "Kế hoạch"):
        if title.startswith(two):
            kind, rest = two, title[len(two) :].strip()
    return f"{kind} số {basis['number']} {when} của {basis['issuer']} {rest}".strip()


# --- checks of a spec's authority block (thidua spec check) -----------------------------------


def check(spec: Any, valid: set[str] | None = None) -> list[tuple[tuple, str]]:
    """(field path, Vietnamese reason) for each problem of the issuer's authority: an unknown
    profile, a title decided by nobody, a proposal to itself, a district after 01/7/2025."""
    ok = (lambda *n: True) if valid is None else (lambda *n: set(n) <= valid)
    if not ok("issuer"):
        return []
    block: AuthoritySpec | None = spec.issuer.authority
    where = ("issuer", "authority")
    if block is None and not spec.issuer.agency.upper().startswith("SỞ"):
        # only a Sở may leave it out (the default profile); an Ủy ban must say its tier
        return [
            (
                where,
                f"thiếu khối thẩm quyền: {spec.issuer.agency} không phải là một Sở, phải khai "
                f"hồ sơ thẩm quyền (profile, có: {', '.join(profile_names())})",
            )
        ]
    if block is not None and block.profile not in profile_names():
        return [
            (
                (*where, "profile"),
                f"không có hồ sơ thẩm quyền '{block.profile}' (có: {', '.join(profile_names())})",
            )
        ]
    decision = expected_decision_day(spec, ok)
    name = block.profile if block else default_profile(decision[0] if decision else None)
    try:
        profile = load_profile(name)
        auth = resolve(
            block,
            agency=spec.issuer.agency,
            signer_title=_signer(spec, ok),
            parent_agency=spec.issuer.parent_agency,
            on=decision[0] if decision else None,
        )
    except InvalidInput as e:
        reasons = "; ".join(f"{p.field}: {p.reason}" for p in e.problems) or e.message
        return [((*where, "profile"), f"hồ sơ thẩm quyền không dùng được: {reasons}")]
    out: list[tuple[tuple, str]] = []
    for i, code in enumerate((block.decides or []) if block else []):
        if code not in TITLES:
            out.append(((*where, "decides", i), f"danh hiệu '{code}' không có"))
    needs_province = "{province}" in profile.proposes.to + (profile.proposes.through or "")
    if block and needs_province and not (block.province or province_of(spec.issuer.parent_agency)):
        out.append(((*where, "province"), "thiếu tên tỉnh (hồ sơ thẩm quyền trình lên tỉnh)"))
    if _same(auth.proposes_to, auth.head_title) or _same(auth.proposes_to, auth.name):
        out.append(
            (
                (*where, "profile"),
                f"{auth.head_title} không thể trình chính mình ({auth.proposes_to}): "
                "chọn hồ sơ thẩm quyền của đúng cấp",
            )
        )
    if block and profile.needs_competence and block.competence is None:
        out.append(
            (
                (*where, "competence"),
                "thiếu văn bản quy định chức năng, nhiệm vụ, quyền hạn của cơ quan "
                "(căn cứ thẩm quyền của người ký quyết định)",
            )
        )
    if ok("quotas"):
        for i, q in enumerate(spec.quotas):
            if q.title in RATINGS or q.title not in TITLES:
                continue
            if not (auth.decided_here(q.title) or q.title in auth.upward_decides):
                out.append(
                    (
                        ("quotas", i, "title"),
                        f"{TITLES[q.title][0]} không do ai quyết định: không thuộc thẩm quyền "
                        f"của {auth.head_title} ({auth.decides_basis}), cũng không thuộc thẩm "
                        f"quyền của {auth.proposes_to} ({auth.upward_basis})",
                    )
                )
    out += _tier_checks(spec, name, profile, ok)
    out += _dated_after(spec, ok)
    return out


def _signer(spec: Any, ok) -> str:
    return spec.signer.title if ok("signer") else "Thủ trưởng"


def _same(a: str, b: str) -> bool:
    return " ".join(a.casefold().split()) == " ".join(b.casefold().split())


def _tier_checks(spec: Any, name: str, profile: Profile, ok) -> list[tuple[tuple, str]]:
    """The profile is the law on the day the decision is expected (its căn cứ and its powers),
    and a district uses a district's profile."""
    where = ("issuer", "authority", "profile")
    out: list[tuple[tuple, str]] = []
    decision = expected_decision_day(spec, ok)
    span = profile.in_force.span()
    if decision and not span.covers(decision[0]):
        day, why = decision
        others = [n for n in profiles_in_force(day, profile.tier) if n != name]
        hint = (
            f"hồ sơ {TIERS[profile.tier]} có hiệu lực vào ngày đó: {', '.join(others)}"
            if others
            else f"chưa có hồ sơ {TIERS[profile.tier]} nào có hiệu lực vào ngày đó"
        )
        out.append((where, f"hồ sơ thẩm quyền '{name}' ({profile.name}) có hiệu lực "
                           f"{span.text()}" + (f" ({span.note})" if span.note else "")
                           + f", không áp dụng cho quyết định khen thưởng dự kiến "
                           f"{vn.long_date(day)} ({why}); {hint}"))  # fmt: skip
    if "HUYỆN" in spec.issuer.agency.upper() and profile.tier != "ubnd-huyen":
        district = ", ".join(n for n in profile_names() if load_tier(n) == "ubnd-huyen")
        reason = f"Ủy ban nhân dân huyện cần hồ sơ thẩm quyền của cấp huyện ({district})"
        out.append((where, reason))
    return out


def _dated_after(spec: Any, ok) -> list[tuple[tuple, str]]:
    """The agency's own căn cứ (competence, quy chế) must exist when the decision cites them."""
    block: AuthoritySpec | None = spec.issuer.authority
    decision = expected_decision_day(spec, ok)
    if block is None or decision is None:
        return []
    day, why = decision
    where = ("issuer", "authority")
    cited: list[tuple[tuple[str | int, ...], LegalTextSpec]] = []
    if block.competence:
        cited.append((("competence", "date"), block.competence))
    cited += [(("regulations", i, "date"), r) for i, r in enumerate(block.regulations)]
    reason = (
        "văn bản {number} ban hành {issued}, sau ngày dự kiến ra quyết định khen thưởng {day} "
        "({why}): quyết định không dẫn được văn bản chưa ban hành"
    )
    return [
        (
            (*where, *loc),
            reason.format(
                number=t.number, issued=vn.long_date(t.date), day=vn.long_date(day), why=why
            ),
        )
        for loc, t in cited
        if t.date > day
    ]
