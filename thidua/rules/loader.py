"""Turning the YAML of a rule set into a checked RuleSet, collecting every problem with the
file, line and field where it is."""

from decimal import Decimal, InvalidOperation
from fractions import Fraction
from pathlib import Path
from typing import Any

from thidua import inforce
from thidua.errors import Problems
from thidua.rules.expr import Compiled, ExprError, Vocabulary, any_of, compile_expr
from thidua.rules.ruleset import (
    AWARD_FORMS,
    DECIDERS,
    DENOMINATORS,
    FACT_TYPES,
    KINDS,
    KNOWN_TITLES,
    RATING_TITLES,
    ROUNDINGS,
    SCOPES,
    SUBJECTS,
    TITLE_SUBJECTS,
    FactSpec,
    Message,
    Quota,
    Reward,
    Rule,
    RuleSet,
    Threshold,
    Title,
    compile_message,
    parse_threshold,
)
from thidua.vn import nfc

TOP = {
    "format", "name", "title", "version", "year", "agency", "legal_basis", "in_force",
    "facts", "titles", "quotas", "council", "scoring", "rewards", "notes",
}  # fmt: skip
TOP_REQUIRED = {"format", "name", "version", "year", "agency", "legal_basis", "facts", "titles"}
FACT_FIELDS = {"label", "type", "values", "default", "min", "max", "subject"}
TITLE_FIELDS = {
    "name", "subject", "basis", "criteria", "reward", "vote_threshold", "decided_by", "kind",
    "notes",
}  # fmt: skip
RULE_FIELDS = {
    "id", "rule", "any_of", "message", "basis", "unverified", "source", "quy_che", "enabled",
}  # fmt: skip
ALT_FIELDS = {"rule", "label"}
REWARD_FIELDS = {"individual", "collective", "basis", "unverified", "source"}
QUOTA_FIELDS = {
    "id", "title", "scope", "max", "of", "rounding", "min_allowed", "basis", "unverified",
    "source", "quy_che", "enabled",
}  # fmt: skip
COUNCIL_FIELDS = {
    "quorum", "quorum_basis", "denominator", "denominator_basis", "vote_basis", "blank_is_valid",
}  # fmt: skip
SCORING_FIELDS = {"flags_per_block"}
REWARDS_FIELDS = {"highest_title_basis", "highest_form_basis"}
# Facts the engine itself reads (initiatives(), discipline_at_least(), member_*()).
ENGINE_FACTS = {
    "discipline": "enum",
    "initiatives": "initiatives",
    "members": "integer",
    "member_counts": "counts",
    "member_discipline": "counts",
    "task_rating": "enum",
}


class _Ctx:
    def __init__(self, path: Path, problems: Problems) -> None:
        self.path = path
        self.problems = problems

    def where(self, node: Any, key: Any = None) -> str:
        """ "nd152-2025.yaml:42": the line of key in node (or of node itself)."""
        lc = getattr(node, "lc", None)
        line = None
        if lc is not None:
            try:
                line = lc.key(key)[0] if key is not None else lc.line
            except (KeyError, IndexError, TypeError):
                line = lc.line
        return f"{self.path.name}:{line + 1}" if line is not None else self.path.name

    def add(self, field_name: str, reason: str, node: Any = None, key: Any = None) -> None:
        self.problems.add(field_name, reason, self.where(node, key))

    def mapping(self, node: Any, field_name: str, allowed: set[str], parent: Any, key: Any):
        if not isinstance(node, dict):
            self.add(field_name, "phải là một bảng (các dòng 'tên: giá trị')", parent, key)
            return None
        for k in node:
            if k not in allowed:
                self.add(
                    f"{field_name}.{k}",
                    f"trường không có trong định dạng (có: {', '.join(sorted(allowed))})",
                    node,
                    k,
                )
        return node


