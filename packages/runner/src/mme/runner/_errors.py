"""Exceptions raised by mme.runner."""

from __future__ import annotations

from mme.strategy import CheckpointError, IncompleteCheckpointError, UnsafeCheckpointError

__all__ = [
    "CheckpointError",
    "IncompleteCheckpointError",
    "NonFiniteLossError",
    "RunnerConfigError",
    "RunnerStateError",
    "UnsafeCheckpointError",
]


class RunnerConfigError(ValueError):
    """The Runner was given an inconsistent or invalid configuration.

    Args:
        message: What is wrong.
        problems: When the Runner checked its whole configuration, each problem found as a
            ``(key path, description)`` pair, e.g. ``('default_hooks.checkpoint', "CheckpointHook
            does not take 'intreval'; did you mean 'interval'?")``. The message lists them all.
    """

    def __init__(self, message: str, problems: tuple[tuple[str, str], ...] | list[tuple[str, str]] = ()) -> None:
        super().__init__(message)
        self.problems: tuple[tuple[str, str], ...] = tuple(problems)


class RunnerStateError(RuntimeError):
    """A Runner method was called when the Runner lacks what it needs (e.g. ``train`` without data)."""


class NonFiniteLossError(FloatingPointError):
    """The training loss became NaN or infinite."""
