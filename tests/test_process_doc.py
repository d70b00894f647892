"""docs/PROCESS.md says what the code does: its map is lifecycle.PROCESS row for row, its stage
table has every stage with the flow that runs it, and every file it links to exists."""

import re

from thidua.lifecycle import PROCESS
from thidua.settings import PROJECT_ROOT

DOC = PROJECT_ROOT / "docs" / "PROCESS.md"
TEXT = DOC.read_text(encoding="utf-8")


def _table(after: str) -> list[list[str]]:
    """The rows (cells stripped) of the first table after the heading `after`."""
    lines = TEXT.split(f"## {after}", 1)[1].splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.startswith("|"))
    rows = []
    for ln in lines[start:]:
        if not ln.startswith("|"):
            break
        rows.append([c.strip() for c in ln.strip().strip("|").split("|")])
    return rows[2:]  # past the header and its rule


def test_the_map_is_the_code_s_table_row_for_row() -> None:
    path = {None: "", 1: "1 đợt", 2: "2 đợt"}
    expected = [
        [d.name, s.name, s.source.value, s.target.value,
         ", ".join(g.__name__.lstrip("_") for g in s.guards), path[s.periods]]
        for d in PROCESS
        for s in d.steps
    ]  # fmt: skip
    assert _table("The map") == expected


def test_every_stage_has_its_parts_and_its_flow() -> None:
    rows = {name.strip(): r for r in _table("Each stage's parts") for name in r[0].split(",")}
    assert set(rows) == {d.name for d in PROCESS}
    for d in PROCESS:
        module, func = d.entrypoint.split(":")
        assert f"](../{module})" in rows[d.name][1] and f"`{func}`" in rows[d.name][1], d.name


def test_every_link_leads_to_a_file() -> None:
    links = re.findall(r"\]\((\.\./[^)#]+)\)", TEXT)
    assert len(links) > 50
    missing = [x for x in links if not (DOC.parent / x).resolve().exists()]
    assert missing == []
