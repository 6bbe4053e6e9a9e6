"""mme.config: MMEngine-style configs in .py, .json and .yaml, with inheritance and overrides.

Importing this package is light: no torch, no numpy, and yaml/argparse only when used.
"""

from __future__ import annotations

from typing import Any

from ._config import Config
from ._config_dict import ConfigDict
from ._errors import ConfigError, ConfigProblem
from ._lazy import LazyAttr, LazyObject, read_base
from .version import __version__

__all__ = [
    "Config",
    "ConfigDict",
    "ConfigError",
    "ConfigOptionError",
    "ConfigProblem",
    "DictAction",
    "LazyAttr",
    "LazyObject",
    "__version__",
    "read_base",
]


def __getattr__(name: str) -> Any:
    # DictAction needs argparse, which most users of the package never import.
    if name in ("DictAction", "ConfigOptionError"):
        from . import _dict_action

        return getattr(_dict_action, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
