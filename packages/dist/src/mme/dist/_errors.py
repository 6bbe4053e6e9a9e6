"""Exceptions raised by :mod:`mme.dist`."""

from __future__ import annotations


class DistValueError(ValueError):
    """A bad value was passed to a distributed function (unknown launcher, op, device, ...)."""


class DistTypeError(TypeError):
    """Data of an unsupported type was passed to a distributed function."""


class DistEnvError(KeyError):
    """A launcher's required environment variable is missing or malformed."""

    def __str__(self) -> str:  # KeyError quotes its message; keep it readable.
        return str(self.args[0]) if self.args else ""


class WorkerFailedError(RuntimeError):
    """One or more worker processes started by :func:`mme.dist.testing.run_distributed` failed.

    Attributes:
        failures: Map from rank to the formatted traceback (or exit description) of that rank.
    """

    def __init__(self, message: str, failures: dict[int, str]) -> None:
        super().__init__(message)
        self.failures = failures


class WorkerTimeoutError(TimeoutError):
    """Worker processes did not finish within the hard timeout and were killed.

    Attributes:
        pending: Ranks that had not reported back when the timeout expired.
    """

    def __init__(self, message: str, pending: list[int]) -> None:
        super().__init__(message)
        self.pending = pending
