"""mme.strategy."""

from __future__ import annotations

from mme.runner.version import __version__

__all__ = ["__version__"]
