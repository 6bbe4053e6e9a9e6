"""matplotlib, imported on first use: it takes about 0.4 s, which a run that only records scalars should not pay."""

from __future__ import annotations

import functools
import importlib
from types import ModuleType


@functools.cache
def mpl(module: str = "") -> ModuleType:
    """``matplotlib.<module>`` (``matplotlib`` itself without ``module``), imported on first call."""
    return importlib.import_module(f"matplotlib.{module}" if module else "matplotlib")
