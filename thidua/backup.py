"""Backup and restore: the database and the files it names, together.

A backup is a directory:

    manifest.json        what is here: the database kind, every file with its size and SHA-256
    thidua.db            SQLite: a copy by SQLite's online backup API (consistent while in use)
    database.sql         PostgreSQL: pg_dump, plain SQL (no owner, no privileges)
    files/documents/…    the document store
    files/uploads/…      evidence uploaded by the units
    files/outbox/…       messages written to the outbox

The database is copied first, then the files: a document or an upload is written before the
row naming it is committed, so every file the copied database names is already on disk when
the files are copied (a file written later is copied too, and named by no row — harmless).
The backup is built under a temporary name beside DEST and renamed into place once complete,
so an interrupted backup leaves no directory that looks finished.

Restore checks every hash before it writes anything, and writes only into an empty data
directory (and, for PostgreSQL, a database with no tables): it never merges into live data.
"""

import contextlib
import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from thidua.errors import InvalidInput, Problem, ThiduaError, os_reason
from thidua.settings import get_settings

FORMAT = 1
MANIFEST = "manifest.json"
SQLITE_FILE = "thidua.db"
PG_FILE = "database.sql"
PG_TIMEOUT_S = 3600


class BackupError(ThiduaError):
    """A backup or restore that cannot go on; the message says why, in Vietnamese."""


@dataclass
class Report:
    directory: Path
    database: str  # sqlite | postgresql
    files: int = 0
    bytes: int = 0
    missing: list[str] = field(default_factory=list)  # named by the database, not on disk

    def summary(self, verb: str) -> str:
        lines = [
            f"{verb} cơ sở dữ liệu ({self.database}) và {self.files} tệp "
            f"({self.bytes / 1e6:.1f} MB): {self.directory}"
        ]
        if self.missing:
            lines.append(
                f"Cảnh báo: {len(self.missing)} tệp cơ sở dữ liệu nhắc tới nhưng không có trên "
                "đĩa (đã thiếu từ trước khi sao lưu): " + ", ".join(self.missing[:10])
            )
        return "\n".join(lines)


def _areas() -> dict[str, Path]:
    s = get_settings()
    assert s.document_dir and s.upload_dir and s.outbox_dir  # derived in Settings
    return {"documents": s.document_dir, "uploads": s.upload_dir, "outbox": s.outbox_dir}


def _kind(url: str) -> str:
    return "sqlite" if url.startswith("sqlite") else "postgresql"


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def _walk(root: Path) -> Iterator[Path]:
    """Regular files under root, skipping temporaries of a write in progress."""
    if not root.is_dir():
        return
    for dirpath, _dirs, names in os.walk(root):
        for name in sorted(names):
            p = Path(dirpath) / name
            if name.endswith(".tmp") or name.startswith(".") or not p.is_file():
                continue
            yield p


def _empty(path: Path) -> bool:
    return not path.exists() or (path.is_dir() and not any(path.iterdir()))


def _inside(a: Path, b: Path) -> bool:
    a, b = a.resolve(), b.resolve()
    return a == b or b in a.parents


# ---------------------------------------------------------------------------- PostgreSQL


def _pg_env(url: str) -> tuple[str, dict[str, str]]:
    """A libpq URL without the password (which goes in the environment, not in `ps`)."""
    u = sa.make_url(url)
    env = {**os.environ}
    if u.password:
        env["PGPASSWORD"] = str(u.password)
    return u.set(drivername="postgresql", password=None).render_as_string(False), env


def _tool_major(tool: str) -> int:
    exe = shutil.which(tool)
    if exe is None:
        raise BackupError(
            f"Không tìm thấy chương trình {tool} (gói postgresql-client): cần nó để sao lưu "
            "và khôi phục cơ sở dữ liệu PostgreSQL."
        )
    out = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=30).stdout
    m = re.search(r"(\d+)(?:\.\d+)?", out)
    return int(m.group(1)) if m else 0


def _server_major(url: str) -> int:
    from models.db import engine_for

    with engine_for(url).connect() as c:
        return int(c.exec_driver_sql("SHOW server_version_num").scalar_one()) // 10000


def _check_versions(tool: str, url: str) -> None:
    mine, server = _tool_major(tool), _server_major(url)
    if mine < server:
        raise BackupError(
            f"{tool} phiên bản {mine} cũ hơn máy chủ PostgreSQL {server}: {tool} không làm "
            f"việc được với máy chủ mới hơn nó. Cài postgresql-client-{server} rồi chạy lại."
        )


def _run(cmd: list[str], env: dict[str, str], what: str) -> None:
    try:
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=PG_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        raise BackupError(f"{what}: quá {PG_TIMEOUT_S} giây, đã dừng.") from None
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip().splitlines()
        raise BackupError(f"{what} không thành công: {detail[-1] if detail else done.returncode}")


