"""Exceptions raised by :mod:`mme.logging`."""

from __future__ import annotations


class LoggingKeyError(KeyError):
    """A scalar, statistic or logger that does not exist was asked for."""

    def __str__(self) -> str:  # KeyError quotes its message; keep it readable.
        return str(self.args[0]) if self.args else ""


class LoggingTypeError(TypeError):
    """A value of an unsupported type was logged."""


class LoggingValueError(ValueError):
    """A bad value was passed (log level, window size, ...)."""
