"""RuntimeInfoHook: keeps the message hub's runtime information up to date."""

from __future__ import annotations

from typing import Any

import torch
from mme.registry import HOOKS

from ._hook import DATA_BATCH, Hook
from ._utils import scalar_key

__all__ = ["RuntimeInfoHook"]


def _is_scalar(value: Any) -> bool:
    if isinstance(value, torch.Tensor):  # the usual case: a loss from train_step
        return value.numel() == 1
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float)):
        return True
    numel = getattr(value, "numel", None)
    if callable(numel):
        try:
            return numel() == 1
        except TypeError:
            return False
    size = getattr(value, "size", None)
    return isinstance(size, int) and size == 1 and hasattr(value, "item")


def _scalar(value: Any) -> float:
    return float(value.item()) if hasattr(value, "item") else float(value)


@HOOKS.register_module()
class RuntimeInfoHook(Hook):
    """Writes epoch, iteration, learning rates, losses and metrics into the runner's message hub.

    Other hooks and the log processor read them from there, and the message hub is saved in
    checkpoints, so this information survives a resume.
    """

    priority = "VERY_HIGH"
    _stage_before_val: str | None = None

    def before_run(self, runner: Any) -> None:
        """Record the experiment's meta information."""
        cfg = getattr(runner, "cfg", None)
        info = {
            "seed": runner.seed,
            "experiment_name": runner.experiment_name,
            "mme_version": runner.mme_version,
        }
        if cfg is not None:
            info["cfg"] = cfg.pretty_text
        for key, value in info.items():
            runner.message_hub.update_info(key, value)

    def before_train(self, runner: Any) -> None:
        """Record the loop limits and the dataset meta."""
        hub = runner.message_hub
        hub.update_info("loop_stage", "train")
        hub.update_info("epoch", runner.epoch)
        hub.update_info("iter", runner.iter)
        hub.update_info("max_epochs", runner.max_epochs)
        hub.update_info("max_iters", runner.max_iters)
        dataset = getattr(runner.train_dataloader, "dataset", None)
        meta = getattr(dataset, "metainfo", None)
        if meta is not None:
            hub.update_info("dataset_meta", meta)

    def before_train_epoch(self, runner: Any) -> None:
        """Record the current epoch."""
        runner.message_hub.update_info("epoch", runner.epoch)

    def before_train_iter(self, runner: Any, batch_idx: int, data_batch: DATA_BATCH = None) -> None:
        """Record the current iteration and learning rates."""
        hub = runner.message_hub
        hub.update_info("iter", runner.iter)
        lrs = runner.optim_wrapper.get_lr()
        if not isinstance(lrs, dict):
            return
        for name, lr in lrs.items():
            if isinstance(lr, (list, tuple)) and lr:
                hub.update_scalar(scalar_key("train", name), float(lr[0]))
            elif isinstance(lr, (int, float)):
                hub.update_scalar(scalar_key("train", name), float(lr))

    def after_train_iter(self, runner: Any, batch_idx: int, data_batch: DATA_BATCH = None,
                         outputs: dict | None = None) -> None:
        """Record the iteration's losses and other scalar outputs."""
        hub = runner.message_hub
        hub.update_info("iter", runner.iter + 1)
        if not outputs:
            return
        for key, value in outputs.items():
            if _is_scalar(value):
                hub.update_scalar(scalar_key("train", key), _scalar(value))

    def before_val(self, runner: Any) -> None:
        """Enter the validation stage."""
        self._stage_before_val = runner.message_hub.get_info("loop_stage", None)
        runner.message_hub.update_info("loop_stage", "val")

    def after_val_epoch(self, runner: Any, metrics: dict[str, Any] | None = None) -> None:
        """Record the validation metrics (scalars as scalars, the rest as info)."""
        self._record_metrics(runner, "val", metrics)

    def after_val(self, runner: Any) -> None:
        """Return to the training stage if validation ran inside training."""
        runner.message_hub.update_info("loop_stage", self._stage_before_val)

    def before_test(self, runner: Any) -> None:
        """Enter the test stage."""
        runner.message_hub.update_info("loop_stage", "test")

    def after_test_epoch(self, runner: Any, metrics: dict[str, Any] | None = None) -> None:
        """Record the test metrics."""
        self._record_metrics(runner, "test", metrics)

    @staticmethod
    def _record_metrics(runner: Any, mode: str, metrics: dict[str, Any] | None) -> None:
        if not metrics:
            return
        hub = runner.message_hub
        for key, value in metrics.items():
            if _is_scalar(value):
                hub.update_scalar(scalar_key(mode, key), _scalar(value))
            else:
                hub.update_info(f"{mode}/{key}", value)
