"""Every command of the command line, with Prefect's server down, the database unreachable and
the data directory unwritable: one Vietnamese sentence (and the path of a log file when it is
not a refusal), exit code 1 or 2, never a traceback."""

import os
from pathlib import Path

import pytest

from tests.conftest import seed_prefect
from thidua.cli import main
from thidua.settings import PROJECT_ROOT, reset_settings

EXAMPLE = str(PROJECT_ROOT / "examples" / "hanam-sct-2022.yaml")
ORG = str(PROJECT_ROOT / "tests" / "data" / "org" / "csv")
M = "hanam-sct-2022"
DEAD_PREFECT = "http://127.0.0.1:9/api"  # the discard port: nothing listens there
DEAD_DATABASE = "postgresql+psycopg://thidua@127.0.0.1:9/thidua"


def commands(out: Path) -> list[list[str]]:
    return [
        ["status", M], ["db", "upgrade"], ["db", "current"],
        ["spec", "check", EXAMPLE], ["spec", "load", EXAMPLE],
        ["org", "template", str(out / "mau.xlsx")], ["org", "export", str(out / "to-chuc.xlsx")],
        ["org", "import", ORG], ["stage", "list"], ["stage", "run", M, "launch"],
        ["stage", "run", M, "khong-co"], ["rules", "check", "nd152-2025"],
        ["rules", "history-import", str(out / "khong-co.xlsx")], ["rules", "check-nominations", M],
        ["notify", "remind", M], ["notify", "retry", M], ["notify", "failures", M],
        ["web", "accounts-from-org", "--out", str(out / "tai-khoan.csv")],
        ["server", "status"], ["server", "start"], ["server", "stop"],
    ]  # fmt: skip


def run(args: list[str], capsys: pytest.CaptureFixture) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exit_:
        main(args)
    captured = capsys.readouterr()
    code = exit_.value.code
    return (code if isinstance(code, int) else 1), captured.out + captured.err


def unwritable(tmp_path: Path) -> Path:
    """A data directory this process cannot write to: read-only permissions, or (as root, whom
    permissions don't stop) a place under /sys, which is read-only to everyone."""
    if os.geteuid() == 0:
        return Path("/sys/thidua-test-data")
    d = tmp_path / "ro"
    d.mkdir()
    d.chmod(0o555)
    return d


@pytest.mark.parametrize("fault", ["prefect", "database", "readonly"])
def test_no_command_shows_a_traceback(
    fault: str, sqlite_url: str, tmp_path: Path, monkeypatch, capsys, prefect_db: Path
) -> None:
    for name in ("PREFECT_API_URL", "PREFECT_HOME", "THIDUA_LOCAL_PREFECT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "CRITICAL")
    monkeypatch.setenv("PREFECT_CLIENT_MAX_RETRIES", "0")
    out = tmp_path / "out"
    out.mkdir()
    if fault in ("prefect", "database"):
        monkeypatch.setenv("PREFECT_API_URL", DEAD_PREFECT)
        seed_prefect(tmp_path / "data", prefect_db)  # `server start` starts a real one, faster
    if fault == "database":
        monkeypatch.setenv("THIDUA_DATABASE_URL", DEAD_DATABASE)
    if fault == "readonly":
        data = unwritable(tmp_path)
        monkeypatch.setenv("THIDUA_DATA_DIR", str(data))
        monkeypatch.delenv("THIDUA_DATABASE_URL")
        out = data
    reset_settings()
    failed = []
    todo = commands(out)
    if fault == "readonly":  # elsewhere the demo would run a whole movement
        todo.append(["demo", "--data-dir", str(out / "demo")])
    for args in todo:
        code, text = run(args, capsys)
        assert "Traceback" not in text, (args, text)
        assert code in (0, 1, 2), (args, code, text)
        if code == 1 and "Lỗi:" in text:
            assert "Chi tiết ghi ở" in text, (args, text)
            log = Path(text.split("Chi tiết ghi ở ")[1].split()[0].rstrip("."))
            assert "Traceback" in log.read_text(encoding="utf-8")  # the detail is kept
        if code:
            failed.append(args[0:2])
    # The fault is felt: commands that need the broken part fail, in Vietnamese.
    assert ["stage", "run"] in failed
    if fault != "prefect":
        assert ["status", M] in failed and ["db", "upgrade"] in failed
