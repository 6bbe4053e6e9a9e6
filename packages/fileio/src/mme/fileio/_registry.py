"""The registry of storage backends by name and URI prefix (longest prefix wins)."""

from __future__ import annotations

import inspect
import os
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from ._backend import BaseStorageBackend, PathLike
from ._errors import BackendRegistrationError, UnknownBackendError

_backends: dict[str, type[BaseStorageBackend]] = {}
_prefixes: dict[str, type[BaseStorageBackend]] = {}
_instances: dict[tuple, BaseStorageBackend] = {}
_lock = threading.RLock()


def _normalize_prefix(prefix: str) -> str:
    if not isinstance(prefix, str) or not prefix:
        raise TypeError(f"a backend prefix must be a non-empty str, got {prefix!r}")
    return prefix if "://" in prefix else f"{prefix}://"


def _register(name: str, backend: Any, force: bool, prefixes: str | Sequence[str] | None) -> None:
    if not isinstance(name, str) or not name:
        raise TypeError(f"backend name must be a non-empty str, got {name!r}")
    if not (inspect.isclass(backend) and issubclass(backend, BaseStorageBackend)):
        raise TypeError(f"backend {name!r} must be a subclass of BaseStorageBackend, got {backend!r}")
    if isinstance(prefixes, str):
        prefixes = [prefixes]
    elif prefixes is not None and not (isinstance(prefixes, (list, tuple)) and all(isinstance(p, str) for p in prefixes)):
        raise TypeError(f"prefixes of backend {name!r} must be a str or a list of str, got {prefixes!r}")
    normalized = [_normalize_prefix(p) for p in prefixes or []]
    with _lock:
        if not force:
            if name in _backends:
                raise BackendRegistrationError(
                    f"backend {name!r} is already registered ({_backends[name].__name__}); pass force=True to replace it"
                )
            taken = [p for p in normalized if p in _prefixes]
            if taken:
                raise BackendRegistrationError(
                    f"prefix {taken[0]!r} already belongs to {_prefixes[taken[0]].__name__}; pass force=True"
                )
        old = _backends.get(name)
        _backends[name] = backend
        for prefix in normalized:
            _prefixes[prefix] = backend
        if old is not None:
            for key in [k for k in _instances if k[0] in (old, backend)]:
                del _instances[key]


def register_backend(
    name: str,
    backend: type[BaseStorageBackend] | None = None,
    force: bool = False,
    prefixes: str | Sequence[str] | None = None,
) -> Any:
    """Register a storage backend under a name and URI prefixes.

    A prefix is a scheme (``"s3"`` matches ``s3://...``) or any longer URI start
    (``"s3://fast-bucket/"``); a path goes to the backend with the longest matching prefix.
    Use it as a call, ``register_backend("mine", MyBackend, prefixes="mine")``, or as a
    class decorator, ``@register_backend("mine", prefixes=["mine"])``.

    Args:
        name: Name for ``backend_args={"backend": name}``.
        backend: A subclass of :class:`BaseStorageBackend`; omit to get a decorator.
        force: Replace a backend or prefix already registered.
        prefixes: Prefixes this backend serves.

    Returns:
        The backend class, or a decorator when ``backend`` is None.
    """
    if backend is not None:
        _register(name, backend, force, prefixes)
        return backend

    def decorator(cls: type[BaseStorageBackend]) -> type[BaseStorageBackend]:
        _register(name, cls, force, prefixes)
        return cls

    return decorator


def _map(uri: str, path_mapping: Any) -> str:
    if isinstance(path_mapping, dict):
        for old, new in path_mapping.items():
            if isinstance(old, str) and isinstance(new, str):
                uri = uri.replace(old, new, 1)
    return uri


def infer_backend(uri: str) -> type[BaseStorageBackend]:
    """The backend class serving ``uri``: longest registered prefix, then fsspec, then local."""
    with _lock:
        matches = [p for p in _prefixes if uri.startswith(p)]
        if matches:
            return _prefixes[max(matches, key=len)]
        if "://" not in uri:
            return _backends["local"]
        scheme = uri.split("://", 1)[0]
        import fsspec  # imported on first use: it costs ~0.1 s at start-up

        if scheme in fsspec.available_protocols():
            return _backends["fsspec"]
        raise UnknownBackendError(
            f"no storage backend for {scheme}:// (in {uri!r}); registered prefixes: {sorted(_prefixes)}, "
            "fsspec protocols: see fsspec.available_protocols(); register one with register_backend"
        )


