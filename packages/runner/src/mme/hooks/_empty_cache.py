"""EmptyCacheHook: releases cached GPU memory at chosen points."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from mme.registry import HOOKS

from ._hook import DATA_BATCH, Hook

__all__ = ["EmptyCacheHook"]


@HOOKS.register_module()
class EmptyCacheHook(Hook):
    """Calls ``torch.cuda.empty_cache()`` before/after epochs and/or after iterations.

    Args:
        before_epoch: Release before each epoch.
        after_epoch: Release after each epoch.
        after_iter: Release after each iteration.
    """

    priority = "NORMAL"

    def __init__(self, before_epoch: bool = False, after_epoch: bool = True, after_iter: bool = False) -> None:
        self._do_before_epoch = before_epoch
        self._do_after_epoch = after_epoch
        self._do_after_iter = after_iter

    @staticmethod
    def _empty() -> None:
        if torch.cuda.is_available():
            torch.cuda.empty_cache()

    def _before_epoch(self, runner: Any, mode: str = "train") -> None:
        if self._do_before_epoch:
            self._empty()

    def _after_epoch(self, runner: Any, mode: str = "train") -> None:
        if self._do_after_epoch:
            self._empty()

    def _after_iter(self, runner: Any, batch_idx: int, data_batch: DATA_BATCH = None,
                    outputs: Sequence | dict | None = None, mode: str = "train") -> None:
        if self._do_after_iter:
            self._empty()
