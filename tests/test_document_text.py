"""Every document the lifecycle writes reads as an office would write it (issue 10, item 6).

The demo's movement and every example spec (examples/*.yaml) run through the whole lifecycle
at a small size (thidua.demo.run_demo, the same as `thidua demo --spec PATH`); then every
generated .docx is read back and must have
- no unrendered placeholder ({{ }}, {% %});
- no machine string (MACHINE below: ids, field names, snake_case, English words);
- vote percentages over the council's whole membership (read from the minutes' table, checked
  against the council's members in the database);
- no awarded item that fails its rules without a recorded exception (the rules engine run on
  the decision's items);
- the names of every list in Vietnamese collation (thidua.vn: people by given name then full
  name, collectives by name), within each award of the list. Tables of units (registration
  summary, reports) follow the organisation's own order and are not checked here;
- in the decision, the Tờ trình and the launch document, only căn cứ in force on the document's
  date, none dated after it (a 2022 decision cites Nghị định 91/2017/NĐ-CP, not 152/2025).
The emails of the year are read the same way (no machine text, no file path).
"""

import calendar
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

import docx
import pytest
from sqlmodel import select

from thidua import vn
from thidua.settings import PROJECT_ROOT, reset_settings

SPECS = sorted((PROJECT_ROOT / "examples").glob("*.yaml"))

# Field names of the program's records: one followed by ":" (or "=", "|") is a record dumped
# into the text ("name: SK 0, level: co_so", "achievement_kind | phong_trao"). Vietnamese words
# spelt without diacritics ("như sau:", "Thời gian:") are not on the list.
FIELDS = (
    "name", "level", "unit", "person", "title", "status", "kind", "note", "id", "code",
    "value", "type", "rule", "reason", "actor", "facts", "members", "rating", "subject",
)  # fmt: skip
# Machine strings, as data: a pattern and what it catches.
MACHINE: list[tuple[str, str]] = [
    (r"\{\{|\}\}|\{%|%\}", "placeholder not rendered"),
    (r"\b(?:unit|person|nomination|decision|meeting|user):\S", "an internal key"),
    (r"\b[a-z]+_[a-z0-9_]+\b", "a field name (snake_case)"),
    (r"\b(?:None|True|False|null|NaN)\b", "a program value"),
    (r"(?<![\w/])(?:" + "|".join(FIELDS) + r")\s*[:=|]", "a field name before ':'"),
    (r"\bDV\d{3,}\b", "a unit code"),
    (r"\bnomination-\d+|\bdecision-\d+", "a file or record name"),
]
# English words that have no place in a Vietnamese official document (lower case, whole
# words; Vietnamese words spelt the same without diacritics, such as "to" or "an", are not).
ENGLISH = {
    "the", "and", "of", "for", "with", "from", "true", "false", "none", "null", "status",
    "level", "name", "title", "submitted", "accepted", "returned", "pending", "draft", "yes",
    "unit", "person", "rule", "check", "failed", "error", "todo", "quota", "facts", "id",
    "kind", "note", "total", "count", "phong_trao", "co_so", "leader", "self", "council",
}  # fmt: skip
_WORD = re.compile(r"[^\W\d_]+")


@dataclass
class Run:
    spec: str
    docs: dict[str, list[str]] = field(default_factory=dict)  # file → paragraphs and cells
    tables: dict[str, list[list[list[str]]]] = field(default_factory=dict)
    council_size: int = 0
    people: set[str] = field(default_factory=set)
    unexcused: list[str] = field(default_factory=list)  # awarded, failing, no exception


def _read(path: Path) -> tuple[list[str], list[list[list[str]]]]:
    d = docx.Document(str(path))
    texts = [p.text for p in d.paragraphs]
    tables = []
    for t in d.tables:
        rows = [[c.text for c in r.cells] for r in t.rows]
        tables.append(rows)
        texts += [c for r in rows for c in r]
    for s in d.sections:
        texts += [p.text for p in s.header.paragraphs + s.footer.paragraphs]
    return texts, tables