def _pg_dump(url: str, out: Path) -> None:
    _check_versions("pg_dump", url)
    libpq, env = _pg_env(url)
    cmd = ["pg_dump", "--format=plain", "--no-owner", "--no-privileges", "--file", str(out)]
    _run([*cmd, "--dbname", libpq], env, "Sao lưu PostgreSQL (pg_dump)")


def _pg_tables(url: str) -> list[str]:
    from models.db import engine_for

    with engine_for(url).connect() as c:
        return list(
            c.execute(
                sa.text(
                    "SELECT table_name FROM information_schema.tables "
                    "WHERE table_schema = current_schema() ORDER BY table_name"
                )
            ).scalars()
        )


def _pg_restore(url: str, sql: Path) -> None:
    _check_versions("psql", url)
    libpq, env = _pg_env(url)
    cmd = ["psql", "--no-psqlrc", "--quiet", "--single-transaction", "-v", "ON_ERROR_STOP=1"]
    _run([*cmd, "--file", str(sql), "--dbname", libpq], env, "Khôi phục PostgreSQL (psql)")


# ---------------------------------------------------------------------------- backup


def _sqlite_path(url: str) -> Path:
    path = sa.make_url(url).database
    if not path or path == ":memory:":
        raise BackupError("Cơ sở dữ liệu SQLite trong bộ nhớ không sao lưu được.")
    return Path(path)


def _sqlite_copy(src: Path, dst: Path) -> None:
    if not src.is_file():
        raise BackupError(f"Không có cơ sở dữ liệu {src}: chưa có gì để sao lưu.")
    source = sqlite3.connect(src, timeout=30)
    target = sqlite3.connect(dst)
    try:
        source.backup(target)  # a consistent snapshot, even with writers at work
    finally:
        target.close()
        source.close()


def _named_files(url: str) -> list[tuple[str, str]]:
    """(area, relative path) of every file the database names."""
    from models.db import engine_for

    out: list[tuple[str, str]] = []
    with engine_for(url).connect() as c:
        for path, pdf in c.execute(sa.text("SELECT path, pdf_path FROM issueddocument")):
            out += [("documents", p) for p in (path, pdf) if p]
        names = c.execute(sa.text("SELECT stored_name FROM evidence")).scalars()
        out += [("uploads", n) for n in names]
    return out


def backup(dest: Path) -> Report:
    """Copy the database and the files into `dest` (a new or empty directory)."""
    settings = get_settings()
    url = settings.database_url
    dest = dest.expanduser().resolve()
    if not _empty(dest):
        raise BackupError(f"Thư mục sao lưu {dest} đã có dữ liệu: hãy chọn một thư mục mới.")
    for name, root in [("dữ liệu", settings.data_dir), *_areas().items()]:
        if _inside(dest, root):
            raise BackupError(
                f"Thư mục sao lưu {dest} nằm trong thư mục {name} ({root}): hãy chọn nơi khác."
            )
    dest.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", suffix=".tmp", dir=dest.parent))
    try:
        report = Report(dest, _kind(url))
        if report.database == "sqlite":
            db_file = work / SQLITE_FILE
            _sqlite_copy(_sqlite_path(url), db_file)
        else:
            db_file = work / PG_FILE
            _pg_dump(url, db_file)
        entries = []
        for area, root in _areas().items():
            for p in _walk(root):
                rel = p.relative_to(root).as_posix()
                target = work / "files" / area / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(p, target)
                size = target.stat().st_size
                entries.append({"area": area, "path": rel, "size": size, "sha256": _sha256(target)})
                report.files += 1
                report.bytes += size
        have = {(e["area"], e["path"]) for e in entries}
        with contextlib.suppress(sa.exc.SQLAlchemyError):
            report.missing = sorted(
                f"{a}/{p}" for a, p in set(_named_files(url)) if (a, p) not in have
            )
        manifest = {
            "format": FORMAT,
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "database": {
                "kind": report.database,
                "file": db_file.name,
                "size": db_file.stat().st_size,
                "sha256": _sha256(db_file),
            },
            "files": entries,
        }
        (work / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1), "utf-8")
        _sync_tree(work)
        if dest.exists():
            dest.rmdir()  # empty, checked above
        work.rename(dest)
        return report
    except OSError as e:
        raise BackupError(f"Không ghi được bản sao lưu vào {dest}: {os_reason(e)}") from None
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _sync_tree(root: Path) -> None:
    """Flush every file to disk before the backup is declared complete."""
    for dirpath, _dirs, names in os.walk(root):
        for name in names:
            fd = os.open(Path(dirpath) / name, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)


