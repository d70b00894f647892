"""A full disk, for real (issue 15, item 10): a small file system (tmpfs, or a loop-mounted
image) filled until writes fail, holding the document store, the whole data directory, the
upload folder, then a PostgreSQL tablespace. A stage that writes documents and a stage that
writes the database (SQLite or PostgreSQL) each end in one Vietnamese sentence, with no
traceback, nothing half-written and no temp file left, and so does an upload; once space is
freed, running the stage (or the upload) again completes it.

Mounting needs root (as here and in CI). Where it is impossible the test is skipped, except
under CI=true, where that is a failure."""

import contextlib
import errno
import hashlib
import os
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from models import IssuedDocument, Movement, Participant
from models.db import engine_for
from tests.stage_child import start_cli
from thidua.lifecycle import State
from thidua.settings import PROJECT_ROOT

SENTENCE_DOCS = "hết chỗ trống trên đĩa"
SENTENCE_DB = "Đĩa của cơ sở dữ liệu đã đầy"


def _mount(where: Path, size_mb: int, mode: str) -> None:
    """A tmpfs of `size_mb` at `where`; else an ext4 image on a loop device."""
    options = f"size={size_mb}m,mode={mode}"
    tmpfs = ["mount", "-t", "tmpfs", "-o", options, "thidua-test", str(where)]
    if subprocess.run(tmpfs, capture_output=True).returncode == 0:
        return
    image = where.with_suffix(".img")
    with image.open("wb") as f:
        f.truncate(size_mb * 1024 * 1024)
    made = subprocess.run(["mkfs.ext4", "-q", "-F", str(image)], capture_output=True)
    loop = ["mount", "-o", "loop", str(image), str(where)]
    if made.returncode or subprocess.run(loop, capture_output=True).returncode:
        why = f"cannot mount a small file system at {where} (not root, no tmpfs, no loop device)"
        if os.environ.get("CI"):
            pytest.fail(why)
        pytest.skip(why)


@contextlib.contextmanager
def small_disk(where: Path, size_mb: int = 16, mode: str = "0700") -> Iterator[Path]:
    where.mkdir(parents=True, exist_ok=True)
    _mount(where, size_mb, mode)
    try:
        yield where
    finally:
        if subprocess.run(["umount", str(where)], capture_output=True).returncode:
            subprocess.run(["umount", "-l", str(where)], capture_output=True)


def fill(disk: Path) -> Path:
    """Write until the file system refuses (ENOSPC); returns the file to delete to free it."""
    filler = disk / "filler"
    chunk = b"\0" * 65536
    with filler.open("wb", buffering=0) as f:
        try:
            while True:
                f.write(chunk)
        except OSError as e:
            assert e.errno == errno.ENOSPC, e
    for size in (4096, 512, 1):  # the last partial blocks too
        with contextlib.suppress(OSError), filler.open("ab", buffering=0) as f:
            while True:
                f.write(b"\0" * size)
    return filler


def _stage_run(env: dict[str, str], out: Path, code: str, stage: str) -> tuple[int, str]:
    proc = start_cli(env, out, "stage", "run", code, stage)
    proc.join(timeout=180)
    assert proc.exitcode is not None, "the stage did not end"
    return proc.exitcode, out.read_text(encoding="utf-8")


def _one_sentence(text: str, words: str) -> None:
    """The failure said once, in Vietnamese, with nothing from Python or the operating system."""
    assert "Traceback" not in text and "Error" not in text and "Errno" not in text, text
    assert "No space left" not in text and "disk is full" not in text, text
    assert text.count(words) == 1, text


def _movement(url: str) -> str:
    from thidua import spec, synthetic

    with Session(engine_for(url)) as s:
        synthetic.generate_org(s, units=6, blocks=2, people=14, seed=3)
        code = spec.store_spec(
            s, spec.load_spec(PROJECT_ROOT / "examples" / "hanam-sct-2022.yaml"), actor="test"
        ).code
        s.commit()
    engine_for(url).dispose()
    return code


def _state(url: str, code: str) -> tuple[str, int, int, list[tuple[int, int]]]:
    """The movement's state, its participants, its documents, the document counters."""
    with Session(engine_for(url)) as s:
        m = s.exec(select(Movement).where(Movement.code == code)).one()
        parts = len(s.exec(select(Participant).where(Participant.movement_id == m.id)).all())
        docs = len(s.exec(select(IssuedDocument)).all())
        counters = s.execute(sa.text("SELECT year, last FROM documentcounter")).all()
        state = m.state, parts, docs, [tuple(c) for c in counters]
    engine_for(url).dispose()
    return state