def _collect(result) -> Run:
    """Every document of a finished demo run, read back, and what the checks need from its
    database (the current settings point at the run's data directory)."""
    from models import Council, CouncilMember, Decision, DecisionItem, Person
    from models.db import session_scope
    from thidua.movements import find_movement
    from thidua.rules import check_all

    run = Run(Path(result.data_dir).name)
    for f in sorted((result.data_dir / "documents").rglob("*.docx")):
        run.docs[str(f.relative_to(result.data_dir))], run.tables[str(f)] = _read(f)
    with session_scope() as s:
        m = find_movement(s, result.movement)
        council = s.exec(select(Council).where(Council.movement_id == m.id)).one()
        run.council_size = len(
            s.exec(select(CouncilMember).where(CouncilMember.council_id == council.id)).all()
        )
        run.people = {p.full_name for p in s.exec(select(Person))}
        excepted = _exceptions(s)
        checks = {c.nomination_id: c for c in check_all(s, m)}
        awarded = s.exec(
            select(DecisionItem)
            .join(Decision, Decision.id == DecisionItem.decision_id)
            .where(Decision.movement_id == m.id, Decision.kind == "decision")
        ).all()
        for it in awarded:
            c = checks.get(it.nomination_id)
            if it.revoked_at is not None or c is None:
                continue
            open_ = [f for f in c.failures if f.rule_id not in excepted.get(it.nomination_id, ())]
            run.unexcused += [f"hồ sơ {it.nomination_id}: {f.reason}" for f in open_]
    return run


def _exceptions(session) -> dict[int, set[str]]:
    """Recorded exceptions by nomination (none where the model does not exist yet)."""
    import models.awards

    model = getattr(models.awards, "NominationException", None)
    out: dict[int, set[str]] = {}
    if model is None:
        return out
    for e in session.exec(select(model)):
        out.setdefault(e.nomination_id, set()).add(e.rule_id)
    return out


@pytest.fixture(scope="module")
def runs(demo_runs) -> dict[str, Run]:
    """Every spec's whole year (conftest.demo_runs: one run each, shared with other tests),
    each read from its own data folder."""
    out = {}
    with pytest.MonkeyPatch.context() as mp:
        for name, result in demo_runs.items():
            mp.delenv("THIDUA_DATABASE_URL", raising=False)
            mp.setenv("THIDUA_DATA_DIR", str(result.data_dir))
            reset_settings()
            out[name] = _collect(result)
    reset_settings()
    return out


def _lines(run: Run):
    for name, texts in run.docs.items():
        for t in texts:
            if t.strip():
                yield name, t


@pytest.mark.slow
@pytest.mark.parametrize("spec", [s.stem for s in SPECS])
def test_no_placeholder_or_machine_text(runs, spec):
    run = runs[spec]
    assert run.docs, f"{spec}: no document written"
    kinds = {Path(n).parent.name for n in run.docs}
    assert {"decision", "minutes", "nominee_list", "registration_summary"} <= kinds, kinds
    bad = []
    for name, text in _lines(run):
        for pattern, what in MACHINE:
            for m in re.finditer(pattern, text):
                bad.append(f"{name}: {what}: {m.group(0)!r} in {text[:120]!r}")
        words = {w for w in _WORD.findall(text)} & ENGLISH
        bad += [f"{name}: English word {w!r} in {text[:120]!r}" for w in sorted(words)]
    assert not bad, "\n".join(bad[:40])


def _pct(text: str) -> Decimal:
    return vn.parse_number(text.strip().rstrip("%").strip())


@pytest.mark.slow
@pytest.mark.parametrize("spec", [s.stem for s in SPECS])
def test_vote_percentages_are_over_the_whole_council(runs, spec):
    run = runs[spec]
    checked, bad = 0, []
    for name, texts in run.docs.items():
        if "/minutes/" not in f"/{name}":
            continue
        for t in texts:  # "09/09 thành viên …": the council, whole
            for got, of in re.findall(r"(\d+)/(\d+) thành viên", t):
                if int(of) != run.council_size:
                    bad.append(f"{name}: {got}/{of} thành viên, Hội đồng có {run.council_size}")
    for path, tables in run.tables.items():
        if "/minutes/" not in path:
            continue
        for rows in tables:
            head = [h.strip() for h in rows[0]]
            if "Đồng ý" not in head or not any(h.startswith("Tỷ lệ") for h in head):
                continue
            yes_at = head.index("Đồng ý")
            pct_at = next(i for i, h in enumerate(head) if h.startswith("Tỷ lệ"))
            for r in rows[1:]:
                if not r[yes_at].strip().isdigit():
                    continue
                want = Decimal(int(r[yes_at]) * 100) / run.council_size
                if abs(_pct(r[pct_at]) - want) > Decimal("0.05"):
                    bad.append(f"{r[1]}: {r[pct_at]} ≠ {r[yes_at]}/{run.council_size}")
                checked += 1
    assert checked, f"{spec}: no vote table found in the minutes"
    assert not bad, "\n".join(bad[:20])


