"""Exceptions raised by mme.runner."""

from __future__ import annotations

__all__ = [
    "CheckpointError",
    "IncompleteCheckpointError",
    "NonFiniteLossError",
    "RunnerConfigError",
    "RunnerStateError",
    "UnsafeCheckpointError",
]


class RunnerConfigError(ValueError):
    """The Runner was given an inconsistent or invalid configuration."""


class RunnerStateError(RuntimeError):
    """A Runner method was called when the Runner lacks what it needs (e.g. ``train`` without data)."""


class CheckpointError(ValueError):
    """A checkpoint cannot be read, written or applied."""


class IncompleteCheckpointError(CheckpointError):
    """A checkpoint file is truncated or corrupt."""


class UnsafeCheckpointError(CheckpointError):
    """A checkpoint holds pickled objects outside what ``weights_only`` loading allows."""


class NonFiniteLossError(FloatingPointError):
    """The training loss became NaN or infinite."""