def _no_temp_files(*dirs: Path) -> None:
    left = [p for d in dirs for p in d.rglob("*") if p.name.endswith(".tmp")]
    assert left == [], left


def _base_env(api: str, data: Path, url: str) -> dict[str, str]:
    return {
        "THIDUA_DATA_DIR": str(data),
        "THIDUA_DATABASE_URL": url,
        "THIDUA_PDF": "false",
        "THIDUA_CLOCK": "2022-03-01T09:00",
        "PREFECT_API_URL": api,
    }


def _launched(url: str, data: Path, code: str) -> None:
    """The re-run did the whole launch: the movement moved on, the directive is whole."""
    with Session(engine_for(url)) as s:
        m = s.exec(select(Movement).where(Movement.code == code)).one()
        assert m.state == State.REGISTRATION
        (doc,) = s.exec(select(IssuedDocument).where(IssuedDocument.kind == "launch")).all()
    engine_for(url).dispose()
    assert doc.number == 1  # the failed run took no number
    store = Path(os.environ.get("THIDUA_DOCUMENT_DIR") or data / "documents")
    path = store / doc.path
    assert hashlib.sha256(path.read_bytes()).hexdigest() == doc.content_hash


def test_a_full_document_store_stops_the_stage_with_one_sentence(
    sqlite_url: str, prefect_server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "data"
    code = _movement(sqlite_url)
    with small_disk(tmp_path / "disk") as disk:
        store = disk / "documents"
        monkeypatch.setenv("THIDUA_DOCUMENT_DIR", str(store))
        env = _base_env(prefect_server, data, sqlite_url) | {"THIDUA_DOCUMENT_DIR": str(store)}
        before = _state(sqlite_url, code)
        filler = fill(disk)

        status, text = _stage_run(env, tmp_path / "full.txt", code, "launch")
        assert status == 2, text
        _one_sentence(text, SENTENCE_DOCS)
        state, _, docs, counters = _state(sqlite_url, code)
        assert (state, docs, counters) == (before[0], 0, before[3])  # no document, no number
        assert not [p for p in disk.rglob("*") if p.is_file() and p != filler]
        _no_temp_files(disk, data)

        filler.unlink()
        status, text = _stage_run(env, tmp_path / "again.txt", code, "launch")
        assert status == 0 and "đã thực hiện" in text, text
        _launched(sqlite_url, data, code)
        _no_temp_files(disk, data)


def test_a_full_data_directory_stops_the_stage_with_one_sentence(
    sqlite_template: Path, prefect_server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The database, the documents and the outbox on the full disk: first with nothing else
    using the database (SQLite cannot even open it: its WAL index has no room), then with the
    portal holding it open (the stage's first write is refused)."""
    with small_disk(tmp_path / "disk") as data:
        monkeypatch.setenv("THIDUA_DATA_DIR", str(data))
        monkeypatch.delenv("THIDUA_DOCUMENT_DIR", raising=False)
        db = data / "thidua.db"
        shutil.copy(sqlite_template, db)
        url = f"sqlite:///{db}"
        monkeypatch.setenv("THIDUA_DATABASE_URL", url)
        code = _movement(url)
        env = _base_env(prefect_server, data, url)
        before = _state(url, code)
        written = hashlib.sha256(db.read_bytes()).hexdigest()
        filler = fill(data)

        status, text = _stage_run(env, tmp_path / "alone.txt", code, "launch")
        assert status == 2, text
        _one_sentence(text, SENTENCE_DB)
        assert hashlib.sha256(db.read_bytes()).hexdigest() == written
        sqlite_own = {"thidua.db-wal", "thidua.db-shm"}  # SQLite's WAL (empty) and its index
        assert {p.name for p in data.iterdir()} <= {"filler", "thidua.db", *sqlite_own}
        assert not (data / "thidua.db-wal").exists() or not (data / "thidua.db-wal").stat().st_size

        filler.unlink()
        with contextlib.closing(sqlite3.connect(db)) as portal:
            portal.execute("SELECT count(*) FROM movement").fetchone()  # its WAL index exists
            filler = fill(data)
            status, text = _stage_run(env, tmp_path / "held.txt", code, "launch")
            assert status == 2, text
            _one_sentence(text, SENTENCE_DB)
            assert _state(url, code) == before  # nothing written: no participant, no document
            assert portal.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            _no_temp_files(data)

            filler.unlink()
            status, text = _stage_run(env, tmp_path / "again.txt", code, "launch")
        assert status == 0 and "đã thực hiện" in text, text
        _launched(url, data, code)
        _no_temp_files(data)


def test_an_upload_on_a_full_disk_leaves_no_part_of_the_file(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The upload folder on the full disk: the step says so in one sentence, and neither a
    part of the file, nor a temp file, nor an evidence row stays. With room again, the same
    upload is stored whole and private."""
    from models import Evidence
    from tests.web_helpers import make_world, pdf_bytes, quiet
    from thidua import steps
    from thidua.errors import ThiduaError
    from thidua.lifecycle import State
    from thidua.settings import reset_settings

    quiet(monkeypatch)
    world = make_world(sqlite_url, nominations=1, state=State.PROPOSALS)
    content = pdf_bytes() + b"%" + os.urandom(256 * 1024)  # bigger than what is left
    with small_disk(tmp_path / "disk") as disk:
        monkeypatch.setenv("THIDUA_UPLOAD_DIR", str(disk / "uploads"))
        reset_settings()
        (disk / "uploads").mkdir(mode=0o700)
        filler = fill(disk)
        with pytest.raises(ThiduaError) as refused:
            steps.add_evidence(actor=world.focal, nomination_id=world.nominations[0],
                               filename="bang-khen.pdf", content=content)  # fmt: skip
        assert str(refused.value) == (
            "Không lưu được tệp minh chứng: hết chỗ trống trên đĩa; chưa ghi gì."
        )
        assert list((disk / "uploads").iterdir()) == []  # no part, no temp file
        with Session(engine_for(sqlite_url)) as s:
            assert s.exec(select(Evidence)).all() == []

        filler.unlink()
        steps.add_evidence(actor=world.focal, nomination_id=world.nominations[0],
                           filename="bang-khen.pdf", content=content)  # fmt: skip
        (stored,) = (disk / "uploads").iterdir()
        assert stored.read_bytes() == content
        assert stored.stat().st_mode & 0o777 == 0o600
    reset_settings()


@contextlib.contextmanager
def _pg_on_small_disk(disk: Path) -> Iterator[str]:
    """A PostgreSQL database of its own whose tables live on `disk` (a tablespace there): the
    server's own WAL stays where it is, so only this database's files run out of room."""
    from tests.conftest import PG_ADMIN_URL, _pg_available

    if not _pg_available():
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is not reachable at {PG_ADMIN_URL}")
        pytest.skip(f"PostgreSQL is not reachable at {PG_ADMIN_URL}")
    where = disk / "tablespace"
    where.mkdir()
    chown = subprocess.run(["chown", "postgres:postgres", str(where)], capture_output=True)
    if chown.returncode:
        why = "cannot give the postgres user a folder on the small disk"
        if os.environ.get("CI"):
            pytest.fail(why)
        pytest.skip(why)
    name = f"thidua_full_{os.getpid()}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(sa.text(f"CREATE TABLESPACE {name} LOCATION '{where}'"))
        c.execute(sa.text(f'CREATE DATABASE "{name}" TABLESPACE {name}'))
    url = sa.make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        engine_for(url).dispose()
        with admin.connect() as c:
            c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            c.execute(sa.text(f"DROP TABLESPACE IF EXISTS {name}"))
        admin.dispose()


def test_a_full_postgresql_disk_stops_the_stage_with_one_sentence(
    prefect_server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL refusing to extend a table (SQLSTATE 53100, disk full) mid-stage: one
    sentence, nothing written; with room again, the same stage completes."""
    from models.migrate import upgrade

    data = tmp_path / "data"
    # The postgres user must reach the disk: a folder outside pytest's own (0700) tree.
    mount = Path(tempfile.mkdtemp(prefix="thidua-pgdisk-"))
    mount.chmod(0o755)
    with (
        contextlib.ExitStack() as cleanup,
        small_disk(mount, size_mb=64, mode="0755") as disk,
        _pg_on_small_disk(disk) as url,
    ):
        cleanup.callback(mount.rmdir)  # last, once unmounted
        upgrade(url)
        monkeypatch.setenv("THIDUA_DATABASE_URL", url)
        code = _movement(url)
        env = _base_env(prefect_server, data, url)
        before = _state(url, code)
        filler = fill(disk)

        status, text = _stage_run(env, tmp_path / "full.txt", code, "launch")
        assert status == 2, text
        _one_sentence(text, SENTENCE_DB)
        assert _state(url, code) == before  # no participant, no document, no number
        _no_temp_files(data)

        filler.unlink()
        status, text = _stage_run(env, tmp_path / "again.txt", code, "launch")
        assert status == 0 and "đã thực hiện" in text, text
        _launched(url, data, code)
