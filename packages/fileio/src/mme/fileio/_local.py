"""The local filesystem backend and the atomic write it is built on."""

from __future__ import annotations

import logging
import os
import re
import secrets
import shutil
import stat
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import BinaryIO

from ._backend import BaseStorageBackend, PathLike

logger = logging.getLogger(__name__)

_COPY_BUFSIZE = 8 * 1024 * 1024
_TEMP_NAME = re.compile(r"\..+\.[0-9a-f]{12}\.tmp")  # what _temp_name makes, and nothing a user names so


def _temp_name(basename: str) -> str:
    """The name of the temporary file an atomic write of ``basename`` fills."""
    return f".{basename}.{secrets.token_hex(6)}.tmp"


def remove_temp_files(directory: PathLike) -> list[str]:
    """Remove the temporary files that atomic writes left in ``directory`` when their process died.

    Only files named the way :func:`atomic_write` names them (``.<name>.<12 hex digits>.tmp``)
    directly in ``directory`` are removed, and directories so named (a sharded checkpoint is
    filled under such a name and renamed when complete); every other entry is left alone.
    Call it only where no other process may be writing at the same time (e.g. a run's own
    output directory at its start). A missing directory holds nothing.

    Returns:
        The removed paths, sorted.

    Examples:
        >>> import tempfile
        >>> root = tempfile.mkdtemp()
        >>> atomic_write_bytes(os.path.join(root, "epoch_1.pth"), b"done")
        >>> for name in (".epoch_2.pth.0123456789ab.tmp", ".notes.tmp", "epoch_2.pth.tmp"):
        ...     open(os.path.join(root, name), "wb").close()
        >>> [os.path.basename(p) for p in remove_temp_files(root)]
        ['.epoch_2.pth.0123456789ab.tmp']
        >>> sorted(os.listdir(root))
        ['.notes.tmp', 'epoch_1.pth', 'epoch_2.pth.tmp']
    """
    try:
        with os.scandir(directory) as it:
            entries = [e for e in it if _TEMP_NAME.fullmatch(e.name) and not e.is_symlink()]
    except (FileNotFoundError, NotADirectoryError):
        return []
    removed = []
    for entry in entries:
        try:
            if entry.is_dir(follow_symlinks=False):  # a directory being filled (a sharded checkpoint)
                shutil.rmtree(entry.path)
            else:
                os.unlink(entry.path)
        except FileNotFoundError:
            continue
        except OSError as exc:  # e.g. still open by a live process on Windows: leave it
            logger.debug("cannot remove the temporary file %s: %s", entry.path, exc)
            continue
        removed.append(entry.path)
    return sorted(removed)


def temp_sibling(path: PathLike, token: str | None = None) -> str:
    """A temporary path next to ``path`` (``.<name>.<12 hex digits>.tmp``) to fill before publishing.

    :func:`remove_temp_files` removes what a killed process left under such a name. ``token``
    (12 hex digits) makes the name the same on every rank of a job; by default it is random.
    """
    path = os.fspath(path)
    name = f".{os.path.basename(path)}.{token}.tmp" if token else _temp_name(os.path.basename(path))
    if not _TEMP_NAME.fullmatch(name):
        raise ValueError(f"token must be 12 hex digits, got {token!r}")
    return os.path.join(os.path.dirname(path), name)


def replace_dir(src: PathLike, dst: PathLike) -> None:
    """Publish the complete directory ``src`` as ``dst`` by renaming it (same filesystem).

    Readers find ``dst`` whole or not at all, never half-written. An existing ``dst`` is first
    renamed to a temporary sibling and removed after; if the process dies in between, ``dst`` is
    missing and the old copy is a temporary left for :func:`remove_temp_files`.
    """
    src, dst = os.fspath(src), os.fspath(dst)
    old = None
    if os.path.lexists(dst):
        old = temp_sibling(dst)
        os.rename(dst, old)
    os.rename(src, dst)
    _fsync_dir(os.path.dirname(os.path.abspath(dst)))
    if old is not None:
        if os.path.isdir(old) and not os.path.islink(old):
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.unlink(old)


