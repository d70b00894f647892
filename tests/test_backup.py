"""`thidua backup` and `thidua restore`: a round trip on SQLite and PostgreSQL restores every
row and every file byte for byte; a tampered backup and a non-empty target are refused with
the reason, and nothing is written."""

import hashlib
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import Session, SQLModel
from typer.testing import CliRunner

from models import IssuedDocument
from models.db import engine_for
from tests.test_notify_support import make_org
from thidua.cli import app
from thidua.settings import get_settings, reset_settings

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "hanam-sct-2022.yaml"


def _tree(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _rows(url: str) -> dict[str, list[tuple]]:
    """Every row of every table, in primary-key order."""
    out = {}
    with engine_for(url).connect() as c:
        for t in SQLModel.metadata.sorted_tables:
            out[t.name] = [tuple(r) for r in c.execute(sa.select(t).order_by(*t.primary_key))]
    return out


def _content(url: str) -> None:
    """A movement from a real spec, an organisation, a document and an upload on disk."""
    from thidua import spec

    make_org(url, n_units=3, per_unit=3)
    s = get_settings()
    assert s.document_dir and s.upload_dir
    doc = s.document_dir / "2022" / "ke-hoach-phat-dong.docx"
    doc.parent.mkdir(parents=True)
    doc.write_bytes(b"PK\x03\x04 the directive " + bytes(range(256)) * 40)
    (s.upload_dir).mkdir(parents=True)
    (s.upload_dir / "a1b2c3.pdf").write_bytes(b"%PDF-1.7 minh chung\n" * 500)
    (s.document_dir / "half-written.docx.tmp").write_bytes(b"")  # a write in progress
    with Session(engine_for(url)) as session:
        m = spec.store_spec(session, spec.load_spec(EXAMPLE), actor="test")
        session.add(
            IssuedDocument(
                movement_id=m.id,
                kind="launch",
                subject_key="launch",
                agency="SCT",
                series="KH",
                year=2022,
                number=1,
                symbol="01/KH-SCT",
                title="Kế hoạch phát động",
                content_hash="0" * 64,
                path="2022/ke-hoach-phat-dong.docx",
            )
        )
        session.commit()


def _switch(monkeypatch, data_dir: Path, url: str) -> None:
    monkeypatch.setenv("THIDUA_DATA_DIR", str(data_dir))
    monkeypatch.setenv("THIDUA_DATABASE_URL", url)
    reset_settings()


@pytest.fixture
def empty_pg(pg_url: str):
    """A second, empty PostgreSQL database (the restore target)."""
    name = f"thidua_restore_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(sa.make_url(pg_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.make_url(pg_url).set(database=name).render_as_string(hide_password=False)
    yield url
    engine_for(url).dispose()
    with admin.connect() as c:
        c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_backup_then_restore_gives_back_every_row_and_file(
    db_url: str, tmp_path: Path, monkeypatch, request
) -> None:
    _content(db_url)
    src = get_settings()
    files_before = {a: _tree(d) for a, d in (("d", src.document_dir), ("u", src.upload_dir))}
    rows_before = _rows(db_url)
    runner = CliRunner()
    dest = tmp_path / "sao-luu"
    done = runner.invoke(app, ["backup", str(dest)])
    assert done.exit_code == 0, done.output
    assert "Đã sao lưu" in done.output and "2 tệp" in done.output
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]  # no scratch left

    # a second backup into the same place is refused: it would mix two backups
    again = runner.invoke(app, ["backup", str(dest)])
    assert again.exit_code == 2 and "đã có dữ liệu" in again.output

    # restore into a fresh, empty data directory (and an empty database)
    target = tmp_path / "moi"
    if db_url.startswith("sqlite"):
        new_url = f"sqlite:///{target / 'thidua.db'}"
    else:
        new_url = request.getfixturevalue("empty_pg")
    _switch(monkeypatch, target, new_url)
    back = runner.invoke(app, ["restore", str(dest)])
    assert back.exit_code == 0, back.output
    assert "Đã khôi phục" in back.output
    new = get_settings()
    assert {a: _tree(d) for a, d in (("d", new.document_dir), ("u", new.upload_dir))} == {
        "d": {k: v for k, v in files_before["d"].items() if not k.endswith(".tmp")},
        "u": files_before["u"],
    }
    assert _rows(new_url) == rows_before

    # restoring again on top of it is refused, in Vietnamese, and changes nothing
    before = _tree(target)
    twice = runner.invoke(app, ["restore", str(dest)])
    assert twice.exit_code == 2
    assert "không trống" in twice.output or "đã có" in twice.output
    assert _tree(target) == before and _rows(new_url) == rows_before


def test_a_tampered_backup_is_refused_before_anything_is_written(
    sqlite_url: str, tmp_path: Path, monkeypatch
) -> None:
    from thidua.backup import backup

    _content(sqlite_url)
    dest = tmp_path / "sao-luu"
    backup(dest)
    victim = next((dest / "files" / "uploads").iterdir())
    victim.write_bytes(victim.read_bytes() + b"x")
    target = tmp_path / "moi"
    _switch(monkeypatch, target, f"sqlite:///{target / 'thidua.db'}")
    out = CliRunner().invoke(app, ["restore", str(dest)])
    assert out.exit_code == 2
    assert "không toàn vẹn" in out.output and "a1b2c3.pdf" in out.output
    assert not target.exists()

    other = tmp_path / "khong-phai"
    other.mkdir()
    out = CliRunner().invoke(app, ["restore", str(other)])
    assert out.exit_code == 2 and "thiếu manifest.json" in out.output


def test_a_pg_dump_older_than_the_server_is_named(pg_url: str, tmp_path: Path, monkeypatch):
    """A client older than the server cannot dump it: say which versions, not a traceback."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "pg_dump"
    fake.write_text("#!/bin/sh\necho 'pg_dump (PostgreSQL) 9.6.24'\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{__import__('os').environ['PATH']}")
    _switch(monkeypatch, tmp_path / "data", pg_url)
    out = CliRunner().invoke(app, ["backup", str(tmp_path / "sao-luu")])
    assert out.exit_code == 2
    assert "pg_dump phiên bản 9 cũ hơn máy chủ PostgreSQL" in out.output
    assert not (tmp_path / "sao-luu").exists() and "Traceback" not in out.output
