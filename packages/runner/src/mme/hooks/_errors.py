"""Exceptions raised by mme.hooks."""

from __future__ import annotations

__all__ = ["HookConfigError", "HookError"]


class HookError(RuntimeError):
    """A hook failed while the runner was running it."""


class HookConfigError(ValueError):
    """A hook was given an invalid argument (bad priority, unknown rule, wrong interval...)."""
