"""Data files an office edits (rule sets, authority profiles, the base-salary table), read once
per version of the file: kept until its size or modification time changes."""

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")
_CACHE: dict[tuple[str, str, int, int], object] = {}


def read_once(path: Path, load: Callable[[Path], T]) -> T:
    """`load(path)`, reused while the file is unchanged."""
    stat = path.stat()
    key = (load.__qualname__, str(path.resolve()), stat.st_mtime_ns, stat.st_size)
    if key not in _CACHE:
        _CACHE[key] = load(path)
    return _CACHE[key]  # type: ignore[return-value]
