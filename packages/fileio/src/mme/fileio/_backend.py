"""The storage backend interface: a few primitives, everything else derived here."""

from __future__ import annotations

import os
import shutil
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ._errors import UnsupportedOperationError
from ._transfer import run_parts

PathLike = str | os.PathLike


def check_suffix(list_dir: bool, suffix: str | tuple[str, ...] | None) -> None:
    """Validate the ``suffix`` argument of ``list_dir_or_file``."""
    if list_dir and suffix is not None:
        raise TypeError("list_dir_or_file: `suffix` must be None when `list_dir` is True")
    if suffix is not None and not (
        isinstance(suffix, str) or (isinstance(suffix, tuple) and all(isinstance(s, str) for s in suffix))
    ):
        raise TypeError(f"list_dir_or_file: `suffix` must be a str or a tuple of str, got {suffix!r}")


class BaseStorageBackend(ABC):
    """A storage backend.

    Subclasses implement the primitives ``_get``, ``_put``, ``_isfile``, ``_isdir``,
    ``_remove`` and ``_iter_dir`` on paths that are already mapped; the public methods map
    paths once (``path_mapping``) and derive copying, listing, trees and local copies from the
    primitives. Backends override a derived ``_method`` when they can do it faster.

    Args:
        path_mapping: ``{old: new}`` substitutions applied to every path before use, in order,
            each replacing the first occurrence (MMEngine's ``path_mapping``).
    """

    name = "base"
    #: Files of a tree copy in flight at once (object stores raise it).
    tree_concurrency = 1

    def __init__(self, path_mapping: dict[str, str] | None = None) -> None:
        if path_mapping is not None and not (
            isinstance(path_mapping, dict)
            and all(isinstance(k, str) and isinstance(v, str) for k, v in path_mapping.items())
        ):
            raise TypeError(f"path_mapping must be a dict of str to str, got {path_mapping!r}")
        self.path_mapping = dict(path_mapping or {})

    # ------------------------------------------------------------------ primitives
    @abstractmethod
    def _get(self, path: str) -> bytes:
        """Return the bytes of a file."""

    @abstractmethod
    def _put(self, data: bytes, path: str) -> None:
        """Write bytes to a file atomically, creating parents as needed."""

    @abstractmethod
    def _isfile(self, path: str) -> bool:
        """Whether ``path`` is a file."""

    @abstractmethod
    def _isdir(self, path: str) -> bool:
        """Whether ``path`` is a directory (or a prefix holding objects)."""

    @abstractmethod
    def _remove(self, path: str) -> None:
        """Remove one file; raise FileNotFoundError if it does not exist."""

    @abstractmethod
    def _iter_dir(self, path: str) -> Iterator[tuple[str, bool]]:
        """Yield ``(name, is_dir)`` for the direct children of a directory."""

    # ------------------------------------------------------------------ helpers
    def map_path(self, filepath: PathLike) -> str:
        """Return ``filepath`` as a string with ``path_mapping`` applied."""
        path = os.fspath(filepath) if isinstance(filepath, os.PathLike) else filepath
        if not isinstance(path, str):
            raise TypeError(f"{type(self).__name__}: a path must be str or os.PathLike, got {filepath!r}")
        for old, new in self.path_mapping.items():
            path = path.replace(old, new, 1)
        return path

    def _join(self, base: str, *parts: str) -> str:
        for part in parts:
            base = base + part if base.endswith("/") else f"{base}/{part}"
        return base

    def _basename(self, path: str) -> str:
        return path.rstrip("/").rsplit("/", 1)[-1]

    def _isdir_target(self, path: str) -> bool:
        return path.endswith("/") or self._isdir(path)

    # ------------------------------------------------------------------ public API
    def get(self, filepath: PathLike) -> bytes:
        """Read a file as bytes."""
        return self._get(self.map_path(filepath))

    def get_text(self, filepath: PathLike, encoding: str = "utf-8") -> str:
        """Read a file as text."""
        return self._get(self.map_path(filepath)).decode(encoding)

    def put(self, obj: bytes, filepath: PathLike) -> None:
        """Write bytes to a file atomically (the parent directory is created if needed)."""
        if not isinstance(obj, (bytes, bytearray, memoryview)):
            raise TypeError(f"put expects bytes, got {type(obj).__name__}; use put_text for str")
        self._put(bytes(obj) if isinstance(obj, memoryview) else obj, self.map_path(filepath))

    def put_text(self, obj: str, filepath: PathLike, encoding: str = "utf-8") -> None:
        """Write text to a file atomically."""
        if not isinstance(obj, str):
            raise TypeError(f"put_text expects str, got {type(obj).__name__}; use put for bytes")
        self._put(obj.encode(encoding), self.map_path(filepath))

    def exists(self, filepath: PathLike) -> bool:
        """Whether a file or directory exists."""
        path = self.map_path(filepath)
        return self._isfile(path) or self._isdir(path)

    def isdir(self, filepath: PathLike) -> bool:
        """Whether ``filepath`` is a directory."""
        return self._isdir(self.map_path(filepath))

    def isfile(self, filepath: PathLike) -> bool:
        """Whether ``filepath`` is a file."""
        return self._isfile(self.map_path(filepath))

    def join_path(self, filepath: PathLike, *filepaths: PathLike) -> str:
        """Join path components with this backend's separator."""
        return self._join(self.map_path(filepath), *(os.fspath(p) for p in filepaths))

    @contextmanager
    def get_local_path(self, filepath: PathLike) -> Iterator[str]:
        """Yield a local path holding the file; a downloaded copy is deleted on exit."""
        path = self.map_path(filepath)
        tmpdir = tempfile.mkdtemp(prefix="mme-fileio-")
        try:
            local = os.path.join(tmpdir, self._basename(path) or "file")
            self._copyfile_to_local(path, local)
            yield local
        finally:
            shutil.rmtree(tmpdir, ignore_errors=True)

    def copyfile(self, src: PathLike, dst: PathLike) -> str:
        """Copy a file within this backend; a directory ``dst`` receives ``src``'s basename."""
        src_p, dst_p = self.map_path(src), self.map_path(dst)
        if self._isdir_target(dst_p):
            dst_p = self._join(dst_p, self._basename(src_p))
        self._copyfile(src_p, dst_p)
        return dst_p

    def copytree(self, src: PathLike, dst: PathLike) -> str:
        """Copy a directory tree within this backend; ``dst`` must not exist."""
        src_p, dst_p = self.map_path(src), self.map_path(dst)
        self._check_tree_copy(src_p, self._isdir(src_p), dst_p, self._isfile(dst_p) or self._isdir(dst_p))
        run_parts(
            lambda rel: self._copyfile(self._join(src_p, rel), self._join(dst_p, rel)),
            self._walk_files(src_p),
            self.tree_concurrency,
        )
        return dst_p

    def copyfile_from_local(self, src: PathLike, dst: PathLike) -> str:
        """Upload a local file; a directory ``dst`` receives ``src``'s basename."""
        src_p, dst_p = os.fspath(src), self.map_path(dst)
        if not os.path.isfile(src_p):
            raise FileNotFoundError(f"copyfile_from_local: no such local file: {src_p}")
        if self._isdir_target(dst_p):
            dst_p = self._join(dst_p, os.path.basename(src_p))
        self._copyfile_from_local(src_p, dst_p)
        return dst_p

    def copytree_from_local(self, src: PathLike, dst: PathLike) -> str:
        """Upload a local directory tree; ``dst`` must not exist."""
        src_p, dst_p = os.fspath(src), self.map_path(dst)
        self._check_tree_copy(src_p, os.path.isdir(src_p), dst_p, self._isfile(dst_p) or self._isdir(dst_p))
        rels = [
            Path(os.path.relpath(os.path.join(root, name), src_p)).as_posix()
            for root, _dirs, files in os.walk(src_p)
            for name in sorted(files)
        ]
        run_parts(
            lambda rel: self._copyfile_from_local(os.path.join(src_p, *rel.split("/")), self._join(dst_p, rel)),
            rels,
            self.tree_concurrency,
        )
        return dst_p

    def copyfile_to_local(self, src: PathLike, dst: PathLike) -> str:
        """Download a file; a directory ``dst`` receives ``src``'s basename."""
        src_p, dst_p = self.map_path(src), os.fspath(dst)
        if dst_p.endswith(os.sep) or os.path.isdir(dst_p):
            dst_p = os.path.join(dst_p, self._basename(src_p))
        self._copyfile_to_local(src_p, dst_p)
        return dst_p

    def copytree_to_local(self, src: PathLike, dst: PathLike) -> str:
        """Download a directory tree; the local ``dst`` must not exist."""
        src_p, dst_p = self.map_path(src), os.fspath(dst)
        self._check_tree_copy(src_p, self._isdir(src_p), dst_p, os.path.exists(dst_p))
        run_parts(
            lambda rel: self._copyfile_to_local(self._join(src_p, rel), os.path.join(dst_p, *rel.split("/"))),
            self._walk_files(src_p),
            self.tree_concurrency,
        )
        return dst_p

    def remove(self, filepath: PathLike) -> None:
        """Remove a file (not a directory)."""
        path = self.map_path(filepath)
        if not self._isfile(path) and self._isdir(path):
            raise IsADirectoryError(f"remove: {path} is a directory; use rmtree")
        self._remove(path)

    def rmtree(self, dir_path: PathLike) -> None:
        """Remove a directory and everything under it."""
        path = self.map_path(dir_path)
        if not self._isdir(path):
            raise FileNotFoundError(f"rmtree: no such directory: {path}")
        self._rmtree(path)

    def copy_if_symlink_fails(self, src: PathLike, dst: PathLike) -> bool:
        """Symlink ``src`` to ``dst`` where supported, else copy; return whether it linked."""
        path = self.map_path(src)
        if self._isfile(path):
            self.copyfile(src, dst)
        else:
            self.copytree(src, dst)
        return False

    def list_dir_or_file(
        self,
        dir_path: PathLike,
        list_dir: bool = True,
        list_file: bool = True,
        suffix: str | tuple[str, ...] | None = None,
        recursive: bool = False,
    ) -> Iterator[str]:
        """Yield paths relative to ``dir_path`` (``/``-separated) of its directories and files.

        Args:
            dir_path: Directory to list.
            list_dir: Yield directories.
            list_file: Yield files.
            suffix: Only files ending with it (a str or tuple); needs ``list_dir=False``.
            recursive: Descend into subdirectories.
        """
        check_suffix(list_dir, suffix)
        path = self.map_path(dir_path)
        if not self._isdir(path):
            if self._isfile(path):
                raise NotADirectoryError(f"list_dir_or_file: {path} is a file, not a directory")
            raise FileNotFoundError(f"list_dir_or_file: no such directory: {path}")
        return self._list(path, list_dir, list_file, suffix, recursive)

    def generate_presigned_url(self, url: str, client_method: str = "get_object", expires_in: int = 3600) -> str:
        """Return a URL granting temporary access to ``url`` (object stores only)."""
        raise UnsupportedOperationError(f"{type(self).__name__} cannot generate presigned URLs (for {url})")

    # ------------------------------------------------------------------ derived, overridable
    def _list(self, path: str, list_dir: bool, list_file: bool, suffix, recursive: bool) -> Iterator[str]:
        def walk(rel_dir: str) -> Iterator[str]:
            for name, is_dir in sorted(self._iter_dir(self._join(path, rel_dir) if rel_dir else path)):
                rel = f"{rel_dir}/{name}" if rel_dir else name
                if is_dir:
                    if list_dir:
                        yield rel
                    if recursive:
                        yield from walk(rel)
                elif list_file and (suffix is None or rel.endswith(suffix)):
                    yield rel

        return walk("")

    def _walk_files(self, path: str) -> list[str]:
        return list(self._list(path, False, True, None, True))

    def _rmtree(self, path: str) -> None:
        for rel in self._walk_files(path):
            self._remove(self._join(path, rel))

    def _copyfile(self, src: str, dst: str) -> None:
        self._put(self._get(src), dst)

    def _copyfile_from_local(self, src: str, dst: str) -> None:
        with open(src, "rb") as f:
            self._put(f.read(), dst)

    def _copyfile_to_local(self, src: str, dst: str) -> None:
        from ._local import atomic_write_bytes

        atomic_write_bytes(dst, self._get(src))

    @staticmethod
    def _check_tree_copy(src: str, src_is_dir: bool, dst: str, dst_exists: bool) -> None:
        if not src_is_dir:
            raise FileNotFoundError(f"copytree: no such directory: {src}")
        if dst_exists:
            raise FileExistsError(f"copytree: destination already exists: {dst}")

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"
