"""Mutated input, for CI: 2,000 specs (alias bombs and deep nesting among them) and 500
organisation workbooks. Each is refused with problems (or accepted), never a traceback, never
over 5 s, and a refused workbook leaves the database as it was."""

import io
import random
import time
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlmodel import Session, func, select

from models import AuditEvent, Block, Person, Unit
from models.db import engine_for
from tests.test_orgdata import fill
from thidua.errors import InvalidInput
from thidua.orgdata import import_org
from thidua.spec_load import parse_spec

SPECS = Path(__file__).parent / "data" / "spec"
NASTY = [
    "\x00", "\u200b", "\u202e", "\ufeff", "²", "١٢", "9" * 30, "-1", "1e309", "nan", "~",
    "&a", "*a", "*zz", "!!python/object:os.system", "{", "[", "]", "}", ":", "- ", "? ",
    "|", ">", "'", '"', "#", "\t", "%YAML 1.1", "---", "...", "<<: *a", "@", "`",
    "2022-02-30", "2022-13-01", "x" * 5000, "Ð\u0301" * 50,
]  # fmt: skip


def _bomb(rng: random.Random) -> str:
    width, depth = rng.randint(5, 12), rng.randint(6, 10)
    out = [f"l0: &l0 [{','.join(['lol'] * width)}]"]
    out += [f"l{i}: &l{i} [{','.join([f'*l{i - 1}'] * width)}]" for i in range(1, depth)]
    return "\n".join(out) + "\n"


def _mutate_spec(text: str, rng: random.Random) -> str:
    lines = text.splitlines()
    for _ in range(rng.randint(1, 4)):
        op = rng.randrange(9)
        i = rng.randrange(len(lines) + 1)
        if op == 0 and lines:
            del lines[min(i, len(lines) - 1)]
        elif op == 1 and lines:
            lines.insert(i, lines[rng.randrange(len(lines))])
        elif op == 2 and lines:
            j = min(i, len(lines) - 1)
            k = rng.randrange(len(lines[j]) + 1)
            lines[j] = lines[j][:k] + rng.choice(NASTY) + lines[j][k:]
        elif op == 3:
            lines.insert(i, _bomb(rng))
        elif op == 4:
            n = rng.choice([50, 200, 2000])
            lines.insert(i, "deep: " + "[" * n + "]" * n)
        elif op == 5:
            n = rng.choice([45, 300])
            lines[i:i] = ["  " * d + f"k{d}:" for d in range(n)] + ["  " * n + "v"]
        elif op == 6 and lines:
            j = min(i, len(lines) - 1)
            lines[j] = " " * rng.randint(0, 5) + lines[j].strip()
        elif op == 7 and lines:
            j = min(i, len(lines) - 1)
            key, _, _ = lines[j].partition(":")
            lines[j] = f"{key}: {rng.choice(NASTY)}"
        else:
            cut = rng.randrange(len("\n".join(lines)) + 1)
            lines = "\n".join(lines)[:cut].splitlines()
    return "\n".join(lines) + "\n"


def test_two_thousand_mutated_specs_end_in_problems_not_tracebacks(tmp_path: Path):
    bases = [p.read_text("utf-8") for p in sorted(SPECS.glob("*.yaml"))]
    rng = random.Random(2026)
    slowest, refused = 0.0, 0
    path = tmp_path / "spec.yaml"
    for n in range(2000):
        text = _mutate_spec(rng.choice(bases), rng)
        path.write_text(text, "utf-8", errors="surrogatepass")
        t = time.perf_counter()
        try:
            spec, problems = parse_spec(path)
        except Exception as e:  # pragma: no cover - the failure this test exists to catch
            pytest.fail(f"mutant {n}: {type(e).__name__}: {e}\n{text[:2000]}")
        took = time.perf_counter() - t
        slowest = max(slowest, took)
        assert took < 5, f"mutant {n} took {took:.1f} s\n{text[:2000]}"
        assert (spec is None) == bool(problems)
        refused += spec is None
        assert all(p.reason and "Traceback" not in p.reason for p in problems)
    assert refused > 1500  # the mutations bite
    print(f"2000 specs: {refused} refused, slowest {slowest * 1000:.0f} ms")


