"""ReduceOnPlateau scheduler: reduce a value when a validation metric stops improving."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from ._errors import SchedulerConfigError
from ._scheduler_base import INF, _ParamScheduler

__all__ = ["ReduceOnPlateauParamScheduler"]


class ReduceOnPlateauParamScheduler(_ParamScheduler):
    """Multiply the value by ``factor`` after ``patience`` epochs without improvement.

    Epoch-based only. ``step()`` without arguments counts an epoch (the Runner calls it after
    each training epoch, like every epoch-based scheduler); ``step(metrics)`` with the
    validation metrics (``need_val_args`` is True) checks ``metrics[monitor]`` and reduces.
    A ``step(metrics)`` with no ``step()`` since the previous one counts the epoch itself, so
    ``begin``/``end`` also hold when the caller only steps with metrics.

    Args:
        optimizer: Torch optimizer or OptimWrapper.
        param_name: The group key to schedule.
        monitor: Metric key to watch.
        rule: ``'less'`` (lower is better) or ``'greater'``.
        factor: Reduction factor, < 1.
        patience: Epochs without improvement before reducing.
        threshold: Minimum change that counts as an improvement.
        threshold_rule: ``'rel'`` (relative to the best) or ``'abs'``.
        cooldown: Epochs to wait after a reduction before counting again.
        min_value: Lower bound, or one per group.
        eps: Reductions smaller than this are ignored.
        **kwargs: ``begin``, ``end``, ``last_step``, ``by_epoch``, ``verbose``.
    """

    need_val_args = True

    def __init__(self, optimizer: Any, param_name: str, monitor: str = "loss", rule: str = "less",
                 factor: float = 0.1, patience: int = 10, threshold: float = 1e-4, threshold_rule: str = "rel",
                 cooldown: int = 0, min_value: float | Sequence[float] = 0.0, eps: float = 1e-8,
                 by_epoch: bool = True, **kwargs: Any) -> None:
        name = type(self).__name__
        if not by_epoch:
            raise SchedulerConfigError(f"{name} is epoch-based only; by_epoch must be True")
        if factor >= 1.0 or factor < 0:
            raise SchedulerConfigError(f"{name}: factor must be in [0, 1), but got {factor}")
        if rule not in ("less", "greater"):
            raise SchedulerConfigError(f"{name}: rule must be 'less' or 'greater', but got {rule!r}")
        if threshold_rule not in ("rel", "abs"):
            raise SchedulerConfigError(f"{name}: threshold_rule must be 'rel' or 'abs', but got {threshold_rule!r}")
        if not isinstance(patience, int) or patience < 0:
            raise SchedulerConfigError(f"{name}: patience must be a non-negative int, but got {patience!r}")
        groups = optimizer.param_groups
        if isinstance(min_value, (list, tuple)):
            if len(min_value) != len(groups):
                raise SchedulerConfigError(
                    f"{name}: min_value has {len(min_value)} values but the optimizer has {len(groups)} groups")
            self.min_values = list(min_value)
        else:
            self.min_values = [min_value] * len(groups)
        self.monitor = monitor
        self.rule = rule
        self.factor = factor
        self.patience = patience
        self.threshold = threshold
        self.threshold_rule = threshold_rule
        self.cooldown = cooldown
        self.eps = eps
        self.cooldown_counter = 0
        self.num_bad_epochs = 0
        self.best = INF if rule == "less" else -INF
        self._epoch_counted = False
        super().__init__(optimizer, param_name, by_epoch=by_epoch, **kwargs)
        self._epoch_counted = False  # the constructor's step() is not an epoch

    @classmethod
    def build_iter_from_epoch(cls, *args: Any, **kwargs: Any) -> _ParamScheduler:
        """Not supported: ReduceOnPlateau steps on validation metrics, once per epoch."""
        raise SchedulerConfigError(f"{cls.__name__} is epoch-based only and cannot be converted to iteration-based")

    def step(self, metrics: dict[str, Any] | None = None) -> None:  # type: ignore[override]
        """Count an epoch (no arguments), or check ``metrics[monitor]`` and reduce if it plateaued."""
        if metrics is None:
            self._global_step += 1
            self._epoch_counted = True
            self._last_value = [g[self.param_name] for g in self.optimizer.param_groups]
            return
        if not isinstance(metrics, dict):
            raise TypeError(f"{type(self).__name__}.step(metrics) needs a dict, but got {type(metrics).__name__}")
        if self.monitor not in metrics:
            raise KeyError(
                f"{type(self).__name__}: monitored key {self.monitor!r} is not in the metrics {sorted(metrics)}")
        if not self._epoch_counted:  # the caller steps only with metrics: count the epoch here
            self._global_step += 1
        self._epoch_counted = False
        if self.begin <= self._global_step < self.end:
            self.last_step += 1
            values = self._values_for(float(metrics[self.monitor]))
            for group, value in zip(self.optimizer.param_groups, values):
                group[self.param_name] = value
        self._last_value = [g[self.param_name] for g in self.optimizer.param_groups]

    def _is_better(self, current: float) -> bool:
        if self.rule == "less":
            bound = self.best * (1 - self.threshold) if self.threshold_rule == "rel" else self.best - self.threshold
            return current < bound
        bound = self.best * (1 + self.threshold) if self.threshold_rule == "rel" else self.best + self.threshold
        return current > bound

    def _values_for(self, current: float) -> list[Any]:
        groups = self.optimizer.param_groups
        if math.isnan(current):
            self.num_bad_epochs += 1
        elif self._is_better(current):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs <= self.patience:
            return [g[self.param_name] for g in groups]
        values = []
        for group, floor in zip(groups, self.min_values):
            old = group[self.param_name]
            new = max(old * self.factor, floor)
            values.append(new if old - new > self.eps else old)
        self.cooldown_counter = self.cooldown
        self.num_bad_epochs = 0
        return values

    def _get_value(self) -> list[Any]:
        return [g[self.param_name] for g in self.optimizer.param_groups]
