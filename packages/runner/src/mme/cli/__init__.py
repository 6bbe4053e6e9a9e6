"""mme.cli: the ``mme`` command line (``mme train``, ``mme test``, ``mme config``, ``mme logs``,
``mme checkpoint``).

A user error ends the command with one message and a hint on stderr and an exit status of
:class:`ExitCode` (``mme --help`` lists them); ``--debug`` or ``MME_DEBUG=1`` adds the traceback.
"""

from __future__ import annotations

from mme.runner.version import __version__

from ._commands import main
from ._exit import ExitCode, Failure, classify, report
from ._parser import build_parser

__all__ = ["ExitCode", "Failure", "__version__", "build_parser", "classify", "main", "report"]