# ---------------------------------------------------------------------------- restore


def read_manifest(src: Path) -> dict:
    """The manifest, after checking that every file it lists is there with its hash."""
    path = src / MANIFEST
    if not path.is_file():
        raise BackupError(f"{src} không phải bản sao lưu của thidua: thiếu {MANIFEST}.")
    try:
        manifest = json.loads(path.read_text("utf-8"))
        db = manifest["database"]
        files = manifest["files"]
        if manifest.get("format") != FORMAT or db["kind"] not in ("sqlite", "postgresql"):
            raise ValueError
    except (ValueError, KeyError, TypeError):
        raise BackupError(
            f"Tệp {MANIFEST} của bản sao lưu {src} bị hỏng hoặc không đúng dạng."
        ) from None
    problems = []
    listed = [(src / db["file"], db["sha256"], db["file"])]
    for e in files:
        rel = Path(e["area"]) / e["path"]
        if e["area"] not in _areas() or rel.is_absolute() or ".." in rel.parts:
            problems.append(Problem(str(rel), "đường dẫn không hợp lệ trong bản sao lưu"))
            continue
        listed.append((src / "files" / rel, e["sha256"], f"files/{rel.as_posix()}"))
    for path, digest, name in listed:
        if not path.is_file():
            problems.append(Problem(name, "thiếu trong bản sao lưu"))
        elif _sha256(path) != digest:
            problems.append(Problem(name, "nội dung khác với mã băm trong manifest (bị sửa?)"))
    if problems:
        raise InvalidInput(f"Bản sao lưu {src} không toàn vẹn, không khôi phục", problems)
    return manifest


def restore(src: Path) -> Report:
    """Restore a backup into the (empty) data directory and database in the settings."""
    settings = get_settings()
    url = settings.database_url
    src = src.expanduser().resolve()
    manifest = read_manifest(src)
    kind = manifest["database"]["kind"]
    if kind != _kind(url):
        raise BackupError(
            f"Bản sao lưu là cơ sở dữ liệu {kind}, còn cấu hình hiện tại dùng {_kind(url)}: "
            "hãy đặt THIDUA_DATABASE_URL cùng loại."
        )
    targets = {settings.data_dir, *_areas().values()}
    for t in sorted(targets):
        if not _empty(t):
            raise BackupError(
                f"Thư mục {t} không trống: chỉ khôi phục vào thư mục dữ liệu trống, "
                "để không trộn lẫn với dữ liệu đang có."
            )
    db_target = _sqlite_path(url) if kind == "sqlite" else None
    if db_target is not None and db_target.exists():
        raise BackupError(f"Đã có cơ sở dữ liệu {db_target}: chỉ khôi phục vào chỗ trống.")
    if kind == "postgresql" and (tables := _pg_tables(url)):
        raise BackupError(
            f"Cơ sở dữ liệu PostgreSQL đích đã có {len(tables)} bảng ({', '.join(tables[:5])}"
            "…): chỉ khôi phục vào cơ sở dữ liệu trống."
        )
    created: list[Path] = []
    report = Report(settings.data_dir, kind)
    try:
        for t in sorted(targets):
            if not t.exists():
                t.mkdir(parents=True)
                created.append(t)
        if db_target is not None:
            db_target.parent.mkdir(parents=True, exist_ok=True)
            tmp = db_target.with_name(db_target.name + ".restore.tmp")
            shutil.copyfile(src / manifest["database"]["file"], tmp)
            os.replace(tmp, db_target)
        areas = _areas()
        for e in manifest["files"]:
            target = areas[e["area"]] / e["path"]
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src / "files" / e["area"] / e["path"], target)
            if _sha256(target) != e["sha256"]:
                raise BackupError(f"Tệp {target} chép ra khác bản sao lưu: đĩa có vấn đề?")
            report.files += 1
            report.bytes += e["size"]
        if kind == "postgresql":
            _pg_restore(url, src / manifest["database"]["file"])
        return report
    except BaseException as e:
        # leave the target as empty as it was found: nothing half-restored
        for t in sorted(targets):
            if t.exists():
                for child in t.iterdir():
                    if child.is_dir():
                        shutil.rmtree(child, ignore_errors=True)
                    else:
                        child.unlink(missing_ok=True)
        if db_target is not None:
            for p in (db_target, db_target.with_name(db_target.name + ".restore.tmp")):
                p.unlink(missing_ok=True)
        for t in reversed(created):
            shutil.rmtree(t, ignore_errors=True)
        if isinstance(e, OSError):
            why = os_reason(e)
            raise BackupError(f"Không khôi phục được vào {settings.data_dir}: {why}") from None
        raise
