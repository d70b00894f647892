"""Checks across a movement spec's fields: periods within the year, in order and apart;
deadlines that fit the periods; codes given once; the "Lưu: VT" line; cited documents older
than the directive; a rule set that exists. Each check yields (field path, Vietnamese reason);
the loader adds the line.
"""

from collections.abc import Sequence
from datetime import date
from types import SimpleNamespace
from typing import Annotated, Any

from pydantic import TypeAdapter, ValidationError

from thidua.inforce import expected_decision_day
from thidua.spec_schema import SPEC_LISTS, MovementSpec, empty_lists, placed_targets

Loc = tuple[str | int, ...]


def cross_checks(spec: Any, valid: set[str] | None = None) -> list[tuple[Loc, str]]:
    """Checks across fields. `valid` names the top-level fields that passed validation (None:
    all), so that a file with field errors still gets every cross-check its valid parts allow."""
    ok = (lambda *names: True) if valid is None else (lambda *names: set(names) <= valid)
    out: list[tuple[Loc, str]] = []
    year = spec.year if ok("year") else None
    if year and ok("document") and int(spec.document.date[:4]) not in (year, year - 1):
        # a plan for next year may come out in December
        out.append((("document", "date"), f"ngày ban hành phải thuộc năm {year} hoặc năm trước"))
    periods = (spec.periods or []) if ok("periods") else None
    for i, p in enumerate(periods or []):
        for fld in ("starts_on", "ends_on"):
            if year and getattr(p, fld).year != year:
                out.append((("periods", i, fld), f"ngày nằm ngoài năm {year} của phong trào"))
        if p.starts_on > p.ends_on:
            out.append((("periods", i, "ends_on"), "ngày kết thúc trước ngày bắt đầu"))
        if i and periods and p.starts_on <= periods[i - 1].ends_on:
            prev = periods[i - 1]
            out.append(
                (
                    ("periods", i, "starts_on"),
                    f"Đợt {p.number} bắt đầu trước khi Đợt {prev.number} kết thúc "
                    f"({prev.ends_on.isoformat()}): các đợt chồng lên nhau",
                )
            )
    if ok("deadlines"):
        out += _deadline_checks(spec.deadlines, periods, year)
    if ok("legal_bases", "document"):
        issued = spec.document.date  # "2022-03-05", "2022-03" or "2022": compare as far as known
        for i, b in enumerate(spec.legal_bases):
            if b.date and b.date.isoformat()[: len(issued)] > issued:
                out.append(
                    (
                        ("legal_bases", i, "date"),
                        f"văn bản căn cứ ghi ngày sau ngày ban hành {issued}",
                    )
                )
    if ok("targets"):
        out += _dupes(spec.targets, "targets", "code", "mã chỉ tiêu")
        out += _sub_targets(spec.targets)
    if ok("targets", "contents"):
        out += _placements(spec)
    if ok("criteria"):
        out += _dupes(spec.criteria, "criteria", "block", "khối đã có bảng tiêu chí")
    if ok("participants") and spec.participants:
        seen_units: set[str] = set()
        for i, code in enumerate(spec.participants):
            if code in seen_units:
                out.append((("participants", i), f"đơn vị '{code}' ghi hai lần"))
            seen_units.add(code)
    decision = expected_decision_day(spec, ok)
    if ok("rule_set"):
        out += _rule_set_check(spec.rule_set, decision)
    if ok("issuer"):
        from thidua.authority import check as authority_check

        out += authority_check(spec, valid)
    if ok("copies") and spec.copies and not spec.copies[-1].startswith("Lưu"):
        out.append((("copies", len(spec.copies) - 1), "dòng cuối của Nơi nhận phải là 'Lưu: VT…'"))
    return out


def _sub_targets(targets) -> list[tuple[Loc, str]]:
    """A "trong đó" part names a target given before it, and is no larger than it."""
    out: list[tuple[Loc, str]] = []
    seen: dict[str, Any] = {}
    for i, t in enumerate(targets):
        if t.parent is not None:
            whole = seen.get(t.parent)
            if whole is None:
                out.append(
                    (("targets", i, "parent"),
                     f"chỉ tiêu '{t.parent}' chứa chỉ tiêu này phải được khai trước nó")
                )  # fmt: skip
            elif whole.unit == t.unit and t.value > whole.value:
                out.append(
                    (("targets", i, "value"),
                     f"chỉ tiêu con ({t.value_text} {t.unit}) lớn hơn chỉ tiêu "
                     f"'{whole.label}' chứa nó ({whole.value_text} {whole.unit})")
                )  # fmt: skip
        seen.setdefault(t.code, t)
    return out


