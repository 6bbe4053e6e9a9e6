"""Backends over optional client packages: Petrel (Sensetime's object store), Memcached and LMDB.

Each imports its client package when constructed and raises an ImportError naming the package
when it is missing. Memcached and LMDB are read-only key-value stores: ``get`` and ``exists``
work, writes and listings raise :class:`UnsupportedOperationError`.
"""

from __future__ import annotations

import importlib
import os
import re
import sys
import threading
from collections.abc import Iterator
from typing import Any

from ._backend import BaseStorageBackend, PathLike
from ._errors import UnsupportedOperationError

__all__ = ["LmdbBackend", "MemcachedBackend", "PetrelBackend"]


def _require(module: str, backend: str, install: str) -> Any:
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ImportError(f"{backend} needs the {module.split('.')[0]!r} package, which is not installed: {install}") \
            from exc


class _ReadOnlyKeyValueBackend(BaseStorageBackend):
    """A key-value store read by key: writes, removals and listings are not supported."""

    def _unsupported(self, what: str, path: str) -> UnsupportedOperationError:
        return UnsupportedOperationError(f"{type(self).__name__} is read-only and cannot {what} ({path})")

    def get_text(self, filepath: PathLike, encoding: str = "utf-8") -> str:
        raise NotImplementedError(f"{type(self).__name__} stores bytes: use get() and decode them ({filepath})")

    def _put(self, data: bytes, path: str) -> None:
        raise self._unsupported("write", path)

    def _remove(self, path: str) -> None:
        raise self._unsupported("remove", path)

    def _isdir(self, path: str) -> bool:
        return False

    def _iter_dir(self, path: str) -> Iterator[tuple[str, bool]]:
        raise self._unsupported("list directories", path)

    def get_local_path(self, filepath: PathLike) -> Any:
        raise self._unsupported("give a local path", str(filepath))


class MemcachedBackend(_ReadOnlyKeyValueBackend):
    """Read files cached in Memcached through Sensetime's ``mc`` client.

    Args:
        server_list_cfg: Path of the server list config.
        client_cfg: Path of the client config.
        sys_path: Directory added to ``sys.path`` before importing ``mc``.

    Raises:
        ImportError: The ``mc`` package is not installed.
    """

    name = "memcached"

    def __init__(self, server_list_cfg: str, client_cfg: str, sys_path: str | None = None) -> None:
        super().__init__()
        if sys_path is not None and sys_path not in sys.path:
            sys.path.append(sys_path)
        mc = _require("mc", "MemcachedBackend", "install Memcached's Python client (the 'mc' module)")
        self.server_list_cfg = server_list_cfg
        self.client_cfg = client_cfg
        self._mc = mc
        self._client = mc.MemcachedClient.GetInstance(server_list_cfg, client_cfg)
        self._mc_buffer = mc.pyvector()

    def _get(self, path: str) -> bytes:
        self._client.Get(path, self._mc_buffer)
        return bytes(self._mc.ConvertBuffer(self._mc_buffer))

    def _isfile(self, path: str) -> bool:
        try:
            self._get(path)
        except Exception:
            return False
        return True

    def __repr__(self) -> str:
        return f"MemcachedBackend(server_list_cfg={self.server_list_cfg!r}, client_cfg={self.client_cfg!r})"


_LMDB_ENVS: dict[tuple[str, int], Any] = {}
_LMDB_LOCK = threading.Lock()


