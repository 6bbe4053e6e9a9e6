"""Helpers for testing distributed code on CPU: run a function in several processes with gloo.

Used by mme's own tests (dist, logging, runner) and available to downstream projects.
"""

from __future__ import annotations

from ._errors import WorkerFailedError, WorkerTimeoutError
from ._spawn import run_distributed

__all__ = ["WorkerFailedError", "WorkerTimeoutError", "run_distributed"]
