"""Put the three seed directives (tests/data/spec/seeds/*.txt) into Word files, the form an
office holds them in: one paragraph per line of the text, emphasis marks dropped.

Run from the repo root: `uv run python scripts/seeds-to-docx.py [OUT_DIR]` (default
demo-data/seeds). bench/spec_draft.py and the tests call `seed_to_docx` directly."""

import sys
from pathlib import Path

import docx

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "tests" / "data" / "spec" / "seeds"


def seed_to_docx(seed: Path, out: Path) -> Path:
    d = docx.Document()
    for line in seed.read_text(encoding="utf-8").splitlines():
        line = line.replace("**", "").replace("|", "").strip()
        if line:
            d.add_paragraph(line.replace("*", ""))
    out.parent.mkdir(parents=True, exist_ok=True)
    d.save(str(out))
    return out


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "demo-data" / "seeds"
    for seed in sorted(SEEDS.glob("*.txt")):
        print(seed_to_docx(seed, out / f"{seed.stem}.docx"))


if __name__ == "__main__":
    main()