NASTY_CELLS = [
    "\x00", "\u200b", "SCT\u200b", "\u202eSCT", "²", "١٢", str(2**63), 2**63, -(2**63) - 1,
    1e308, float("inf"), "=1+1", "=HYPERLINK(\"http://x\")", "x" * 40_000, "", None, " ",
    "0912\u0663456789", "09١٢٣٤٥٦٧٨", "a@b", "SCT, SCT-VP", "thủ trưởng, ??", 3.5, True,
]  # fmt: skip


def _fingerprint(s: Session) -> tuple:
    return tuple(
        s.exec(select(func.count()).select_from(m)).one() for m in (Unit, Block, Person, AuditEvent)
    )


def _cell_mutant(base: bytes, rng: random.Random) -> bytes:
    wb = load_workbook(io.BytesIO(base))
    for _ in range(rng.randint(1, 3)):
        ws = wb[rng.choice(["Đơn vị", "Khối thi đua", "Cán bộ"])]
        row, col = rng.randint(1, ws.max_row + 1), rng.randint(1, ws.max_column + 1)
        try:
            ws.cell(row=row, column=col, value=rng.choice(NASTY_CELLS))
        except Exception:  # openpyxl itself refuses some values (NUL: IllegalCharacterError)
            continue
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _zip_mutant(base: bytes, rng: random.Random) -> bytes:
    """Damage the bytes of one part (a sheet, the shared strings, the workbook)."""
    zin = zipfile.ZipFile(io.BytesIO(base))
    victim = rng.choice([i.filename for i in zin.infolist() if i.filename.endswith(".xml")])
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item)
            if item.filename == victim:
                data = bytearray(data)
                op = rng.randrange(3)
                if op == 0:
                    data = data[: rng.randrange(len(data))]
                elif op == 1:
                    for _ in range(rng.randint(1, 20)):
                        data[rng.randrange(len(data))] = rng.randrange(256)
                else:
                    k = rng.randrange(len(data))
                    data[k:k] = rng.choice([b"<c><v>1</v>", b"<row r='99999999999'>", b"&lol;"])
                data = bytes(data)
            zout.writestr(item, data)
    raw = out.getvalue()
    if rng.random() < 0.1:  # now and then, damage the zip itself
        cut = rng.randrange(len(raw))
        raw = raw[:cut]
    return raw


def test_five_hundred_mutated_workbooks_refuse_cleanly_and_write_nothing(
    sqlite_url: str, tmp_path: Path
):
    base = fill(tmp_path / "base.xlsx").read_bytes()
    rng = random.Random(15)
    path = tmp_path / "org.xlsx"
    refused = slowest = 0.0
    with Session(engine_for(sqlite_url)) as s:
        before = _fingerprint(s)
        for n in range(500):
            path.write_bytes(_cell_mutant(base, rng) if n % 2 else _zip_mutant(base, rng))
            t = time.perf_counter()
            try:
                import_org(s, path, actor="fuzz")
            except InvalidInput as e:
                refused += 1
                assert e.problems and all(p.where for p in e.problems), e
                assert _fingerprint(s) == before, f"mutant {n} wrote something: {e}"
            except Exception as e:  # pragma: no cover - the failure this test exists to catch
                pytest.fail(f"mutant {n}: {type(e).__name__}: {e}")
            finally:
                s.rollback()  # an accepted one is undone: every mutant starts from the same base
            took = time.perf_counter() - t
            slowest = max(slowest, took)
            assert took < 5, f"mutant {n} took {took:.1f} s"
        assert _fingerprint(s) == before
    assert refused > 200
    print(f"500 workbooks: {int(refused)} refused, slowest {slowest * 1000:.0f} ms")