@pytest.mark.slow
@pytest.mark.parametrize("spec", [s.stem for s in SPECS])
def test_every_awarded_item_passes_its_rules_or_carries_an_exception(runs, spec):
    # The gate (rules before the ballot, re-checked when drafting) makes this true.
    assert not runs[spec].unexcused, "\n".join(runs[spec].unexcused[:20])


TITLE_COLUMNS = ("Danh hiệu, hình thức", "Hình thức đề nghị")


@pytest.mark.slow
@pytest.mark.parametrize("spec", [s.stem for s in SPECS])
def test_lists_are_in_vietnamese_collation(runs, spec):
    run = runs[spec]
    checked, bad = 0, []
    for path, tables in run.tables.items():
        for rows in tables:
            head = [h.strip() for h in rows[0]]
            if not head or not head[1].startswith("Họ và tên"):
                continue
            at = next((head.index(c) for c in TITLE_COLUMNS if c in head), None)
            if at is None:
                continue
            prev = None
            for r in rows[1:]:
                name = r[1].strip()
                if not name or name == "Tổng cộng":
                    continue
                person = name in run.people
                key = vn.person_key(name) if person else (vn.sort_key(name),)
                group = (r[at], person)
                if prev and prev[0] == group and key < prev[1]:
                    bad.append(f"{Path(path).parent.name}: {name!r} after {prev[2]!r}")
                prev = (group, key, name)
                checked += 1
    assert checked, f"{spec}: no list of names found"
    assert not bad, "\n".join(bad[:20])


# When each text a căn cứ may name is the law (test data, from rules/README.md and
# rules/authorities/README.md): keyed by the words the documents cite it with.
IN_FORCE: dict[str, tuple[date, date | None]] = {
    "Luật Thi đua, khen thưởng ngày 26 tháng 11 năm 2003": (date(2004, 7, 1), date(2023, 12, 31)),
    "Luật Thi đua, khen thưởng ngày 14 tháng 6 năm 2005": (date(2005, 6, 14), date(2023, 12, 31)),
    "Luật Thi đua, khen thưởng ngày 16 tháng 11 năm 2013": (date(2014, 6, 1), date(2023, 12, 31)),
    "Luật Thi đua, khen thưởng ngày 15 tháng 6 năm 2022": (date(2024, 1, 1), None),
    "91/2017/NĐ-CP": (date(2017, 10, 1), date(2023, 12, 31)),
    "12/2019/TT-BNV": (date(2019, 12, 20), date(2023, 12, 31)),
    "98/2023/NĐ-CP": (date(2024, 1, 1), date(2025, 6, 30)),
    "01/2024/TT-BNV": (date(2024, 2, 24), date(2025, 6, 30)),
    "152/2025/NĐ-CP": (date(2025, 7, 1), None),
    "15/2025/TT-BNV": (date(2025, 7, 1), None),
    "24/2014/NĐ-CP": (date(2014, 5, 20), date(2025, 2, 28)),
    "45/2025/NĐ-CP": (date(2025, 2, 28), None),
    "1041/QĐ-UBND": (date(2019, 6, 6), date(2024, 7, 14)),
    "30/2024/QĐ-UBND": (date(2024, 7, 15), None),
    "Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015": (date(2016, 1, 1),
                                                                   date(2025, 6, 30)),
    "Luật Tổ chức chính quyền địa phương ngày 16 tháng 6 năm 2025": (date(2025, 7, 1), None),
}  # fmt: skip
CITING = ("decision", "proposal_memo", "launch")  # the documents with a căn cứ
_LONG = re.compile(r"ngày (\d{1,2}) tháng (\d{1,2}) năm (\d{4})")
_SHORT = re.compile(r"ngày (\d{1,2})/(\d{1,2})/(\d{4})")


def _issued(texts: list[str]) -> date | None:
    """The document's own date, as its header writes it ("Hà Nam, ngày 08 tháng 12 năm 2022");
    a date left blank for the signer counts as the last day it may be."""
    for t in texts[:40]:
        if m := re.search(r", ngày (\d{2}) tháng (\d{1,2}) năm (\d{4})\s*$", t):
            return date(int(m[3]), int(m[2]), int(m[1]))
        if m := re.search(r", ngày\s+tháng (\d{1,2}) năm (\d{4})\s*$", t):
            y, mo = int(m[2]), int(m[1])
            return date(y, mo, calendar.monthrange(y, mo)[1])
        if m := re.search(r", ngày\s+tháng\s+năm (\d{4})\s*$", t):
            return date(int(m[1]), 12, 31)
    return None