def build(data: Any, path: Path, problems: Problems) -> RuleSet | None:
    c = _Ctx(path, problems)
    top = c.mapping(data, "(gốc)", TOP, data, None)
    if top is None:
        return None
    for k in sorted(TOP_REQUIRED - set(top)):
        c.add(k, "thiếu trường bắt buộc", top)
    if top.get("format", 1) != 1:
        c.add("format", f"định dạng {top.get('format')} chưa được hỗ trợ (chỉ có 1)", top, "format")
    year = top.get("year")
    if not isinstance(year, int) or not 2000 <= year <= 2100:
        c.add("year", f"năm '{year}' không hợp lệ", top, "year")
    in_force, bad = inforce.parse(top.get("in_force"))
    for field_name, reason in bad:
        c.add(field_name, reason, top, "in_force")
    legal = top.get("legal_basis") or []
    if not isinstance(legal, list) or not all(isinstance(x, str) and x.strip() for x in legal):
        c.add("legal_basis", "phải là danh sách các văn bản làm căn cứ", top, "legal_basis")
        legal = []

    facts = _facts(c, top.get("facts"), top)
    titles_node = top.get("titles") or {}
    if not isinstance(titles_node, dict) or not titles_node:
        c.add("titles", "phải có ít nhất một danh hiệu", top, "titles")
        titles_node = {}
    for code in titles_node:
        if code not in KNOWN_TITLES:
            c.add(
                f"titles.{code}",
                f"mã danh hiệu không có (có: {', '.join(KNOWN_TITLES)})",
                titles_node,
                code,
            )
    disciplines = facts["discipline"].values if "discipline" in facts else {}
    levels = facts["initiatives"].values if "initiatives" in facts else {}
    vocab = Vocabulary(
        facts=frozenset(facts),
        titles=frozenset(k for k in titles_node if k in KNOWN_TITLES) | RATING_TITLES,
        disciplines=frozenset(disciplines),
        levels=frozenset(levels),
    )
    titles = {
        code: t
        for code, node in titles_node.items()
        if code in KNOWN_TITLES
        and (t := _title(c, code, node, titles_node, vocab, facts)) is not None
    }
    order = _order(c, titles, titles_node)
    seen: dict[str, str] = {}
    for t in titles.values():  # a rule id names one criterion in every check result
        for r in t.rules:
            if r.id in seen and seen[r.id] != t.code:
                problems.add(f"titles.{t.code}.criteria", f"mã tiêu chuẩn '{r.id}' đã dùng ở "
                             f"{seen[r.id]}", r.where)  # fmt: skip
            seen.setdefault(r.id, t.code)
    off: set[str] = set()
    every_quota = _quotas(c, top.get("quotas") or [], top, titles, off)
    quotas = [q for q in every_quota if q.id not in off]
    council = c.mapping(top.get("council") or {}, "council", COUNCIL_FIELDS, top, "council") or {}
    quorum = _threshold(c, council.get("quorum", ">= 2/3"), "council.quorum", council, "quorum")
    denominator = council.get("denominator", "members")
    if denominator not in DENOMINATORS:
        allowed = ", ".join(DENOMINATORS)
        c.add("council.denominator", f"'{denominator}' không hợp lệ (có: {allowed})",
              council, "denominator")  # fmt: skip
    bases = {k: council.get(k) or "" for k in ("quorum_basis", "vote_basis", "denominator_basis")}
    for k, v in bases.items():
        if not isinstance(v, str):
            c.add(f"council.{k}", "phải là một câu ghi văn bản, điều, khoản", council, k)
    scoring = c.mapping(top.get("scoring") or {}, "scoring", SCORING_FIELDS, top, "scoring") or {}
    rewards = c.mapping(top.get("rewards") or {}, "rewards", REWARDS_FIELDS, top, "rewards") or {}
    for k in REWARDS_FIELDS:
        if not isinstance(rewards.get(k, ""), str):
            c.add(f"rewards.{k}", "phải là một câu ghi văn bản, điều, khoản", rewards, k)
    flags = scoring.get("flags_per_block", 1)
    if not isinstance(flags, int) or flags < 0:
        c.add("scoring.flags_per_block", "phải là số nguyên không âm", scoring, "flags_per_block")
    for i, q in enumerate(every_quota):
        if (q.title, q.scope) == ("CO_THI_DUA", "block") and q.max_count not in (None, flags):
            reason = f"{q.max_count} Cờ mỗi khối, khác scoring.flags_per_block ({flags})"
            problems.add(f"quotas[{i + 1}].max", f"{reason}: hai số phải bằng nhau", q.where)
    if problems:
        return None
    return RuleSet(
        name=nfc(str(top["name"])),
        title=nfc(str(top.get("title") or top["name"])),
        version=str(top["version"]),
        year=year,
        agency=nfc(str(top["agency"])),
        legal_basis=tuple(nfc(x) for x in legal),
        in_force=in_force,
        facts=facts,
        titles=titles,
        order=order,
        quotas=tuple(quotas),
        quorum=quorum,
        blank_is_valid=bool(council.get("blank_is_valid", False)),
        denominator=denominator,
        **{k: nfc(v) for k, v in bases.items()},
        flags_per_block=flags,
        highest_title_basis=nfc(str(rewards.get("highest_title_basis") or "")),
        highest_form_basis=nfc(str(rewards.get("highest_form_basis") or "")),
        path=path,
        disabled_quotas=tuple(q for q in every_quota if q.id in off),
    )


