"""mme.hub: configs and models that installed packages ship, by ``package::path/to/config.py``."""

from __future__ import annotations

from mme.runner.version import __version__

from ._hub import get_config, get_model

__all__ = ["__version__", "get_config", "get_model"]
