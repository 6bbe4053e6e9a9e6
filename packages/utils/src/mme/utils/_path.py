"""Local path helpers: directories, scanning, existence checks, symlinks, opening files."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


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


def is_filepath(x: Any) -> bool:
    """Whether ``x`` can name a file: a ``str`` or a ``pathlib.Path``.

    Examples:
        >>> is_filepath("a.txt"), is_filepath(Path("a.txt")), is_filepath(3)
        (True, True, False)
    """
    return isinstance(x, (str, Path))


def fopen(filepath: str | Path, *args: Any, **kwargs: Any) -> IO[Any]:
    """``open(filepath, *args, **kwargs)`` for a ``str`` or ``Path``; anything else raises ValueError."""
    if isinstance(filepath, str):
        return open(filepath, *args, **kwargs)  # noqa: SIM115 - the caller owns the file
    if isinstance(filepath, Path):
        return filepath.open(*args, **kwargs)
    raise ValueError(f"`filepath` should be a string or a Path, but got {type(filepath).__name__}")


def symlink(src: str | Path, dst: str | Path, overwrite: bool = True, **kwargs: Any) -> None:
    """Create a symbolic link ``dst`` pointing to ``src``.

    Args:
        src: What the link points to (stored as given, so a relative path is relative to ``dst``'s
            directory).
        dst: The link to create.
        overwrite: Replace an existing file or link at ``dst`` (a directory is never removed).
        **kwargs: Passed to ``os.symlink`` (``target_is_directory``).

    Raises:
        FileExistsError: ``dst`` exists and ``overwrite`` is False, or ``dst`` is a directory.
    """
    if os.path.lexists(dst) and overwrite:
        if os.path.isdir(dst) and not os.path.islink(dst):
            raise FileExistsError(f"cannot replace {str(dst)!r} by a symlink: it is a directory")
        os.remove(dst)
    os.symlink(src, dst, **kwargs)


def is_abs(path: str | Path) -> bool:
    """Whether ``path`` is absolute: an absolute local path or a URI with a scheme (``s3://``, ``http://``).

    Examples:
        >>> is_abs("/data/a.jpg"), is_abs("s3://bucket/a.jpg"), is_abs("data/a.jpg")
        (True, True, False)
    """
    path = str(path)
    return os.path.isabs(path) or _URI.match(path) is not None


def find_vcs_root(path: str | Path, markers: tuple[str, ...] | list[str] = (".git",)) -> str | None:
    """The nearest directory at or above ``path`` holding one of ``markers``, or None.

    ``path`` may be a file, whose directory is searched first.

    Examples:
        >>> find_vcs_root("/") is None or isinstance(find_vcs_root("/"), str)
        True
    """
    if isinstance(markers, str):
        markers = (markers,)
    cur = os.path.abspath(os.fspath(path))
    if os.path.isfile(cur):
        cur = os.path.dirname(cur)
    prev = None
    while cur != prev:
        if any(os.path.exists(os.path.join(cur, marker)) for marker in markers):
            return cur
        prev, cur = cur, os.path.dirname(cur)
    return None