def _facts(c: _Ctx, node: Any, top: Any) -> dict[str, FactSpec]:
    node = c.mapping(node, "facts", set(node or {}), top, "facts") if node is not None else None
    out: dict[str, FactSpec] = {}
    for key, spec in (node or {}).items():
        fname = f"facts.{key}"
        spec = c.mapping(spec, fname, FACT_FIELDS, node, key)
        if spec is None:
            continue
        ftype = spec.get("type")
        if ftype not in FACT_TYPES:
            c.add(f"{fname}.type", f"kiểu '{ftype}' không có (có: {', '.join(sorted(FACT_TYPES))})",
                  spec, "type")  # fmt: skip
            ftype = "text"  # keep the name known, so rules using it report nothing more

        if key in ENGINE_FACTS and ENGINE_FACTS[key] != ftype:
            c.add(f"{fname}.type", f"dữ kiện này phải có kiểu '{ENGINE_FACTS[key]}'", spec, "type")
        values = spec.get("values") or {}
        if ftype in {"enum", "initiatives"}:
            if not isinstance(values, dict) or not values:
                c.add(f"{fname}.values", "phải liệt kê các giá trị (mã: tên), theo thứ tự", spec,
                      "values")  # fmt: skip
                values = {}
        elif values:
            c.add(f"{fname}.values", f"kiểu '{ftype}' không có danh sách giá trị", spec, "values")
        subject = spec.get("subject", "both")
        if subject not in SUBJECTS:
            c.add(f"{fname}.subject", f"'{subject}' không có (có: {', '.join(SUBJECTS)})", spec,
                  "subject")  # fmt: skip
        has_default = "default" in spec
        default = spec.get("default")
        if has_default and ftype == "enum" and default not in values:
            c.add(f"{fname}.default", f"'{default}' không thuộc các giá trị", spec, "default")
        out[key] = FactSpec(
            key=key,
            label=nfc(str(spec.get("label") or key)),
            type=ftype,
            values={str(k): nfc(str(v)) for k, v in values.items()},
            default=_plain(default),
            has_default=has_default,
            minimum=spec.get("min"),
            maximum=spec.get("max"),
            subject=subject,
        )
    return out


