"""Benchmark: how much of each hand-written example spec `thidua spec draft` gets right.

    uv run python bench/spec_draft.py

The three seed directives are put into .docx (scripts/seeds-to-docx.py) and drafted; each draft
is compared, field by field, with the example written by hand from the same directive
(examples/*.yaml). A field is a (name, value) pair: issuer, number, date, summary, each
addressee, slogan, preamble, each section heading and item (its number and first words), each
legal basis (number and date), each target (label, figure, unit, growth), each period (dates),
closing, signer, each copy line. recall = right fields / fields of the example; precision =
right fields / fields of the draft. Baseline in the same run: the draft of the plain .txt seed
(the .docx reading must lose nothing). Goal: recall >= 0.9 on targets and legal bases.
Ends with one line: RESULT spec_draft recall=… precision=… …
"""

import importlib.util
import sys
import tempfile
import time
from collections import Counter
from datetime import date
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ruamel.yaml import YAML  # noqa: E402

from thidua.spec_draft import draft_data, draft_spec, read_directive  # noqa: E402
from thidua.spec_load import load_spec  # noqa: E402

PAIRS = {
    "hanam-sct-2022.yaml": "hanam-sct-2022-cong-van-phat-dong.txt",
    "quangngai-sct-2021.yaml": "quangngai-sct-2021-cong-van.txt",
    "tamduong-ubnd-2024.yaml": "tamduong-ubnd-2024-chi-thi.txt",
}
GOAL = 0.9


def _seeds_to_docx():
    spec = importlib.util.spec_from_file_location("seeds", ROOT / "scripts" / "seeds-to-docx.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.seed_to_docx


def _t(value) -> str:
    return " ".join(str(value).split()) if value not in (None, "") else ""


def _num(value) -> str:
    return "" if value is None else format(Decimal(str(value)).normalize(), "f")


def _items(items, out: list[str]) -> None:
    for it in items:
        first = _t(it["text"]).split("\n")[0][:60]
        out.append(f"item:{it.get('number') or ''}|{first}")
        _items(it.get("items") or [], out)


def fields(data: dict) -> Counter:
    """The comparable fields of a spec given as plain data (the example's or the draft's)."""
    out: list[str] = []
    for box, names in (
        ("issuer", ("agency", "agency_code", "parent_agency")),
        ("document", ("kind", "number", "symbol", "place", "date", "summary")),
        ("signer", ("prefix", "title", "name")),
    ):
        for n in names:
            if v := _t((data.get(box) or {}).get(n)):
                out.append(f"{box}.{n}:{v}")
    for n in ("theme", "preamble", "closing"):
        if v := _t(data.get(n)):
            out.append(f"{n}:{v}")
    out += [f"addressee:{_t(a)}" for a in data.get("addressees") or []]
    out += [f"copy:{_t(c)}" for c in data.get("copies") or []]
    for b in data.get("legal_bases") or []:
        out.append(f"basis:{b['number']}|{b.get('date') or ''}")
    for sec in data.get("contents") or []:
        if sec.get("section"):
            out.append(f"section:{_t(sec['section'])}")
        _items(sec.get("items") or [], out)
    for t in data.get("targets") or []:
        out.append(
            f"target:{_t(t['label'])}|{_num(t['value'])}|{t['unit']}|{_num(t.get('growth_pct'))}"
        )
    year = int(data.get("year") or 0)
    periods = data.get("periods") or [
        {"number": 1, "starts_on": date(year, 1, 1), "ends_on": date(year, 12, 31)}
    ]
    out += [f"period:{p['number']}|{p['starts_on']}|{p['ends_on']}" for p in periods]
    return Counter(out)


def example_data(path: Path) -> dict:
    spec = load_spec(path)  # the example must be valid; its data as written
    del spec
    y = YAML(typ="safe")
    return y.load(path.read_text(encoding="utf-8"))


def score(expected: Counter, got: Counter, prefix: str | None = None) -> tuple[int, int, int]:
    if prefix:
        expected = Counter({k: v for k, v in expected.items() if k.startswith(prefix)})
        got = Counter({k: v for k, v in got.items() if k.startswith(prefix)})
    right = sum((expected & got).values())
    return right, sum(expected.values()), sum(got.values())


def main() -> None:
    seed_to_docx = _seeds_to_docx()
    seeds = ROOT / "tests" / "data" / "spec" / "seeds"
    totals: dict[str, list[int]] = {"all": [0, 0, 0], "txt": [0, 0, 0], "target:": [0, 0, 0],
                                    "basis:": [0, 0, 0]}  # fmt: skip
    seconds = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        for example, seed in PAIRS.items():
            expected = fields(example_data(ROOT / "examples" / example))
            docx_path = seed_to_docx(seeds / seed, Path(tmp) / f"{Path(seed).stem}.docx")
            start = time.perf_counter()
            got = fields(draft_data(draft_spec(read_directive(docx_path)))[0])
            seconds += time.perf_counter() - start
            baseline = fields(draft_data(draft_spec(read_directive(seeds / seed)))[0])
            right, n_exp, n_got = score(expected, got)
            print(f"{example}: recall {right}/{n_exp} = {right / n_exp:.2f}, "
                  f"precision {right}/{n_got} = {right / max(n_got, 1):.2f}")  # fmt: skip
            runs = {"all": got, "txt": baseline, "target:": got, "basis:": got}
            for key, gt in runs.items():
                r = score(expected, gt, None if key in ("all", "txt") else key)
                totals[key] = [a + b for a, b in zip(totals[key], r, strict=True)]
            missed = sorted((expected - got).elements())
            for m in missed[:8]:
                print(f"  missed  {m[:110]}")
            if len(missed) > 8:
                print(f"  … and {len(missed) - 8} more")

    def ratio(key: str, which: int) -> float:
        right, n_exp, n_got = totals[key]
        return right / max(n_exp if which == 0 else n_got, 1)

    recall, precision = ratio("all", 0), ratio("all", 1)
    t_recall, b_recall = ratio("target:", 0), ratio("basis:", 0)
    status = "ok" if min(t_recall, b_recall) >= GOAL else "BELOW_GOAL"
    print(
        f"RESULT spec_draft recall={recall:.3f} precision={precision:.3f} "
        f"targets_recall={t_recall:.3f} bases_recall={b_recall:.3f} "
        f"baseline_txt_recall={ratio('txt', 0):.3f} "
        f"ratio={recall / max(ratio('txt', 0), 1e-9):.2f} "
        f"draft_s={seconds:.3f} goal={GOAL} status={status}"
    )


if __name__ == "__main__":
    main()