def _fsync_dir(dirname: str) -> None:
    if os.name == "nt":  # Windows cannot open (or fsync) a directory; NTFS journals the rename itself
        return
    try:
        fd = os.open(dirname, os.O_RDONLY)
    except OSError:  # some platforms cannot open a directory
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write(path: PathLike, write: Callable[[BinaryIO], object]) -> None:
    """Write a file atomically: ``write`` fills a temporary file next to ``path``.

    The temporary file lives in the target's directory (so the rename stays on one
    filesystem), is flushed and fsynced, then renamed over ``path`` with ``os.replace``. If
    anything fails, or the process dies, ``path`` keeps its previous content; a failed write
    removes the temporary file.

    Args:
        path: Target file; missing parent directories are created.
        write: Called with the open binary temporary file.
    """
    path = os.path.abspath(os.fspath(path))
    dirname, basename = os.path.split(path)
    os.makedirs(dirname, exist_ok=True)
    tmp = os.path.join(dirname, _temp_name(basename))
    # O_BINARY: without it Windows opens the descriptor in text mode and writes b"\n" as b"\r\n"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
    fd = os.open(tmp, flags, 0o666)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        try:
            os.chmod(tmp, stat.S_IMODE(os.stat(path).st_mode))  # keep an existing file's mode
        except FileNotFoundError:
            pass
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    _fsync_dir(dirname)


def atomic_write_bytes(path: PathLike, data: bytes | bytearray | memoryview) -> None:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_write`)."""
    atomic_write(path, lambda f: f.write(data))


def atomic_copy(src: PathLike, dst: PathLike) -> None:
    """Copy the local file ``src`` to ``dst`` atomically."""
    with open(src, "rb") as fsrc:
        atomic_write(dst, lambda f: shutil.copyfileobj(fsrc, f, _COPY_BUFSIZE))


class LocalBackend(BaseStorageBackend):
    """Local disk. Paths are plain paths or ``file://`` URIs; writes are atomic."""

    name = "local"

    def map_path(self, filepath: PathLike) -> str:
        path = super().map_path(filepath)
        return path.removeprefix("file://")

    def _get(self, path: str) -> bytes:
        with open(path, "rb") as f:
            return f.read()

    def _put(self, data: bytes, path: str) -> None:
        atomic_write_bytes(path, data)

    def _isfile(self, path: str) -> bool:
        return os.path.isfile(path)

    def _isdir(self, path: str) -> bool:
        return os.path.isdir(path)

    def _remove(self, path: str) -> None:
        os.remove(path)

    def _iter_dir(self, path: str) -> Iterator[tuple[str, bool]]:
        with os.scandir(path) as it:
            entries = [(e.name, e.is_dir()) for e in it]
        return iter(entries)

    def _join(self, base: str, *parts: str) -> str:
        return os.path.join(base, *parts)

    def _basename(self, path: str) -> str:
        return os.path.basename(path.rstrip(os.sep))

    def _isdir_target(self, path: str) -> bool:
        return path.endswith(os.sep) or os.path.isdir(path)

    def _rmtree(self, path: str) -> None:
        shutil.rmtree(path)

    def _copyfile(self, src: str, dst: str) -> None:
        atomic_copy(src, dst)

    _copyfile_from_local = _copyfile
    _copyfile_to_local = _copyfile

    def _copytree(self, src: str, dst: str) -> str:
        self._check_tree_copy(src, os.path.isdir(src), dst, os.path.exists(dst))
        return shutil.copytree(src, dst)

    def copytree(self, src: PathLike, dst: PathLike) -> str:
        """Copy a directory tree (empty directories included); ``dst`` must not exist."""
        return self._copytree(self.map_path(src), self.map_path(dst))

    def copytree_from_local(self, src: PathLike, dst: PathLike) -> str:
        """Same as :meth:`copytree` for the local backend."""
        return self._copytree(os.fspath(src), self.map_path(dst))

    def copytree_to_local(self, src: PathLike, dst: PathLike) -> str:
        """Same as :meth:`copytree` for the local backend."""
        return self._copytree(self.map_path(src), os.fspath(dst))

    @contextmanager
    def get_local_path(self, filepath: PathLike) -> Iterator[str]:
        """Yield the path itself: the file is already local."""
        path = self.map_path(filepath)
        if not os.path.exists(path):
            raise FileNotFoundError(f"get_local_path: no such file: {path}")
        yield path

    def copy_if_symlink_fails(self, src: PathLike, dst: PathLike) -> bool:
        """Create a symlink ``dst -> src``; copy instead where linking fails."""
        src_p, dst_p = self.map_path(src), self.map_path(dst)
        try:
            os.symlink(src_p, dst_p)
            return True
        except OSError as exc:
            logger.debug("symlink %s -> %s failed (%s); copying", dst_p, src_p, exc)
        if os.path.isfile(src_p):
            self.copyfile(src_p, dst_p)
        else:
            self._copytree(src_p, dst_p)
        return False

    def __repr__(self) -> str:
        return "LocalBackend()"
