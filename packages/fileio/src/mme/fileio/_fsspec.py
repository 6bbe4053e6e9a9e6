"""Backends on fsspec: every protocol fsspec knows (memory://, gcs://, ...) and http(s)://."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from ._backend import BaseStorageBackend
from ._errors import UnsupportedOperationError
from ._local import atomic_write

if TYPE_CHECKING:
    import fsspec


def split_protocol(path: str) -> tuple[str | None, str]:
    """``("memory", "a/b")`` for ``"memory://a/b"``; ``(None, path)`` when there is no protocol."""
    if "://" in path:
        protocol, rest = path.split("://", 1)
        return protocol, rest
    return None, path


class FsspecBackend(BaseStorageBackend):
    """Any fsspec filesystem, chosen per path by its protocol.

    Writes go through ``pipe_file``: whether they are atomic is up to the filesystem
    (memory:// and object stores are; see fsspec's documentation for others).

    Args:
        path_mapping: See :class:`BaseStorageBackend`.
        **storage_options: Passed to ``fsspec.filesystem`` (credentials, endpoints, ...).
    """

    name = "fsspec"

    def __init__(self, path_mapping: dict[str, str] | None = None, **storage_options: Any) -> None:
        super().__init__(path_mapping)
        self.storage_options = storage_options
        self._filesystems: dict[str, fsspec.AbstractFileSystem] = {}
        self._lock = threading.Lock()

    def fs(self, path: str) -> fsspec.AbstractFileSystem:
        """The fsspec filesystem serving ``path``."""
        protocol = split_protocol(path)[0] or "file"
        fs = self._filesystems.get(protocol)
        if fs is None:
            import fsspec  # ~0.1 s; only paid by runs that use an fsspec protocol

            with self._lock:
                try:
                    fs = fsspec.filesystem(protocol, **self.storage_options)
                except ImportError as exc:
                    raise ImportError(f"{protocol}:// needs a package fsspec does not have: {exc}") from exc
                self._filesystems[protocol] = fs
        return fs

    def _get(self, path: str) -> bytes:
        return self.fs(path).cat_file(path)

    def _put(self, data: bytes, path: str) -> None:
        self.fs(path).pipe_file(path, data)

    def _isfile(self, path: str) -> bool:
        return self.fs(path).isfile(path)

    def _isdir(self, path: str) -> bool:
        return self.fs(path).isdir(path)

    def _remove(self, path: str) -> None:
        fs = self.fs(path)
        if not fs.isfile(path):
            raise FileNotFoundError(f"remove: no such file: {path}")
        fs.rm_file(path)

    def _iter_dir(self, path: str) -> Iterator[tuple[str, bool]]:
        fs = self.fs(path)
        own = fs._strip_protocol(path).rstrip("/")
        entries = []
        for info in fs.ls(path, detail=True):
            name = str(info["name"]).rstrip("/")
            if name == own:
                continue
            entries.append((name.rsplit("/", 1)[-1], info.get("type") == "directory"))
        return iter(entries)

    def _rmtree(self, path: str) -> None:
        self.fs(path).rm(path, recursive=True)

    def _copyfile(self, src: str, dst: str) -> None:
        fs = self.fs(src)
        if self.fs(dst) is fs:
            fs.cp_file(src, dst)
        else:
            self._put(self._get(src), dst)

    def _copyfile_to_local(self, src: str, dst: str) -> None:
        with self.fs(src).open(src, "rb") as fsrc:
            atomic_write(dst, lambda f: shutil.copyfileobj(fsrc, f, 8 * 1024 * 1024))

    def generate_presigned_url(self, url: str, client_method: str = "get_object", expires_in: int = 3600) -> str:
        """Return ``fs.sign(url)`` where the filesystem supports signing."""
        path = self.map_path(url)
        try:
            return self.fs(path).sign(path, expiration=expires_in)
        except NotImplementedError as exc:
            raise UnsupportedOperationError(f"{split_protocol(path)[0]}:// cannot presign URLs ({path})") from exc

    def __repr__(self) -> str:
        return f"{type(self).__name__}(protocols={sorted(self._filesystems)})"


class HTTPBackend(FsspecBackend):
    """Read-only ``http://`` and ``https://`` through fsspec (which needs aiohttp)."""

    name = "http"

    def _put(self, data: bytes, path: str) -> None:
        raise UnsupportedOperationError(f"cannot write over HTTP: {path}")

    def _remove(self, path: str) -> None:
        raise UnsupportedOperationError(f"cannot remove over HTTP: {path}")

    def _rmtree(self, path: str) -> None:
        raise UnsupportedOperationError(f"cannot remove over HTTP: {path}")

    def _isdir(self, path: str) -> bool:
        return False

    def _iter_dir(self, path: str) -> Iterator[tuple[str, bool]]:
        raise UnsupportedOperationError(f"cannot list over HTTP: {path}")
