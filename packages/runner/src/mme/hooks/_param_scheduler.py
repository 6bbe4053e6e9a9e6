"""ParamSchedulerHook: steps the parameter schedulers."""

from __future__ import annotations

from typing import Any

from mme.registry import HOOKS

from ._hook import DATA_BATCH, Hook

__all__ = ["ParamSchedulerHook"]


def _iter_schedulers(runner: Any) -> list[Any]:
    schedulers = runner.param_schedulers
    if not schedulers:  # the usual case on every iteration: return before building anything
        return []
    groups = schedulers.values() if isinstance(schedulers, dict) else [schedulers]
    return [scheduler for group in groups for scheduler in (group if isinstance(group, (list, tuple)) else [group])
            if hasattr(scheduler, "step")]


@HOOKS.register_module()
class ParamSchedulerHook(Hook):
    """Steps iteration-based schedulers after each iteration and epoch-based ones after each epoch.

    Schedulers that need validation results (``need_val_args``, e.g. ReduceOnPlateau) step after
    each validation epoch with its metrics.
    """

    priority = "LOW"

    def after_train_iter(self, runner: Any, batch_idx: int, data_batch: DATA_BATCH = None,
                         outputs: dict | None = None) -> None:
        """Step the iteration-based schedulers."""
        for scheduler in _iter_schedulers(runner):
            if not scheduler.by_epoch and not getattr(scheduler, "need_val_args", False):
                scheduler.step()

    def after_train_epoch(self, runner: Any) -> None:
        """Step the epoch-based schedulers."""
        for scheduler in _iter_schedulers(runner):
            if scheduler.by_epoch and not getattr(scheduler, "need_val_args", False):
                scheduler.step()

    def after_val_epoch(self, runner: Any, metrics: dict[str, Any] | None = None) -> None:
        """Step the schedulers that follow a validation metric."""
        if metrics is None:
            return
        for scheduler in _iter_schedulers(runner):
            if getattr(scheduler, "need_val_args", False):
                scheduler.step(metrics)
