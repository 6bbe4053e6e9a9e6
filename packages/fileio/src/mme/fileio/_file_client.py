"""FileClient: MMEngine's deprecated object-style file access, delegating to an mme.fileio backend.

New code should call the module-level functions (``mme.fileio.get``, ``put``, ...) or
``get_file_backend``; ``FileClient`` remains for code written against MMEngine's older API.
"""

from __future__ import annotations

import inspect
import os
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ._backend import BaseStorageBackend, PathLike
from ._fsspec import HTTPBackend
from ._local import LocalBackend
from ._optional_backends import LmdbBackend, MemcachedBackend, PetrelBackend
from ._s3 import S3Backend

__all__ = ["FileClient"]


class FileClient:
    """A file client of one backend, picked by name or by URI prefix (deprecated in MMEngine).

    Backends by name: ``disk`` (local files), ``memcached``, ``lmdb``, ``petrel``, ``http`` and
    ``s3``. Prefixes: ``s3`` (mme's S3 backend, boto3), ``petrel``, ``http`` and ``https``; no
    backend and no prefix means ``disk``. Clients are singletons per backend, prefix and
    arguments: ``FileClient('disk') is FileClient('disk')``.

    Args:
        backend: Backend name.
        prefix: URI scheme (``'s3'``); used when ``backend`` is None.
        **kwargs: Arguments of the backend's constructor.

    Raises:
        ValueError: The backend or prefix is unknown.
        ImportError: The backend's client package is not installed.
    """

    _backends: dict[str, type[BaseStorageBackend]] = {
        "disk": LocalBackend,
        "memcached": MemcachedBackend,
        "lmdb": LmdbBackend,
        "petrel": PetrelBackend,
        "http": HTTPBackend,
        "s3": S3Backend,
    }
    _prefix_to_backends: dict[str, type[BaseStorageBackend]] = {
        "s3": S3Backend,
        "petrel": PetrelBackend,
        "http": HTTPBackend,
        "https": HTTPBackend,
    }
    _instances: dict[str, FileClient] = {}
    _lock = threading.RLock()

    client: BaseStorageBackend

    def __new__(cls, backend: str | None = None, prefix: str | None = None, **kwargs: Any) -> FileClient:
        warnings.warn('"FileClient" is deprecated: use the io functions of mme.fileio (get, put, '
                      "get_file_backend, ...)", DeprecationWarning, stacklevel=2)
        if backend is None and prefix is None:
            backend = "disk"
        if backend is not None and backend not in cls._backends:
            raise ValueError(f"Backend {backend} is not supported. Currently supported ones are "
                             f"{list(cls._backends)}")
        if prefix is not None and prefix not in cls._prefix_to_backends:
            raise ValueError(f"prefix {prefix} is not supported. Currently supported ones are "
                             f"{list(cls._prefix_to_backends)}")
        key = f"{backend}:{prefix}" + "".join(f":{k}:{v!r}" for k, v in sorted(kwargs.items()))
        with cls._lock:
            instance = cls._instances.get(key)
            if instance is None:
                backend_cls = cls._backends[backend] if backend is not None else cls._prefix_to_backends[prefix]
                instance = super().__new__(cls)
                instance.client = backend_cls(**kwargs)
                cls._instances[key] = instance
        return instance

    @property
    def name(self) -> str:
        """The backend's class name."""
        return type(self.client).__name__

    @property
    def allow_symlink(self) -> bool:
        """Whether the backend can make symlinks (local disk only)."""
        return isinstance(self.client, LocalBackend)

    @staticmethod
    def parse_uri_prefix(uri: str | Path) -> str | None:
        """The scheme of ``uri`` (``'s3'`` for ``s3://b/k`` and ``cluster:s3://b/k``), None for a plain path.

        Raises:
            TypeError: ``uri`` is not a str or a Path.
        """
        if not isinstance(uri, (str, Path)):
            raise TypeError(f"parse_uri_prefix expects a str or Path, got {type(uri).__name__}")
        uri = str(uri)
        if "://" not in uri:
            return None
        prefix = uri.split("://", 1)[0]
        if ":" in prefix:
            prefix = prefix.split(":")[-1]
        return prefix

    @classmethod
    def infer_client(cls, file_client_args: dict | None = None, uri: str | Path | None = None) -> FileClient:
        """The client of ``file_client_args`` (``{'backend': ..., ...}``), else of ``uri``'s prefix.

        Raises:
            ValueError: Neither argument is given.
        """
        if file_client_args is None and uri is None:
            raise ValueError("FileClient.infer_client needs file_client_args or a uri")
        if file_client_args is None:
            return cls(prefix=cls.parse_uri_prefix(uri))  # type: ignore[arg-type]
        return cls(**file_client_args)

    @classmethod
    def _register_backend(cls, name: str, backend: Any, force: bool = False,
                          prefixes: str | list[str] | tuple[str, ...] | None = None) -> None:
        if not isinstance(name, str):
            raise TypeError(f"the backend name must be a str, got {type(name).__name__}")
        if not (inspect.isclass(backend) and issubclass(backend, BaseStorageBackend)):
            raise TypeError(f"backend should be a subclass of BaseStorageBackend, got {backend!r}")
        if not force and name in cls._backends:
            raise KeyError(f"{name} is already registered as a storage backend, add \"force=True\" to override it")
        if isinstance(prefixes, str):
            prefixes = [prefixes]
        for prefix in prefixes or []:
            if not force and prefix in cls._prefix_to_backends:
                raise KeyError(f"{prefix} is already registered as a storage backend, add \"force=True\" to override it")
        with cls._lock:
            if name in cls._backends:
                old = cls._backends[name]
                for key in [k for k, v in cls._instances.items() if isinstance(v.client, old)]:
                    del cls._instances[key]
            cls._backends[name] = backend
            for prefix in prefixes or []:
                cls._prefix_to_backends[prefix] = backend

    @classmethod
    def register_backend(cls, name: str, backend: Any = None, force: bool = False,
                         prefixes: str | list[str] | tuple[str, ...] | None = None) -> Any:
        """Register a backend class under ``name`` (and ``prefixes``); without ``backend``, return a decorator.

        Raises:
            KeyError: The name or a prefix is taken and ``force`` is False.
            TypeError: ``backend`` is not a BaseStorageBackend subclass.
        """
        if backend is not None:
            cls._register_backend(name, backend, force=force, prefixes=prefixes)
            return backend

        def decorator(backend_cls: Any) -> Any:
            cls._register_backend(name, backend_cls, force=force, prefixes=prefixes)
            return backend_cls

        return decorator

    def get(self, filepath: PathLike) -> bytes:
        """Read a file as bytes."""
        return self.client.get(filepath)

    def get_text(self, filepath: PathLike, encoding: str = "utf-8") -> str:
        """Read a file as text."""
        return self.client.get_text(filepath, encoding)

    def put(self, obj: bytes, filepath: PathLike) -> None:
        """Write bytes to a file (atomically)."""
        self.client.put(obj, filepath)

    def put_text(self, obj: str, filepath: PathLike) -> None:
        """Write text to a file (atomically)."""
        self.client.put_text(obj, filepath)

    def remove(self, filepath: PathLike) -> None:
        """Remove a file."""
        self.client.remove(filepath)

    def exists(self, filepath: PathLike) -> bool:
        """Whether a file or directory exists."""
        return self.client.exists(filepath)

    def isdir(self, filepath: PathLike) -> bool:
        """Whether ``filepath`` is a directory."""
        return self.client.isdir(filepath)

    def isfile(self, filepath: PathLike) -> bool:
        """Whether ``filepath`` is a file."""
        return self.client.isfile(filepath)

    def join_path(self, filepath: PathLike, *filepaths: PathLike) -> str:
        """Join path components with the backend's separator."""
        return self.client.join_path(filepath, *filepaths)

    @contextmanager
    def get_local_path(self, filepath: PathLike) -> Iterator[str]:
        """Yield a local path holding the file (a temporary copy for remote files)."""
        with self.client.get_local_path(os.fspath(filepath) if isinstance(filepath, os.PathLike) else filepath) \
                as local_path:
            yield local_path

    def list_dir_or_file(self, dir_path: PathLike, list_dir: bool = True, list_file: bool = True,
                         suffix: str | tuple[str, ...] | None = None, recursive: bool = False) -> Iterator[str]:
        """Yield the paths of directories and files under ``dir_path``, relative to it."""
        yield from self.client.list_dir_or_file(dir_path, list_dir, list_file, suffix, recursive)
