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

    Floating-point buffers (BatchNorm's running statistics) are averaged; integer buffers (its
    ``num_batches_tracked``) take the largest value. Validation syncs whenever training has run
    since the last sync, so every validation of an iteration-based run sees synced buffers. Does
    nothing when not distributed.
    """

    priority = "NORMAL"

    def __init__(self) -> None:
        self.distributed = is_distributed()
        self._synced_at: int | None = None  # the training iteration of the last sync

    def after_train_epoch(self, runner: Any) -> None:
        """Sync the buffers."""
        self._sync(runner)

    def before_val_epoch(self, runner: Any) -> None:
        """Sync the buffers if training has run since the last sync."""
        if self._synced_at != runner.iter:
            self._sync(runner)

    def _sync(self, runner: Any) -> None:
        if is_distributed():
            buffers = list(runner.model.buffers())
            floats = [b for b in buffers if b.is_floating_point()]
            others = [b for b in buffers if not b.is_floating_point()]
            if floats:
                all_reduce_params(floats, op="mean")
            if others:
                all_reduce_params(others, op="max")
        self._synced_at = runner.iter
