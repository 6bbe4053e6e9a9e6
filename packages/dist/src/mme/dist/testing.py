"""Helpers for testing distributed code on CPU: run a function in several processes with gloo,
or a script under torchrun.

Used by mme's own tests (dist, logging, runner) and available to downstream projects.
"""

from __future__ import annotations

from ._errors import WorkerFailedError, WorkerTimeoutError
from ._spawn import run_distributed
from ._torchrun import run_torchrun

__all__ = ["WorkerFailedError", "WorkerTimeoutError", "run_distributed", "run_torchrun"]
