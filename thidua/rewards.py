"""Reward money (tiền thưởng): multiples of the base salary in force on the decision date,
rounded up to tens of thousands of đồng, one title's money per achievement.

The multiples, and the articles the notes below cite, are the rule set's (the decree in force on
the decision's date: Nghị định 91/2017/NĐ-CP Điều 66, 68, 69, 73 before 2024; Nghị định
98/2023/NĐ-CP; Nghị định 152/2025/NĐ-CP Điều 49, 50, 54 from 01/7/2025). The rules, the same in
substance under all three (as Nghị định 152/2025/NĐ-CP, Điều 49, words them):
- khoản 1: the base salary (mức lương cơ sở) in force when the decision is issued — the levels
  and their dates are data, rules/luong-co-so.yaml;
- khoản 2: the product is rounded up to tens of thousands of đồng;
- khoản 5: a subject who gets several danh hiệu thi đua at the same time for the same period
  receives the money of the highest one only;
- khoản 6, 7: hình thức khen thưởng for different achievements, and a danh hiệu together with
  a hình thức, are each paid.
Within one decision every line is "at the same time" and for the movement's year, so the same
period and the same achievement: of several danh hiệu only the highest is paid, and of several
hình thức only the highest (Luật Thi đua, khen thưởng 2022, Điều 5 khoản 2 điểm c: không khen
thưởng nhiều lần, nhiều hình thức cho một thành tích)."""

from collections import defaultdict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_CEILING, Decimal
from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError
from sqlmodel import Session, col, select

from models import Decision, DecisionItem, Nomination
from thidua.errors import InvalidInput, Problem
from thidua.filecache import read_once
from thidua.rules.ruleset import KINDS, RuleSet, rules_dir
from thidua.vn import long_date, nfc, today

BASE_SALARY_FILE = "luong-co-so.yaml"
ROUND_TO = Decimal(10_000)  # làm tròn số lên hàng chục nghìn đồng (every decree)
HIGHEST_TITLE = (
    "cùng thời gian tính thành tích với danh hiệu «{other}»: chỉ nhận tiền thưởng danh hiệu "
    "cao nhất"
)
HIGHEST_FORM = (
    "cùng một thành tích với «{other}»: không khen thưởng nhiều hình thức cho một thành tích, "
    "chỉ nhận tiền thưởng hình thức cao nhất"
)


@dataclass(frozen=True)
class BaseSalary:
    since: date
    amount: Decimal
    basis: str
    unverified: str | None = None


@dataclass(frozen=True)
class Line:
    """One awarded title in a decision."""

    key: Hashable  # the caller's id for the line (a DecisionItem id)
    subject_key: str  # "person:12" / "unit:3": who receives it
    subject_kind: str  # individual | collective
    title: str


@dataclass(frozen=True)
class Priced:
    key: Hashable
    amount: Decimal | None  # None: the rule set gives the title no money
    note: str | None = None  # why a line with a multiple is paid nothing


def base_salaries(path: Path | None = None) -> tuple[BaseSalary, ...]:
    """The levels of the base salary, oldest first, from rules/luong-co-so.yaml."""
    path = path or rules_dir() / BASE_SALARY_FILE
    if not path.is_file():
        raise InvalidInput(
            f"Không tìm thấy bảng mức lương cơ sở {path.name} (thư mục {path.parent})"
        )
    return read_once(path, _read)


def _read(path: Path) -> tuple[BaseSalary, ...]:
    def bad(field: str, reason: str, line: int | None = None) -> InvalidInput:
        where = f"{path.name}:{line + 1}" if line is not None else path.name
        return InvalidInput(
            f"Bảng mức lương cơ sở {path.name} không hợp lệ", [Problem(field, reason, where)]
        )

    try:
        data = YAML(typ="rt").load(path.read_text(encoding="utf-8"))
    except (YAMLError, UnicodeDecodeError) as e:
        raise bad("tệp", f"không đọc được ({str(e).splitlines()[0]})") from None
    levels = data.get("levels") if isinstance(data, dict) else None
    if not isinstance(levels, list) or not levels:
        raise bad("levels", "phải là danh sách các mức (since, amount, basis)")
    out: list[BaseSalary] = []
    for i, item in enumerate(levels):
        field = f"levels[{i + 1}]"
        line = getattr(getattr(item, "lc", None), "line", None)
        if not isinstance(item, dict):
            raise bad(field, "phải là một bảng since, amount, basis", line)
        since, amount, basis = item.get("since"), item.get("amount"), item.get("basis")
        if not isinstance(since, date):
            raise bad(f"{field}.since", f"'{since}' không phải là ngày (ví dụ 2024-07-01)", line)
        if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
            raise bad(f"{field}.amount", f"'{amount}' phải là số đồng, số nguyên dương", line)
        if not basis:
            raise bad(f"{field}.basis", "thiếu văn bản quy định mức lương cơ sở", line)
        if out and since <= out[-1].since:
            raise bad(f"{field}.since", "các mức phải theo thứ tự ngày hiệu lực tăng dần", line)
        source = nfc(str(item.get("source") or "")) or None
        out.append(BaseSalary(since, Decimal(amount), nfc(str(basis)),
                              source if item.get("unverified") else None))  # fmt: skip
    return tuple(out)


