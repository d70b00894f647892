"""Which law a movement is judged by: every rule set (rules/*.yaml) and every authority profile
(rules/authorities/*.yaml) says when it is the law, `in_force: {from, until, note}`, and a
movement's rule set and profile must be in force on the day its decision is expected.

The decision is what applies them: its criteria, reward money and căn cứ are those of the texts
in force on its date (a 2022 decision cites Nghị định 91/2017/NĐ-CP, not a decree of 2025). When
the spec is checked the decision is not signed yet; its expected day is the council's deadline
(the appraisal and vote end there and the head signs right after), else the last day of the
movement's year.
"""

import datetime as dt
from dataclasses import dataclass
from typing import Any

from thidua.vn import short_date


@dataclass(frozen=True)
class InForce:
    """From `start` to `end` (both included); None: open on that side."""

    start: dt.date | None = None
    end: dt.date | None = None
    note: str = ""  # why it ends, e.g. "cấp huyện không còn từ ngày 01/7/2025"

    def covers(self, day: dt.date) -> bool:
        return (self.start is None or self.start <= day) and (self.end is None or day <= self.end)

    def text(self) -> str:
        """ "từ ngày 01/10/2017 đến hết ngày 31/12/2023", "từ ngày 01/7/2025"."""
        parts = []
        if self.start:
            parts.append(f"từ ngày {short_date(self.start)}")
        if self.end:
            parts.append(f"đến hết ngày {short_date(self.end)}")
        return " ".join(parts) or "không giới hạn"


ALWAYS = InForce()


def parse(node: Any) -> tuple[InForce, list[tuple[str, str]]]:
    """`in_force` as written in a YAML file, and its problems as (field, reason): dates as
    2017-10-01, `from` not after `until`, no other field."""
    if node is None:
        return ALWAYS, []
    if not isinstance(node, dict):
        return ALWAYS, [("in_force", "phải là một bảng from, until (ví dụ from: 2017-10-01)")]
    problems: list[tuple[str, str]] = []
    for key in node:
        if key not in {"from", "until", "note"}:
            problems.append((f"in_force.{key}", "trường không có trong định dạng (có: from, "
                             "note, until)"))  # fmt: skip
    dates: dict[str, dt.date | None] = {}
    for key in ("from", "until"):
        value = node.get(key)
        if value is not None and (not isinstance(value, dt.date) or isinstance(value, dt.datetime)):
            problems.append((f"in_force.{key}", f"'{value}' không phải là ngày (ví dụ 2017-10-01)"))
            value = None
        dates[key] = value
    start, end = dates["from"], dates["until"]
    if start and end and start > end:
        problems.append(("in_force.until", "ngày hết hiệu lực trước ngày có hiệu lực"))
    note = node.get("note") or ""
    if not isinstance(note, str):
        problems.append(("in_force.note", "phải là một câu"))
        note = ""
    return InForce(start, end, " ".join(note.split())), problems


def expected_decision_day(spec: Any, ok: Any = None) -> tuple[dt.date, str] | None:
    """The day the movement's decision is expected and where it comes from (said in messages):
    the council's deadline (of the movement's year or the next January; another check refuses
    any other), else the last day of the year."""
    ok = ok or (lambda *names: True)
    if not ok("year"):
        return None
    year = spec.year
    council = [
        d.due_on for d in (spec.deadlines if ok("deadlines") else [])
        if d.kind == "council_vote" and d.due_on.year in (year, year + 1)
    ]  # fmt: skip
    if council:
        return council[0], "hạn Hội đồng Thi đua - Khen thưởng xét, biểu quyết"
    return dt.date(year, 12, 31), f"cuối năm {year}"
