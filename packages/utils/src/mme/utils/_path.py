"""Local path helpers."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path


def mkdir_or_exist(dir_name: str | Path, mode: int = 0o777) -> None:
    """Create ``dir_name`` and its parents unless it exists; an empty name does nothing."""
    if dir_name == "":
        return
    os.makedirs(os.path.expanduser(dir_name), mode=mode, exist_ok=True)


def scandir(
    dir_path: str | Path,
    suffix: str | tuple[str, ...] | None = None,
    recursive: bool = False,
    case_sensitive: bool = True,
) -> Iterator[str]:
    """Yield the paths of files under ``dir_path``, relative to it.

    Args:
        dir_path: Directory to scan.
        suffix: Only yield files ending with this suffix (or one of these).
        recursive: Descend into subdirectories.
        case_sensitive: Compare suffixes case-sensitively.
    """
    if isinstance(dir_path, Path):
        dir_path = str(dir_path)
    if not isinstance(dir_path, str):
        raise TypeError(f"dir_path must be a str or Path, got {type(dir_path).__name__}")
    if suffix is not None and not isinstance(suffix, (str, tuple)):
        raise TypeError(f"suffix must be a str or tuple of str, got {type(suffix).__name__}")
    if suffix is not None and not case_sensitive:
        suffix = suffix.lower() if isinstance(suffix, str) else tuple(s.lower() for s in suffix)
    root = dir_path

    def _scan(path: str) -> Iterator[str]:
        for entry in os.scandir(path):
            if entry.is_file() and not entry.name.startswith("."):
                rel = os.path.relpath(entry.path, root)
                name = rel if case_sensitive else rel.lower()
                if suffix is None or name.endswith(suffix):
                    yield rel
            elif recursive and entry.is_dir() and not entry.name.startswith("."):
                yield from _scan(entry.path)

    return _scan(dir_path)


def check_file_exist(filename: str | Path, msg_tmpl: str = 'file "{}" does not exist') -> None:
    """Raise FileNotFoundError if ``filename`` is not an existing file."""
    if not os.path.isfile(filename):
        raise FileNotFoundError(msg_tmpl.format(filename))
