"""OneCycle and CosineRestart schedulers."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from ._errors import SchedulerConfigError
from ._scheduler_base import INF, _ParamScheduler
from ._schedulers import _check_epoch_length

__all__ = ["CosineRestartParamScheduler", "OneCycleParamScheduler"]


class OneCycleParamScheduler(_ParamScheduler):
    """The 1cycle policy: anneal from ``eta_max / div_factor`` up to ``eta_max``, then down.

    Each group gets ``initial_<p> = eta_max / div_factor``, ``max_<p> = eta_max`` and
    ``min_<p> = initial_<p> / final_div_factor``.

    Args:
        optimizer: Torch optimizer or OptimWrapper.
        param_name: The group key to schedule.
        eta_max: Peak value, or one per group.
        total_steps: Steps in the cycle; defaults to ``end - begin``.
        pct_start: Fraction of the cycle spent increasing.
        anneal_strategy: ``'cos'`` or ``'linear'``.
        div_factor: ``initial = eta_max / div_factor``.
        final_div_factor: ``min = initial / final_div_factor``.
        three_phase: Go back down to ``initial`` before annealing to ``min``.
        **kwargs: ``begin``, ``end``, ``last_step``, ``by_epoch`` (default False), ``verbose``.
    """

    def __init__(self, optimizer: Any, param_name: str, eta_max: float | Sequence[float] = 0.1,
                 total_steps: int | None = None, pct_start: float = 0.3, anneal_strategy: str = "cos",
                 div_factor: float = 25.0, final_div_factor: float = 1e4, three_phase: bool = False, begin: int = 0,
                 end: float = INF, last_step: int = -1, by_epoch: bool = False, **kwargs: Any) -> None:
        name = type(self).__name__
        if total_steps is None:
            if end == INF:
                raise SchedulerConfigError(f"{name}: give total_steps or a finite end")
            total_steps = int(end - begin)
        if not isinstance(total_steps, int) or total_steps <= 0:
            raise SchedulerConfigError(f"{name}: total_steps must be a positive int, but got {total_steps!r}")
        if not 0 <= pct_start <= 1:
            raise SchedulerConfigError(f"{name}: pct_start must be between 0 and 1, but got {pct_start}")
        if anneal_strategy not in ("cos", "linear"):
            raise SchedulerConfigError(f"{name}: anneal_strategy must be 'cos' or 'linear', but got {anneal_strategy!r}")
        self.total_steps = total_steps
        self.pct_start = pct_start
        self.anneal_strategy = anneal_strategy
        self.div_factor = div_factor
        self.final_div_factor = final_div_factor
        self.three_phase = three_phase
        p = param_name
        # (end step, key of the start value, key of the end value) of each phase
        self._schedule_phases: list[tuple[float, str, str]]
        if three_phase:
            self._schedule_phases = [
                (float(pct_start * total_steps) - 1, f"initial_{p}", f"max_{p}"),
                (float(2 * pct_start * total_steps) - 2, f"max_{p}", f"initial_{p}"),
                (float(total_steps - 1), f"initial_{p}", f"min_{p}"),
            ]
        else:
            self._schedule_phases = [
                (float(pct_start * total_steps) - 1, f"initial_{p}", f"max_{p}"),
                (float(total_steps - 1), f"max_{p}", f"min_{p}"),
            ]
        groups = optimizer.param_groups
        if isinstance(eta_max, (list, tuple)):
            if len(eta_max) != len(groups):
                raise SchedulerConfigError(
                    f"{name}: eta_max has {len(eta_max)} values but the optimizer has {len(groups)} groups")
            max_values = list(eta_max)
        else:
            max_values = [eta_max] * len(groups)
        if last_step == -1:
            for group, top in zip(groups, max_values):
                group[f"initial_{p}"] = top / div_factor
                group[f"max_{p}"] = top
                group[f"min_{p}"] = group[f"initial_{p}"] / final_div_factor
        super().__init__(optimizer, param_name, begin=begin, end=end, last_step=last_step, by_epoch=by_epoch,
                         **kwargs)

    @classmethod
    def build_iter_from_epoch(cls, *args: Any, total_steps: int | None = None, epoch_length: int | None = None,
                              **kwargs: Any) -> _ParamScheduler:
        """Iteration-based version; ``total_steps`` is scaled by ``epoch_length``."""
        epoch_length = _check_epoch_length(cls, epoch_length)
        if total_steps is not None:
            total_steps = total_steps * epoch_length
        return super().build_iter_from_epoch(*args, total_steps=total_steps, epoch_length=epoch_length, **kwargs)

    def _anneal(self, start: float, end: float, pct: float) -> float:
        if self.anneal_strategy == "cos":
            return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
        return (end - start) * pct + start

    def _get_value(self) -> list[Any]:
        k = self.last_step
        if k > self.total_steps:
            raise SchedulerConfigError(
                f"{type(self).__name__}: tried to step {k} times, but total_steps is {self.total_steps}")
        values = []
        for group in self.optimizer.param_groups:
            start_step = 0.0
            value = group[self.param_name]
            for i, (end_step, start_key, end_key) in enumerate(self._schedule_phases):
                if k <= end_step or i == len(self._schedule_phases) - 1:
                    pct = (k - start_step) / (end_step - start_step)
                    value = self._anneal(group[start_key], group[end_key], pct)
                    break
                start_step = end_step
            values.append(value)
        return values


class CosineRestartParamScheduler(_ParamScheduler):
    """Cosine annealing with warm restarts after each of ``periods``.

    Args:
        optimizer: Torch optimizer or OptimWrapper.
        param_name: The group key to schedule.
        periods: Length of each cosine period.
        restart_weights: Factor of the base value at each restart, one per period.
        eta_min: Minimum value (0 when neither it nor ``eta_min_ratio`` is given).
        eta_min_ratio: Minimum value as a ratio of the base value.
        **kwargs: ``begin``, ``end``, ``last_step``, ``by_epoch``, ``verbose``.
    """

    def __init__(self, optimizer: Any, param_name: str, periods: Sequence[int],
                 restart_weights: Sequence[float] = (1,), eta_min: float | None = None,
                 eta_min_ratio: float | None = None, **kwargs: Any) -> None:
        name = type(self).__name__
        if eta_min is not None and eta_min_ratio is not None:
            raise SchedulerConfigError(
                f"{name}: give either eta_min or eta_min_ratio, not both "
                f"(got eta_min={eta_min}, eta_min_ratio={eta_min_ratio})")
        if eta_min is None and eta_min_ratio is None:
            eta_min = 0.0
        periods = list(periods)
        restart_weights = list(restart_weights)
        if len(periods) != len(restart_weights):
            raise SchedulerConfigError(
                f"{name}: periods ({len(periods)}) and restart_weights ({len(restart_weights)}) must have the same length")
        if not periods or any(p <= 0 for p in periods):
            raise SchedulerConfigError(f"{name}: periods must be non-empty and positive, but got {periods}")
        self.periods = periods
        self.restart_weights = restart_weights
        self.eta_min = eta_min
        self.eta_min_ratio = eta_min_ratio
        self.cumulative_periods = [sum(periods[: i + 1]) for i in range(len(periods))]
        super().__init__(optimizer, param_name, **kwargs)

    @classmethod
    def build_iter_from_epoch(cls, *args: Any, periods: Sequence[int], epoch_length: int | None = None,  # type: ignore[override]
                              **kwargs: Any) -> _ParamScheduler:
        """Iteration-based version; ``periods`` are scaled by ``epoch_length``."""
        epoch_length = _check_epoch_length(cls, epoch_length)
        return super().build_iter_from_epoch(
            *args, periods=[p * epoch_length for p in periods], epoch_length=epoch_length, **kwargs)

    def _get_value(self) -> list[Any]:
        k = self.last_step
        groups = self.optimizer.param_groups
        idx = next((i for i, c in enumerate(self.cumulative_periods) if k < c), None)
        if idx is None:
            return [g[self.param_name] for g in groups]
        step = k - (self.cumulative_periods[idx - 1] if idx > 0 else 0)
        period = self.periods[idx]
        weight = self.restart_weights[idx]
        values = []
        for base, group in zip(self.base_values, groups):
            eta_max = base * weight
            eta_min = self.eta_min if self.eta_min_ratio is None else base * self.eta_min_ratio
            if step == 0:
                values.append(eta_max)
            else:
                ratio = (1 + math.cos(math.pi * step / period)) / (1 + math.cos(math.pi * (step - 1) / period))
                values.append(ratio * (group[self.param_name] - eta_min) + eta_min)
        return values