def base_salary_on(day: date, levels: Iterable[BaseSalary] | None = None) -> BaseSalary:
    """The level in force on `day` (Điều 68 khoản 1 Nghị định 91/2017/NĐ-CP; Điều 49 khoản 1
    Nghị định 152/2025/NĐ-CP)."""
    levels = tuple(levels if levels is not None else base_salaries())
    in_force = [b for b in levels if b.since <= day]
    if not in_force:
        raise InvalidInput(
            f"Bảng mức lương cơ sở không có mức nào có hiệu lực vào {long_date(day)}: "
            f"mức sớm nhất từ {long_date(levels[0].since)}."
        )
    return in_force[-1]


def money(multiple: Decimal, base: Decimal) -> Decimal:
    """multiple × base, rounded up to tens of thousands of đồng (Điều 68 khoản 2 Nghị định
    91/2017/NĐ-CP; Điều 49 khoản 2 Nghị định 152/2025/NĐ-CP)."""
    return ((multiple * base) / ROUND_TO).to_integral_value(rounding=ROUND_CEILING) * ROUND_TO


def price(lines: Iterable[Line], rule_set: RuleSet, base: Decimal) -> dict[Hashable, Priced]:
    """The money of each line of one decision, one danh hiệu and one hình thức per subject."""
    out: dict[Hashable, Priced] = {}
    groups: dict[tuple[str, str], list[tuple[Line, Decimal]]] = defaultdict(list)
    for line in lines:
        title = rule_set.titles.get(line.title)
        multiple = title.reward.multiple(line.subject_kind) if title and title.reward else None
        if title is None or multiple is None:
            out[line.key] = Priced(line.key, None)
            continue
        kind = title.kind if title.kind in KINDS else "danh_hieu"
        groups[line.subject_key, kind].append((line, multiple))
    for (_, kind), items in groups.items():
        best, best_multiple = max(items, key=lambda item: item[1])  # first of equals wins
        out[best.key] = Priced(best.key, money(best_multiple, base))
        other = rule_set.title_name(best.title)
        note = HIGHEST_TITLE if kind == "danh_hieu" else HIGHEST_FORM
        basis = rule_set.highest_title_basis if kind == "danh_hieu" else rule_set.highest_form_basis
        note = note + (f" ({basis})" if basis else "")
        for line, _ in items:
            if line.key != best.key:
                out[line.key] = Priced(line.key, Decimal(0), note.format(other=other))
    return out


def price_decision(
    session: Session, decision: Decision, rule_set: RuleSet
) -> dict[Hashable, Priced]:
    """Set the amount of every line of a decision (or proposal) from the base salary in force
    on its date — the signing date once signed, today while it is a draft."""
    items = list(session.exec(select(DecisionItem).where(DecisionItem.decision_id == decision.id)))
    noms = {
        n.id: n
        for n in session.exec(
            select(Nomination).where(col(Nomination.id).in_([i.nomination_id for i in items]))
        )
    }
    base = base_salary_on(decision.signed_on or today()).amount
    lines = [
        Line(i.id, noms[i.nomination_id].subject_key, noms[i.nomination_id].subject_kind, i.title)
        for i in items
        if i.revoked_at is None
    ]
    priced = price(lines, rule_set, base)
    for item in items:
        if item.id in priced and item.amount != priced[item.id].amount:
            item.amount = priced[item.id].amount
            session.add(item)
    return priced