class LmdbBackend(_ReadOnlyKeyValueBackend):
    """Read values of an LMDB database by key (the path is the key, ASCII-encoded).

    The environment is opened on first use, once per database and process (backends of one
    database share it), so a backend made before a fork opens its own in each worker process.

    Args:
        db_path: Directory of the LMDB database.
        readonly, lock, readahead: ``lmdb.open``'s arguments.
        **kwargs: Further ``lmdb.open`` arguments.

    Raises:
        ImportError: The ``lmdb`` package is not installed.
    """

    name = "lmdb"

    def __init__(self, db_path: PathLike, readonly: bool = True, lock: bool = False, readahead: bool = False,
                 **kwargs: Any) -> None:
        super().__init__()
        self._lmdb = _require("lmdb", "LmdbBackend", "pip install lmdb")
        self.db_path = os.fspath(db_path)
        self._open_kwargs = dict(readonly=readonly, lock=lock, readahead=readahead, **kwargs)

    def _environment(self) -> Any:
        # lmdb allows one open environment per database and process: backends share it
        key = (os.path.realpath(self.db_path), os.getpid())
        with _LMDB_LOCK:
            env = _LMDB_ENVS.get(key)
            if env is None:
                env = _LMDB_ENVS[key] = self._lmdb.open(self.db_path, **self._open_kwargs)
        return env

    def _value(self, path: str) -> bytes | None:
        with self._environment().begin(write=False) as txn:
            value = txn.get(path.encode("ascii"))
        return None if value is None else bytes(value)

    def _get(self, path: str) -> bytes:
        value = self._value(path)
        if value is None:
            raise FileNotFoundError(f"LmdbBackend: no key {path!r} in {self.db_path}")
        return value

    def _isfile(self, path: str) -> bool:
        return self._value(path) is not None

    def close(self) -> None:
        """Close this process's environment of the database (any backend of it reopens it on next use)."""
        with _LMDB_LOCK:
            env = _LMDB_ENVS.pop((os.path.realpath(self.db_path), os.getpid()), None)
        if env is not None:
            env.close()

    def __repr__(self) -> str:
        return f"LmdbBackend(db_path={self.db_path!r})"


class PetrelBackend(BaseStorageBackend):
    """Files in Sensetime's Petrel object store, through ``petrel_client``.

    ``petrel://bucket/key`` paths are read as ``s3://bucket/key`` (the client's scheme); a
    cluster name may lead the path (``cluster:s3://bucket/key``).

    Args:
        path_mapping: ``{old: new}`` path substitutions, applied first.
        enable_mc: Let the client cache reads in Memcached.
        conf_path: The client's config file (its default when None).

    Raises:
        ImportError: ``petrel_client`` is not installed.
    """

    name = "petrel"
    tree_concurrency = 8

    def __init__(self, path_mapping: dict[str, str] | None = None, enable_mc: bool = True,
                 conf_path: str | None = None) -> None:
        super().__init__(path_mapping)
        client = _require("petrel_client.client", "PetrelBackend", "install Sensetime's petrel_client")
        self._client = client.Client(conf_path=conf_path, enable_mc=enable_mc)
        self.enable_mc = enable_mc
        self.conf_path = conf_path

    def map_path(self, filepath: PathLike) -> str:
        path = super().map_path(filepath).replace("\\", "/")
        return re.sub(r"^petrel://", "s3://", path)

    def _get(self, path: str) -> bytes:
        value = self._client.Get(path)
        if value is None:
            raise FileNotFoundError(f"PetrelBackend: no such object: {path}")
        return bytes(memoryview(value))

    def _put(self, data: bytes, path: str) -> None:
        self._client.put(path, data)

    def _isfile(self, path: str) -> bool:
        return bool(self._client.contains(path))

    def _isdir(self, path: str) -> bool:
        return bool(self._client.isdir(path))

    def _remove(self, path: str) -> None:
        if not self._client.contains(path):
            raise FileNotFoundError(f"PetrelBackend: no such object: {path}")
        self._client.delete(path)

    def _iter_dir(self, path: str) -> Iterator[tuple[str, bool]]:
        base = path if path.endswith("/") else path + "/"
        for name in self._client.list(base):
            yield (name[:-1], True) if name.endswith("/") else (name, False)

    def generate_presigned_url(self, url: str, client_method: str = "get_object", expires_in: int = 3600) -> str:
        """A presigned URL of ``url`` from the client."""
        return self._client.generate_presigned_url(self.map_path(url), client_method, expires_in)

    def __repr__(self) -> str:
        return f"PetrelBackend(enable_mc={self.enable_mc}, conf_path={self.conf_path!r})"