def _plain(value: Any) -> Any:
    """ruamel's commented containers as plain lists and dicts."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _title(
    c: _Ctx, code: str, node: Any, parent: Any, vocab: Vocabulary, facts: dict[str, FactSpec]
) -> Title | None:
    fname = f"titles.{code}"
    node = c.mapping(node, fname, TITLE_FIELDS, parent, code)
    if node is None:
        return None
    subject = node.get("subject")
    if subject not in SUBJECTS:
        c.add(f"{fname}.subject", f"'{subject}' không có (có: {', '.join(SUBJECTS)})", node,
              "subject" if "subject" in node else None)  # fmt: skip
    allowed = TITLE_SUBJECTS[code]
    wanted = {"individual", "collective"} if subject == "both" else {subject}
    if subject in SUBJECTS and not wanted <= allowed:
        who = " và ".join(SUBJECTS[a] for a in sorted(allowed, reverse=True))
        c.add(f"{fname}.subject", f"{KNOWN_TITLES[code]} chỉ dành cho {who}", node, "subject")
    basis = nfc(str(node.get("basis") or ""))
    if not basis:
        c.add(f"{fname}.basis", "thiếu căn cứ pháp lý", node)
    decided_by = node.get("decided_by", "agency")
    if decided_by not in DECIDERS:
        c.add(f"{fname}.decided_by", f"'{decided_by}' không có (có: {', '.join(DECIDERS)})", node,
              "decided_by")  # fmt: skip
    kind = node.get("kind", "khen_thuong" if code in AWARD_FORMS else "danh_hieu")
    if kind not in KINDS:
        c.add(f"{fname}.kind", f"'{kind}' không có (có: {', '.join(KINDS)})", node, "kind")
    reward = _reward(c, node.get("reward"), f"{fname}.reward", node, subject)
    threshold = _threshold(c, node.get("vote_threshold", "> 50%"), f"{fname}.vote_threshold",
                           node, "vote_threshold")  # fmt: skip
    rules: list[Rule] = []
    disabled: list[Rule] = []
    depends: set[str] = set()
    criteria = node.get("criteria") or []
    if not isinstance(criteria, list):
        c.add(f"{fname}.criteria", "phải là danh sách tiêu chuẩn", node, "criteria")
        criteria = []
    seen: set[str] = set()
    for i, item in enumerate(criteria):
        rname = f"{fname}.criteria[{i + 1}]"
        item = c.mapping(item, rname, RULE_FIELDS, criteria, None)
        if item is None:
            continue
        rid = str(item.get("id") or f"{code}.{i + 1}")
        if rid in seen:
            c.add(f"{rname}.id", f"mã tiêu chuẩn '{rid}' bị trùng", item, "id")
        seen.add(rid)
        compiled = _criterion(c, rname, item, vocab)
        if compiled is None:
            continue
        test, message, labels = compiled
        wrong = sorted(
            f for f in test.facts if facts[f].subject not in {"both", subject}
        ) if subject in {"individual", "collective"} else []  # fmt: skip
        for f in wrong:
            c.add(f"{rname}.rule", f"dữ kiện '{f}' không dùng cho {SUBJECTS[subject]}", item,
                  "rule" if "rule" in item else "any_of")  # fmt: skip
        enabled = _flag(c, f"{rname}.enabled", item, "enabled", default=True)
        if enabled:
            depends |= test.titles
            depends |= {t for p in message.parts if not isinstance(p, str) for t in p.titles}
        (rules if enabled else disabled).append(
            Rule(
                id=rid,
                title=code,
                test=test,
                message=message,
                basis=nfc(str(item.get("basis") or basis)),
                where=c.where(item, "rule" if "rule" in item else "any_of"),
                alternatives=labels,
                unverified=_unverified(c, rname, item),
                quy_che=_flag(c, f"{rname}.quy_che", item, "quy_che"),
            )
        )
    return Title(
        code=code,
        name=nfc(str(node.get("name") or KNOWN_TITLES[code])),
        subject=subject if subject in SUBJECTS else "both",
        basis=basis,
        rules=tuple(rules),
        reward=reward,
        vote_threshold=threshold,
        depends_on=frozenset(depends - {code} - RATING_TITLES),
        decided_by=decided_by if decided_by in DECIDERS else "agency",
        kind=kind if kind in KINDS else "danh_hieu",
        disabled=tuple(disabled),
    )


def _criterion(
    c: _Ctx, rname: str, item: Any, vocab: Vocabulary
) -> tuple[Compiled, Message, tuple[str, ...]] | None:
    """The test, message and alternatives of one criterion: `rule` (one expression) or `any_of`
    (alternatives, each a rule and a label; met when one of them is)."""
    has_rule, alternatives = bool(item.get("rule")), item.get("any_of")
    if has_rule == (alternatives is not None):
        c.add(f"{rname}.rule", "cần đúng một trong hai trường 'rule' hoặc 'any_of'", item)
        return None
    labels: list[str] = []
    if has_rule:
        try:
            test = compile_expr(str(item["rule"]), vocab)
        except ExprError as e:
            c.add(f"{rname}.rule", f"{e} — trong: {item['rule']}", item, "rule")
            return None
    else:
        if not isinstance(alternatives, list) or len(alternatives) < 2:
            c.add(f"{rname}.any_of", "phải là danh sách từ hai tiêu chuẩn trở lên", item,
                  "any_of")  # fmt: skip
            return None
        parts = []
        for j, alt in enumerate(alternatives):
            aname = f"{rname}.any_of[{j + 1}]"
            alt = c.mapping(alt, aname, ALT_FIELDS, alternatives, None)
            if alt is None:
                continue
            if not alt.get("rule") or not alt.get("label"):
                c.add(aname, "mỗi tiêu chuẩn cần 'rule' và 'label' (tên tiêu chuẩn)", alt)
                continue
            try:
                parts.append(compile_expr(str(alt["rule"]), vocab))
            except ExprError as e:
                c.add(f"{aname}.rule", f"{e} — trong: {alt['rule']}", alt, "rule")
                continue
            labels.append(nfc(str(alt["label"])).strip().rstrip(".;"))
        if len(parts) != len(alternatives):
            return None
        test = any_of(parts)
    text = item.get("message")
    if not text and not labels:
        c.add(f"{rname}.message", "thiếu trường bắt buộc", item)
        return None
    if not text:  # the alternatives named, as the law lists them
        listed = "; ".join(f"{chr(ord('a') + k)}) {label}" for k, label in enumerate(labels))
        text = f"Chưa đạt một trong các tiêu chuẩn: {listed}"
    try:
        message = compile_message(nfc(str(text)), vocab)
    except ExprError as e:
        c.add(f"{rname}.message", str(e), item, "message")
        return None
    return test, message, tuple(labels)


def _flag(c: _Ctx, fname: str, node: Any, key: str, default: bool = False) -> bool:
    value = node.get(key, default)
    if not isinstance(value, bool):
        c.add(fname, "phải là true hoặc false", node, key)
        return default
    return value


def _unverified(c: _Ctx, fname: str, node: Any) -> str | None:
    """`unverified: true` with `source`: the text the rule relied on, the original unread."""
    flag = _flag(c, f"{fname}.unverified", node, "unverified")
    source = nfc(str(node.get("source") or "")).strip()
    if flag and not source:
        c.add(f"{fname}.source", "tiêu chuẩn chưa đối chiếu văn bản gốc phải ghi nguồn đã dựa "
              "vào", node, "unverified")  # fmt: skip
    if source and not flag:
        c.add(f"{fname}.source", "chỉ ghi 'source' khi có 'unverified: true'", node, "source")
    return (source or None) if flag else None


def _reward(c: _Ctx, node: Any, fname: str, parent: Any, subject: Any) -> Reward | None:
    if node is None:
        return None
    node = c.mapping(node, fname, REWARD_FIELDS, parent, "reward")
    if node is None:
        return None
    multiples: dict[str, Decimal | None] = {}
    for who in ("individual", "collective"):
        raw = node.get(who)
        multiples[who] = None
        if raw is None:
            continue
        try:
            value = Decimal(str(raw))
        except InvalidOperation:
            c.add(f"{fname}.{who}", f"'{raw}' không phải là số", node, who)
            continue
        multiples[who] = value
        if not value.is_finite() or value < 0:
            c.add(f"{fname}.{who}", f"'{raw}' phải là số không âm", node, who)
        if subject in {"individual", "collective"} and who != subject:
            c.add(f"{fname}.{who}", f"danh hiệu chỉ dành cho {SUBJECTS[subject]}", node, who)
    if all(v is None for v in multiples.values()):
        c.add(fname, "cần ghi số lần mức lương cơ sở (individual, collective)", parent, "reward")
    basis = nfc(str(node.get("basis") or ""))
    if not basis:
        c.add(f"{fname}.basis", "thiếu căn cứ pháp lý của mức tiền thưởng", node)
    return Reward(
        multiples["individual"], multiples["collective"], basis, _unverified(c, fname, node)
    )


def _threshold(c: _Ctx, value: Any, fname: str, node: Any, key: str) -> Threshold:
    try:
        return parse_threshold(value)
    except ValueError as e:
        c.add(fname, str(e), node, key)
        return Threshold(Fraction(1, 2), True, "> 50%")


def _order(c: _Ctx, titles: dict[str, Title], node: Any) -> tuple[str, ...]:
    """Titles in an order where each comes after those its criteria refer to."""
    order: list[str] = []
    state: dict[str, int] = {}

    def visit(code: str, path: list[str]) -> None:
        if state.get(code) == 2:
            return
        if state.get(code) == 1:
            cycle = " → ".join([*path[path.index(code) :], code])
            c.add(f"titles.{code}", f"tiêu chuẩn tham chiếu vòng tròn: {cycle}", node, code)
            return
        state[code] = 1
        for dep in sorted(titles[code].depends_on):
            if dep in titles:
                visit(dep, [*path, code])
        state[code] = 2
        order.append(code)

    for code in titles:
        visit(code, [])
    return tuple(order)


def _quotas(c: _Ctx, node: Any, top: Any, titles: dict[str, Title], off: set[str]) -> list[Quota]:
    """Every quota written down; the ids of those switched off (enabled: false) go into off."""
    if not isinstance(node, list):
        c.add("quotas", "phải là danh sách chỉ tiêu", top, "quotas")
        return []
    out: list[Quota] = []
    for i, q in enumerate(node):
        fname = f"quotas[{i + 1}]"
        q = c.mapping(q, fname, QUOTA_FIELDS, node, None)
        if q is None:
            continue
        title = q.get("title")
        if title not in titles:
            c.add(f"{fname}.title", f"danh hiệu '{title}' không có trong bộ quy tắc", q, "title")
        scope = q.get("scope")
        if scope not in SCOPES:
            c.add(f"{fname}.scope", f"'{scope}' không có (có: {', '.join(SCOPES)})", q, "scope")
        of = q.get("of")
        if of is not None and of not in titles:
            c.add(f"{fname}.of", f"danh hiệu '{of}' không có trong bộ quy tắc", q, "of")
        rounding = q.get("rounding", "floor")
        if rounding not in ROUNDINGS:
            c.add(f"{fname}.rounding", f"'{rounding}' không có (có: {', '.join(ROUNDINGS)})", q,
                  "rounding")  # fmt: skip
        raw = q.get("max")
        max_count = max_ratio = None
        if isinstance(raw, int) and not isinstance(raw, bool) and raw >= 0:
            max_count = raw
        elif isinstance(raw, str) and raw.strip().endswith("%"):
            try:
                max_ratio = parse_threshold(raw).ratio
            except ValueError as e:
                c.add(f"{fname}.max", str(e), q, "max")
            if of is None:
                c.add(f"{fname}.of", "chỉ tiêu theo tỷ lệ cần 'of' (tỷ lệ của danh hiệu nào)", q,
                      "max")  # fmt: skip
        else:
            c.add(f"{fname}.max", f"'{raw}' phải là số nguyên hoặc tỷ lệ như \"15%\"", q, "max")
        min_allowed = q.get("min_allowed", 0)
        if not isinstance(min_allowed, int) or min_allowed < 0:
            c.add(f"{fname}.min_allowed", "phải là số nguyên không âm", q, "min_allowed")
            min_allowed = 0
        basis = nfc(str(q.get("basis") or ""))
        if not basis:
            c.add(f"{fname}.basis", "thiếu căn cứ pháp lý", q)
        out.append(
            Quota(
                id=str(q.get("id") or f"{title}.{scope}"),
                title=str(title),
                scope=str(scope),
                max_count=max_count,
                max_ratio=max_ratio,
                of=of,
                rounding=str(rounding),
                min_allowed=min_allowed,
                basis=basis,
                where=c.where(q),
                unverified=_unverified(c, fname, q),
                quy_che=_flag(c, f"{fname}.quy_che", q, "quy_che"),
            )
        )
        if not _flag(c, f"{fname}.enabled", q, "enabled", default=True):
            off.add(out[-1].id)
    return out
