"""The base class every visualization backend derives from."""

from __future__ import annotations

import functools
import importlib
import importlib.util
import logging
import os
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import numpy as np

from .._errors import BackendNotInstalledError

logger = logging.getLogger(__name__)

_F = TypeVar("_F", bound=Callable[..., Any])


def force_init_env(method: _F) -> _F:
    """Decorate a backend method so the backend's environment is initialised before it runs."""

    @functools.wraps(method)
    def wrapped(self: BaseVisBackend, *args: Any, **kwargs: Any) -> Any:
        self._ensure_env()
        return method(self, *args, **kwargs)

    return wrapped  # type: ignore[return-value]


class BaseVisBackend:
    """One place that scalars, images, configs and graphs are sent to.

    Subclasses implement ``_init_env`` (create the run, writer or client) and whichever ``add_*``
    methods their service supports; the others are documented no-ops. Initialisation is lazy:
    nothing is created, imported or written until the first ``add_*`` call or ``experiment``
    access, so a Visualizer can be built in every process and only rank 0 ever touches the
    service.

    Args:
        save_dir: Directory the backend writes its files to (``None`` lets a third-party backend
            use its library's default location).

    Class attributes:
        requires: Top-level module names the backend needs.
        extra: The ``mme-visual`` extra that installs them.
    """

    requires: tuple[str, ...] = ()
    extra: str | None = None

    def __init__(self, save_dir: str | os.PathLike[str] | None = None) -> None:
        self._check_installed()
        self._save_dir = None if save_dir is None else os.fspath(save_dir)
        self._env_initialized = False

    @property
    def name(self) -> str:
        """The class name, used as the default backend name in a Visualizer."""
        return type(self).__name__

    @property
    def save_dir(self) -> str | None:
        """Directory the backend writes to."""
        return self._save_dir

    @property
    def env_initialized(self) -> bool:
        """Whether the backend has created its writer, run or client."""
        return self._env_initialized

    @property
    def experiment(self) -> Any:
        """The underlying writer, run or module, created on first access."""
        self._ensure_env()
        return self._experiment()

    def _check_installed(self) -> None:
        missing = [module for module in self.requires if not _module_available(module)]
        if missing:
            raise BackendNotInstalledError(
                f"{type(self).__name__} needs the {', '.join(missing)} package, which is not installed; "
                f"run `pip install 'mme-visual[{self.extra}]'`"
            )

    def _import(self, module: str) -> Any:
        """Import one of ``requires``, turning a failure into an error that names the extra."""
        try:
            return importlib.import_module(module)
        except ImportError as exc:
            raise BackendNotInstalledError(
                f"{type(self).__name__} could not import {module} ({exc}); run `pip install 'mme-visual[{self.extra}]'`"
            ) from exc

    def _ensure_env(self) -> None:
        if not self._env_initialized:
            self._init_env()
            self._env_initialized = True

    def _init_env(self) -> None:
        """Create the writer, run or client; called once, on first use."""

    def _experiment(self) -> Any:
        """Return the object ``experiment`` exposes; override in subclasses."""
        return None

    def add_config(self, config: Any, **kwargs: Any) -> None:
        """Record the experiment config (a ``mme.config.Config`` or a dict)."""

    def add_graph(self, model: Any, data_batch: Any, **kwargs: Any) -> None:
        """Record the model graph; a no-op for backends that cannot show one."""

    def add_image(self, name: str, image: np.ndarray, step: int = 0, **kwargs: Any) -> None:
        """Record an ``(H, W, 3)`` uint8 RGB image."""

    def add_scalar(self, name: str, value: float, step: int = 0, **kwargs: Any) -> None:
        """Record one scalar."""

    def add_scalars(
        self, scalar_dict: Mapping[str, int | float], step: int = 0, file_path: str | None = None, **kwargs: Any
    ) -> None:
        """Record several scalars at one step; by default one ``add_scalar`` call per entry."""
        for key, value in scalar_dict.items():
            self.add_scalar(key, value, step, **kwargs)

    def close(self) -> None:
        """Flush and release everything; a no-op if the backend was never used."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}(save_dir={self._save_dir!r})"


def _module_available(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def config_to_dict(config: Any) -> dict[str, Any]:
    """A plain nested dict from a ``Config``/``ConfigDict``/mapping."""
    if hasattr(config, "to_dict"):
        config = config.to_dict()
    if not isinstance(config, Mapping):
        raise TypeError(f"config must be a mme.config.Config or a mapping, got {type(config).__name__}")

    def plain(value: Any) -> Any:
        if isinstance(value, Mapping):
            return {str(k): plain(v) for k, v in value.items()}
        if isinstance(value, list):
            return [plain(v) for v in value]
        if isinstance(value, tuple):
            return tuple(plain(v) for v in value)
        return value

    return plain(config)


def flatten_dict(data: Mapping[str, Any], prefix: str = "", sep: str = ".") -> dict[str, Any]:
    """Flatten nested mappings into ``{"a.b.c": value}``; other values are kept as they are."""
    flat: dict[str, Any] = {}
    for key, value in data.items():
        full = f"{prefix}{sep}{key}" if prefix else str(key)
        if isinstance(value, Mapping) and value:
            flat.update(flatten_dict(value, full, sep))
        else:
            flat[full] = value
    return flat


def config_text(config: Any) -> str:
    """The config as Python source text (``pretty_text``) or, for a plain mapping, its repr."""
    text = getattr(config, "pretty_text", None)
    if isinstance(text, str):
        return text
    return "\n".join(f"{k} = {v!r}" for k, v in config_to_dict(config).items()) + "\n"


def scalar_value(value: Any) -> Any:
    """A JSON-able Python number from an int, float, numpy scalar or one-element tensor/array."""
    if type(value) is float or type(value) is int:
        return value
    if hasattr(value, "item"):
        return value.item()
    return value
