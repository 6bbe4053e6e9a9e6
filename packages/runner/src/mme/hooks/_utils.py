"""Small helpers the hooks share."""

from __future__ import annotations

import functools
from typing import Any

__all__ = ["built_train_loop", "scalar_key", "train_by_epoch"]


@functools.cache
def scalar_key(mode: str, name: str) -> str:
    """``'<mode>/<name>'``, made once per pair: hooks record the same names on every iteration."""
    return f"{mode}/{name}"


def built_train_loop(runner: Any) -> Any:
    """The runner's training loop if it has been built, else ``None``."""
    loop = getattr(runner, "_train_loop", None)
    return None if loop is None or type(loop) is dict or isinstance(loop, dict) else loop


def train_by_epoch(runner: Any) -> bool:
    """Whether the runner's training loop counts epochs (``False`` when iteration-based or absent)."""
    loop = built_train_loop(runner)
    return bool(loop is not None and getattr(loop, "by_epoch", True))