def _cited_law(text: str) -> str:
    """ "Luật sửa đổi, bổ sung một số điều của Luật Thi đua, khen thưởng ngày 14 tháng 6 năm
    2005" is cited as the law of that date."""
    return text.replace("Luật sửa đổi, bổ sung một số điều của Luật Thi đua", "Luật Thi đua")


@pytest.mark.slow
@pytest.mark.parametrize("spec", [s.stem for s in SPECS])
def test_documents_cite_only_texts_in_force_on_their_date(runs, spec):
    run = runs[spec]
    bad, checked, laws = [], set(), set()
    for name, texts in run.docs.items():
        kind = Path(name).parent.name
        if kind not in CITING:
            continue
        issued = _issued(texts)
        assert issued, f"{name}: no date in its header"
        for t in texts:
            if not t.strip().startswith("Căn cứ"):
                continue
            checked.add(kind)
            for m in [*_LONG.finditer(t), *_SHORT.finditer(t)]:
                if date(int(m[3]), int(m[2]), int(m[1])) > issued:
                    bad.append(f"{name} ({issued}): cites a text dated {m[0]}: {t[:100]!r}")
            cited = _cited_law(t)
            for key, (start, end) in IN_FORCE.items():
                if key in cited:
                    laws.add(key)
                    if not (start <= issued and (end is None or issued <= end)):
                        bad.append(f"{name} ({issued}): {key} not in force: {t[:100]!r}")
    assert "decision" in checked, checked  # the check is not vacuous (a Tờ trình when drafted)
    assert any(k.startswith("Luật Thi đua") for k in laws), laws
    assert not bad, "\n".join(bad[:20])


def _bodies(outbox: Path):
    """The text of every email in the outbox, as its recipient reads it: one per template
    and subject (a year sends the same text to hundreds)."""
    import email
    from email import policy

    seen: set[str] = set()
    for path in sorted(outbox.rglob("*.eml")):
        with path.open("rb") as f:
            msg = email.message_from_binary_file(f, policy=policy.default)
        subject = str(msg["Subject"])
        if subject in seen:
            continue
        seen.add(subject)
        parts = [p for p in msg.walk() if p.get_content_type() == "text/plain"]
        text = "\n".join(p.get_content() for p in parts if not p.get_filename())
        yield path.name, f"{subject}\n{text}"


@pytest.mark.slow
@pytest.mark.parametrize("spec", [s.stem for s in SPECS])
def test_messages_read_as_an_office_writes_them(demo_runs, spec):
    """The emails too: no placeholder, internal key, file path or English word."""
    bodies = list(_bodies(demo_runs[spec].data_dir / "outbox"))
    assert len(bodies) > 5, f"{spec}: too few messages"
    bad = []
    for name, text in bodies:
        for line in text.splitlines():
            for pattern, what in [*MACHINE, (r"`|\.docx\b", "a file path")]:
                bad += [f"{name}: {what}: {line[:120]!r}" for _ in re.finditer(pattern, line)]
            words = {w for w in _WORD.findall(line)} & ENGLISH
            bad += [f"{name}: English word {w!r} in {line[:120]!r}" for w in sorted(words)]
    assert not bad, "\n".join(bad[:40])


@pytest.mark.slow
@pytest.mark.parametrize("spec", [s.stem for s in SPECS])
def test_the_decision_is_cited_by_the_date_it_bears(runs, spec, demo_runs):
    """The certificates and the units' notice name the decision by the date printed on it."""
    run = runs[spec]
    decisions = {n: t for n, t in run.docs.items() if Path(n).parent.name == "decision"}
    certificates = [t for n, t in run.docs.items() if Path(n).parent.name == "certificates"]
    if not decisions:
        pytest.skip(f"{spec}: no decision of the agency's own (a proposal upward only)")
    ((_, texts),) = decisions.items()
    dated = _issued(texts)
    assert dated is not None
    cited = {
        date(int(m[3]), int(m[2]), int(m[1]))
        for texts in certificates
        for t in texts
        for m in re.finditer(r"Quyết định số \S+ ngày (\d{1,2}) tháng (\d{1,2}) năm (\d{4})", t)
    }
    assert cited, "the certificates name no decision"
    assert cited == {dated}, (dated, cited)
    told = {
        date(int(m[3]), int(m[2]), int(m[1]))
        for _, text in _bodies(demo_runs[spec].data_dir / "outbox")
        if "đã ban hành Quyết định" in text
        for m in re.finditer(r"Ngày (\d{1,2})/(\d{1,2})/(\d{4}), .* đã ban hành Quyết định", text)
    }
    assert told == {dated}, (dated, told)
