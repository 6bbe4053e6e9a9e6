"""mme.cli: the ``mme`` command line (``mme train``, ``mme test``, ``mme config``, ``mme logs``)."""

from __future__ import annotations

from mme.runner.version import __version__

from ._commands import main
from ._parser import build_parser

__all__ = ["__version__", "build_parser", "main"]
