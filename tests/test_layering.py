"""The domain (thidua/) has no Prefect: not one import of it, not even inside a function.
Running stages is the runtime's (flows/: the flows, flows/start.py, the local server in
flows/server.py); the domain is handed a stage starter by its caller. Only the command line and
the portal, which start stages, may reach flows/ (inside a command or at the app's creation)."""

import ast
from pathlib import Path

from thidua.settings import PROJECT_ROOT

DOMAIN = PROJECT_ROOT / "thidua"
ADAPTERS = ("cli", "web")  # they start stages: they may call the runtime


def _imports(path: Path) -> list[tuple[int, str]]:
    """(line, module) of every import in the file, at any depth."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return found


def _top(module: str) -> str:
    return module.split(".")[0]


def _offending(top: str, *, skip: tuple[str, ...] = ()) -> list[str]:
    out = []
    for path in sorted(DOMAIN.rglob("*.py")):
        rel = path.relative_to(DOMAIN)
        if rel.parts[0] in skip:
            continue
        out += [f"thidua/{rel}:{line} {m}" for line, m in _imports(path) if _top(m) == top]
    return out


def test_no_module_under_thidua_imports_prefect() -> None:
    assert _offending("prefect") == []


def test_only_the_cli_and_the_portal_reach_the_runtime() -> None:
    assert _offending("flows", skip=ADAPTERS) == []


def test_the_scan_sees_imports_inside_functions(tmp_path: Path) -> None:
    sample = tmp_path / "m.py"
    sample.write_text("def f():\n    from prefect.states import Completed\n    import prefect\n")
    assert [_top(m) for _, m in _imports(sample)] == ["prefect", "prefect"]


def test_the_command_line_loads_no_database_layer_to_print_its_help():
    """`thidua --help` stays quick: command modules import the domain inside each command."""
    import subprocess
    import sys

    code = (
        "import sys, thidua.cli; "
        "print(sorted(m for m in ('sqlalchemy', 'sqlmodel', 'models', 'openpyxl', 'prefect') "
        "if m in sys.modules))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True, cwd=PROJECT_ROOT).stdout.strip()  # fmt: skip
    assert loaded == "[]", f"imported when the CLI loads: {loaded}"
