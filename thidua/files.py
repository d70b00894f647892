"""Writing a file whole: a reader sees the old file or the new one, never a part of either.

The bytes go to a temp file beside the target (`.NAME.HOST-PID.tmp`), then a rename replaces
the target. A write that fails (a full disk) removes its temp file; one left by a process killed
while writing is removed by the next write of the same file on that machine, once that process
is gone (a document store shared by several machines: another machine's writes are its own)."""

import os
import re
from pathlib import Path

_HOST = re.sub(r"[^0-9A-Za-z_]+", "_", os.uname().nodename) or "host"


def write_whole(path: Path, data: bytes, *, swept: bool = False, private: bool = False) -> None:
    """Write `data` to `path` atomically; OSError (nothing written) when the file system
    refuses. `swept`: the caller already cleared the folder with `sweep_folder` (a batch does it
    once, not once per file). `private`: readable by the server's user only (0600, in a 0700
    folder) and never over an existing file (FileExistsError): an uploaded file, whose name is
    new."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700 if private else 0o777)
    if not swept:
        _drop_orphans(path)
    tmp = path.with_name(f".{path.name}.{_HOST}-{os.getpid()}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if private else 0o666)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        if private:
            os.link(tmp, path)  # fails if the name is taken; the temp name goes below
            tmp.unlink()
        else:
            os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _drop_orphans(path: Path) -> None:
    for old in path.parent.glob(f".{path.name}.{_HOST}-*.tmp"):
        pid = old.name.removesuffix(".tmp").rpartition("-")[2]
        if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
            old.unlink(missing_ok=True)


def sweep_folder(folder: Path) -> None:
    """Remove every temp file this machine's killed writers left in `folder`, in one listing
    (a glob per file would read a folder of 8,000 reports 8,000 times)."""
    if not folder.is_dir():
        return
    suffix = ".tmp"
    with os.scandir(folder) as entries:
        names = [e.name for e in entries if e.name.startswith(".") and e.name.endswith(suffix)]
    for name in names:
        host, _, pid = name.removesuffix(suffix).rpartition(".")[2].rpartition("-")
        if host == _HOST and pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
            (folder / name).unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
