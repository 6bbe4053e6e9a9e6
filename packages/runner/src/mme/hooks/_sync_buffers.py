"""SyncBuffersHook: averages model buffers (BatchNorm statistics) across ranks."""

from __future__ import annotations

from typing import Any

from mme.dist import all_reduce_params, is_distributed
from mme.registry import HOOKS

from ._hook import Hook

__all__ = ["SyncBuffersHook"]


@HOOKS.register_module()
class SyncBuffersHook(Hook):
    """Averages the model's buffers over all ranks after each training epoch and before validation.

    Does nothing when not distributed.
    """

    priority = "NORMAL"

    def __init__(self) -> None:
        self.distributed = is_distributed()
        self._synced = False

    def before_train_epoch(self, runner: Any) -> None:
        """Mark the buffers as changed."""
        self._synced = False

    def after_train_epoch(self, runner: Any) -> None:
        """Average the buffers."""
        self._sync(runner)

    def before_val_epoch(self, runner: Any) -> None:
        """Average the buffers if that has not happened since training last ran."""
        if not self._synced:
            self._sync(runner)

    def _sync(self, runner: Any) -> None:
        if is_distributed():
            buffers = list(runner.model.buffers())
            if buffers:
                all_reduce_params(buffers, op="mean")
        self._synced = True
