"""EarlyStoppingHook: stops training when a validation metric stops improving."""

from __future__ import annotations

import logging
import math
from typing import Any

from mme.registry import HOOKS

from ._errors import HookConfigError, HookError
from ._hook import Hook

__all__ = ["EarlyStoppingHook"]

logger = logging.getLogger(__name__)

_GREATER = ("acc", "top", "AR@", "auc", "precision", "mAP", "mDice", "mIoU", "mAcc", "aAcc")
_LESS = ("loss",)


@HOOKS.register_module()
class EarlyStoppingHook(Hook):
    """Stops training after ``patience`` validations without an improvement of ``monitor``.

    Args:
        monitor: Metric to watch (a key of the validation metrics).
        rule: ``'greater'`` or ``'less'``; inferred from the metric name if not given.
        min_delta: Smallest change counted as an improvement.
        strict: Raise if ``monitor`` is missing from the metrics (otherwise warn).
        check_finite: Stop when the metric becomes NaN or infinite.
        patience: Validations without improvement before stopping.
        stopping_threshold: Stop as soon as the metric reaches this value.
    """

    priority = "LOWEST"

    def __init__(self, monitor: str, rule: str | None = None, min_delta: float = 0.1, strict: bool = False,
                 check_finite: bool = True, patience: int = 5, stopping_threshold: float | None = None) -> None:
        if rule is None:
            low = monitor.lower()
            if any(k.lower() in low for k in _GREATER):
                rule = "greater"
            elif any(k.lower() in low for k in _LESS):
                rule = "less"
            else:
                raise HookConfigError(
                    f"EarlyStoppingHook cannot infer whether {monitor!r} should grow or shrink; pass rule=")
        if rule not in ("greater", "less"):
            raise HookConfigError(f"EarlyStoppingHook rule must be 'greater' or 'less', got {rule!r}")
        if patience < 1:
            raise HookConfigError(f"EarlyStoppingHook patience must be >= 1, got {patience}")
        self.monitor = monitor
        self.rule = rule
        self.min_delta = abs(min_delta)
        self.strict = strict
        self.check_finite = check_finite
        self.patience = patience
        self.stopping_threshold = stopping_threshold
        self.best_score = -math.inf if rule == "greater" else math.inf
        self.wait_count = 0

    def _better(self, a: float, b: float) -> bool:
        return a > b if self.rule == "greater" else a < b

    def before_run(self, runner: Any) -> None:
        """Reset the counters."""
        self.best_score = -math.inf if self.rule == "greater" else math.inf
        self.wait_count = 0

    def after_val_epoch(self, runner: Any, metrics: dict[str, Any] | None = None) -> None:
        """Decide whether to stop."""
        metrics = metrics or {}
        if self.monitor not in metrics:
            message = f"EarlyStoppingHook: {self.monitor!r} is not among the metrics {sorted(metrics)}"
            if self.strict:
                raise HookError(message)
            logger.warning(message)
            return
        current = float(metrics[self.monitor])
        stop, reason = False, ""
        if self.check_finite and not math.isfinite(current):
            stop, reason = True, f"{self.monitor} = {current} is not finite; best so far {self.best_score:.4f}"
        elif self.stopping_threshold is not None and (
                current == self.stopping_threshold or self._better(current, self.stopping_threshold)):
            stop, reason = True, f"{self.monitor} = {current} reached the stopping threshold {self.stopping_threshold}"
        elif abs(current - self.best_score) > self.min_delta and self._better(current, self.best_score) \
                or math.isinf(self.best_score):
            self.best_score = current
            self.wait_count = 0
        else:
            self.wait_count += 1
            if self.wait_count >= self.patience:
                stop = True
                reason = (f"{self.monitor} has not improved by more than {self.min_delta} for {self.patience} "
                          f"validations; best {self.best_score:.4f}")
        if stop:
            runner.train_loop.stop_training = True
            runner.logger.info(f"Early stopping: {reason}")

    def before_save_checkpoint(self, runner: Any, checkpoint: dict) -> None:
        """Keep the early-stopping state in the checkpoint."""
        checkpoint.setdefault("hook_states", {})["EarlyStoppingHook"] = {
            "best_score": self.best_score, "wait_count": self.wait_count}

    def after_load_checkpoint(self, runner: Any, checkpoint: dict) -> None:
        """Restore the early-stopping state on resume."""
        state = checkpoint.get("hook_states", {}).get("EarlyStoppingHook")
        if state and runner.is_resuming:
            self.best_score = float(state["best_score"])
            self.wait_count = int(state["wait_count"])