def _placements(spec) -> list[tuple[Loc, str]]:
    """Each target an item lists exists and is listed once, in the order of `targets`, and a
    part ("trong đó") is listed with its whole."""
    out: list[tuple[Loc, str]] = []
    codes = {t.code: i for i, t in enumerate(spec.targets)}
    placed: dict[str, tuple] = {}
    for path, code in placed_targets(spec.contents):
        if code not in codes:
            out.append((path, f"không có chỉ tiêu mã '{code}' trong targets"))
        elif code in placed:
            out.append((path, f"chỉ tiêu '{code}' đã được liệt kê ở một mục khác"))
        placed.setdefault(code, path)
    order = [codes[c] for c in placed if c in codes]
    if order != sorted(order):
        out.append((("targets",), "các chỉ tiêu phải khai theo thứ tự chúng có trong nội dung"))
    for i, t in enumerate(spec.targets):
        if t.parent and (t.code in placed) != (t.parent in placed):
            out.append(
                (("targets", i, "parent"), "chỉ tiêu con phải được liệt kê cùng chỉ tiêu chứa nó")
            )
        elif t.parent and t.code in placed and placed[t.code][:-2] != placed[t.parent][:-2]:
            out.append(
                (("targets", i, "parent"), "chỉ tiêu con phải được liệt kê cùng mục với chỉ tiêu "
                 "chứa nó")
            )  # fmt: skip
    return out


def _rule_set_check(name: str | None, decision: tuple[date, str] | None) -> list[tuple[Loc, str]]:
    """The rule set must exist and be valid now, not fail at the final tally months later, and
    be the law on the day the decision is expected (thidua/inforce.py). No rule set named: the
    shipped template of that day (default_rule_set)."""
    from thidua.errors import ThiduaError
    from thidua.rules import load_rule_set
    from thidua.rules.ruleset import default_rule_set, in_force_on
    from thidua.vn import long_date

    default = default_rule_set(decision[0] if decision else None)
    try:
        rs = load_rule_set(name or default)
    except ThiduaError as e:
        return [(("rule_set",), f"bộ quy tắc '{name}' không dùng được: {e.message}")]
    if decision is None or rs.in_force.covers(decision[0]):
        return []
    day, why = decision
    named = f"bộ quy tắc '{name}'" if name else f"không ghi bộ quy tắc: bộ mặc định '{rs.name}'"
    others = [n for n in in_force_on(day) if n != (name or default)]
    hint = (
        f"; bộ quy tắc có hiệu lực vào ngày đó: {', '.join(others)}"
        if others
        else "; chưa có bộ quy tắc nào có hiệu lực vào ngày đó trong thư mục quy tắc"
    )
    return [
        (
            ("rule_set",),
            f"{named} ({rs.title}) có hiệu lực {rs.in_force.text()}"
            + (f" ({rs.in_force.note})" if rs.in_force.note else "")
            + f", không áp dụng cho quyết định khen thưởng dự kiến {long_date(day)} ({why}){hint}",
        )
    ]


def _deadline_checks(deadlines, periods, year) -> list[tuple[Loc, str]]:
    """periods None: they did not validate, so checks that need them are skipped."""
    out: list[tuple[Loc, str]] = []
    if periods == [] and year:  # no periods named: one period, the year
        periods = [SimpleNamespace(starts_on=date(year, 1, 1))]
    seen: dict[str, int] = {}
    for i, d in enumerate(deadlines):
        if d.kind in seen:
            out.append(
                (("deadlines", i, "kind"), f"hạn '{d.kind}' đã khai ở deadlines[{seen[d.kind]}]")
            )
        seen.setdefault(d.kind, i)
        if year and d.due_on.year not in (year, year + 1):  # awards may slip into January
            out.append(
                (("deadlines", i, "due_on"), f"hạn phải thuộc năm {year} (hoặc đầu năm sau)")
            )
        if periods is None:
            continue
        if d.kind == "period_2_report" and len(periods) < 2:
            out.append(
                (
                    ("deadlines", i, "kind"),
                    "phong trào chỉ có một đợt, không có hạn báo cáo Đợt 2 (period_2_report)",
                )
            )
        for n, p in enumerate(periods, 1):
            if d.kind == f"period_{n}_report" and d.due_on < p.starts_on:
                out.append((("deadlines", i, "due_on"), f"hạn báo cáo trước khi Đợt {n} bắt đầu"))
    return out


def valid_parts(data: Any) -> tuple[Any, set[str]]:
    """The top-level fields of `data` that validate on their own, as an object, and their
    names: what cross-checks can still use when the whole spec does not validate."""
    parts: dict[str, Any] = {}
    if isinstance(data, dict):
        data = empty_lists(data, SPEC_LISTS)
        for name, f in MovementSpec.model_fields.items():
            if name in data:
                try:
                    kind: Any = Annotated[f.annotation, *f.metadata] if f.metadata else f.annotation
                    parts[name] = TypeAdapter(kind).validate_python(data[name])
                except ValidationError:
                    pass
    for name in ("periods", "deadlines", "targets", "criteria", "participants", "copies"):
        if name not in (data if isinstance(data, dict) else {}):
            parts.setdefault(name, MovementSpec.model_fields[name].get_default())
    return SimpleNamespace(**parts), set(parts)


def _dupes(items: Sequence[Any], name: str, attr: str, label: str) -> list[tuple[Loc, str]]:
    out: list[tuple[Loc, str]] = []
    first: dict[Any, int] = {}
    for i, item in enumerate(items):
        key = getattr(item, attr)
        if key in first:
            out.append(((name, i, attr), f"{label} '{key}' trùng với {name}[{first[key]}]"))
        first.setdefault(key, i)
    return out