def get_file_backend(
    uri: PathLike | None = None,
    backend_args: dict[str, Any] | None = None,
    enable_singleton: bool = False,
) -> BaseStorageBackend:
    """Return the backend for ``uri`` or for ``backend_args["backend"]``.

    Args:
        uri: Path or URI whose prefix picks the backend (after ``path_mapping``).
        backend_args: ``{"backend": name}`` forces a backend; every other key is passed to the
            backend's constructor (``path_mapping``, ``endpoint_url``, ...).
        enable_singleton: Reuse one instance per backend and arguments.

    Raises:
        UnknownBackendError: Neither the name nor the URI prefix is known.
        TypeError: ``backend_args`` is not a dict or holds keys the backend does not take.
    """
    if backend_args is not None and not isinstance(backend_args, dict):
        raise TypeError(f"backend_args must be a dict or None, got {type(backend_args).__name__}")
    args = dict(backend_args or {})
    name = args.pop("backend", None)
    if name is not None:
        with _lock:
            cls = _backends.get(name)
        if cls is None:
            raise UnknownBackendError(f"backend {name!r} is not registered; registered: {sorted(_backends)}")
    elif uri is None:
        raise ValueError("get_file_backend needs a uri or backend_args={'backend': name}")
    else:
        cls = infer_backend(_map(os.fspath(uri) if isinstance(uri, os.PathLike) else str(uri), args.get("path_mapping")))
    if not enable_singleton:
        return _construct(cls, args)
    key = (cls, repr(sorted(args.items(), key=lambda kv: kv[0])))
    with _lock:
        backend = _instances.get(key)
        if backend is None:
            backend = _instances[key] = _construct(cls, args)
    return backend


def _construct(cls: type[BaseStorageBackend], args: dict[str, Any]) -> BaseStorageBackend:
    try:
        return cls(**args)
    except TypeError as exc:
        raise TypeError(f"{cls.__name__} does not accept backend_args keys {sorted(args)}: {exc}") from exc


def registered_backends() -> dict[str, type[BaseStorageBackend]]:
    """A copy of the name -> backend class table."""
    with _lock:
        return dict(_backends)


def registered_prefixes() -> dict[str, type[BaseStorageBackend]]:
    """A copy of the prefix -> backend class table."""
    with _lock:
        return dict(_prefixes)


class _PrefixView(Mapping):
    """MMEngine's ``prefix_to_backends``: the prefix table keyed by scheme (``"s3"``), read-only and live."""

    def _table(self) -> dict[str, type[BaseStorageBackend]]:
        with _lock:
            return {(p[:-3] if p.endswith("://") else p): cls for p, cls in _prefixes.items()}

    def __getitem__(self, key: str) -> type[BaseStorageBackend]:
        return self._table()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._table())

    def __len__(self) -> int:
        return len(self._table())

    def __repr__(self) -> str:
        return f"prefix_to_backends({self._table()!r})"


#: MMEngine's names for the registry's tables: name -> backend class (the live table; register
#: with :func:`register_backend`), scheme -> backend class (a read-only view), and the singleton
#: instances of ``get_file_backend(enable_singleton=True)``.
backends = _backends
prefix_to_backends = _PrefixView()
backend_instances = _instances


def _builtin(register: Callable[..., Any]) -> None:
    from ._fsspec import FsspecBackend, HTTPBackend
    from ._local import LocalBackend
    from ._optional_backends import LmdbBackend, MemcachedBackend, PetrelBackend
    from ._s3 import S3Backend

    register("local", LocalBackend, prefixes="file")
    register("fsspec", FsspecBackend, prefixes=["memory"])
    register("http", HTTPBackend, prefixes=["http", "https"])
    register("s3", S3Backend, prefixes="s3")
    register("petrel", PetrelBackend, prefixes="petrel")
    register("memcached", MemcachedBackend)
    register("lmdb", LmdbBackend)


_builtin(register_backend)
