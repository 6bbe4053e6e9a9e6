"""Rank-aware logging (``MMLogger``, ``print_log``) and the run's ``MessageHub`` of ``HistoryBuffer``s."""

from __future__ import annotations

from ._errors import LoggingKeyError, LoggingTypeError, LoggingValueError
from ._history_buffer import HistoryBuffer
from ._logger import FilterDuplicateWarning, MMFormatter, MMLogger, print_log
from ._message_hub import MessageHub
from .version import __version__

__all__ = [
    "FilterDuplicateWarning",
    "HistoryBuffer",
    "LoggingKeyError",
    "LoggingTypeError",
    "LoggingValueError",
    "MMFormatter",
    "MMLogger",
    "MessageHub",
    "__version__",
    "print_log",
]
