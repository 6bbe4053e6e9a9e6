"""Step, MultiStep, Constant, Exponential, CosineAnnealing, Linear and Poly schedulers."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from typing import Any

from ._errors import SchedulerConfigError
from ._scheduler_base import INF, _ParamScheduler

__all__ = [
    "ConstantParamScheduler", "CosineAnnealingParamScheduler", "ExponentialParamScheduler",
    "LinearParamScheduler", "MultiStepParamScheduler", "PolyParamScheduler", "StepParamScheduler",
]


def _check_epoch_length(cls: type, epoch_length: Any) -> int:
    if epoch_length is None or epoch_length <= 0:
        raise SchedulerConfigError(
            f"{cls.__name__}: convert_to_iter_based needs a positive epoch_length, but got {epoch_length!r}"
        )
    return int(epoch_length)


def _check_factor(cls_name: str, name: str, value: float) -> None:
    if not 0 <= value <= 1:
        raise SchedulerConfigError(f"{cls_name}: {name} must be between 0 and 1, but got {value}")


class StepParamScheduler(_ParamScheduler):
    """Multiply the value by ``gamma`` every ``step_size`` steps.

    Args:
        optimizer: Torch optimizer or OptimWrapper.
        param_name: The group key to schedule.
        step_size: Period of the decay, in steps.
        gamma: Multiplicative factor.
        **kwargs: ``begin``, ``end``, ``last_step``, ``by_epoch``, ``verbose``.
    """

    def __init__(self, optimizer: Any, param_name: str, step_size: int, gamma: float = 0.1, **kwargs: Any) -> None:
        if step_size <= 0:
            raise SchedulerConfigError(f"{type(self).__name__}: step_size must be positive, but got {step_size}")
        self.step_size = step_size
        self.gamma = gamma
        super().__init__(optimizer, param_name, **kwargs)

    @classmethod
    def build_iter_from_epoch(cls, *args: Any, step_size: int, epoch_length: int | None = None,  # type: ignore[override]
                              **kwargs: Any) -> _ParamScheduler:
        """Iteration-based version; ``step_size`` is scaled by ``epoch_length``."""
        epoch_length = _check_epoch_length(cls, epoch_length)
        return super().build_iter_from_epoch(*args, step_size=step_size * epoch_length, epoch_length=epoch_length, **kwargs)

    def _get_value(self) -> list[Any]:
        k = self.last_step
        groups = self.optimizer.param_groups
        if k == 0 or k % self.step_size != 0:
            return [g[self.param_name] for g in groups]
        return [g[self.param_name] * self.gamma for g in groups]


class MultiStepParamScheduler(_ParamScheduler):
    """Multiply the value by ``gamma`` at each milestone (a repeated milestone counts twice).

    Args:
        optimizer: Torch optimizer or OptimWrapper.
        param_name: The group key to schedule.
        milestones: Steps at which to decay.
        gamma: Multiplicative factor.
        **kwargs: ``begin``, ``end``, ``last_step``, ``by_epoch``, ``verbose``.
    """

    def __init__(self, optimizer: Any, param_name: str, milestones: Sequence[int], gamma: float = 0.1,
                 **kwargs: Any) -> None:
        # plain dict {milestone: count}, so state_dict() loads under torch.load(weights_only=True)
        self.milestones = dict(Counter(milestones))
        self.gamma = gamma
        super().__init__(optimizer, param_name, **kwargs)

    @classmethod
    def build_iter_from_epoch(cls, *args: Any, milestones: Sequence[int], epoch_length: int | None = None,  # type: ignore[override]
                              **kwargs: Any) -> _ParamScheduler:
        """Iteration-based version; milestones are scaled by ``epoch_length``."""
        epoch_length = _check_epoch_length(cls, epoch_length)
        return super().build_iter_from_epoch(
            *args, milestones=[m * epoch_length for m in milestones], epoch_length=epoch_length, **kwargs)

    def _get_value(self) -> list[Any]:
        groups = self.optimizer.param_groups
        count = self.milestones.get(self.last_step, 0)
        if count == 0:
            return [g[self.param_name] for g in groups]
        return [g[self.param_name] * self.gamma ** count for g in groups]


class ConstantParamScheduler(_ParamScheduler):
    """Multiply the value by ``factor`` from ``begin`` until the last step before ``end``.

    Args:
        optimizer: Torch optimizer or OptimWrapper.
        param_name: The group key to schedule.
        factor: Factor in [0, 1] applied during the window.
        **kwargs: ``begin``, ``end``, ``last_step``, ``by_epoch``, ``verbose``.
    """

    def __init__(self, optimizer: Any, param_name: str, factor: float = 1.0 / 3, begin: int = 0,
                 end: float = INF, **kwargs: Any) -> None:
        _check_factor(type(self).__name__, "factor", factor)
        if factor == 0 and end != INF:
            raise SchedulerConfigError(
                f"{type(self).__name__}: factor=0 cannot be undone at end={end} (the schedule is chainable); "
                "use a small positive factor")
        self.factor = factor
        self.total_iters = end - begin - 1
        super().__init__(optimizer, param_name, begin=begin, end=end, **kwargs)

    def _get_value(self) -> list[Any]:
        k = self.last_step
        groups = self.optimizer.param_groups
        if k == 0:
            return [g[self.param_name] * self.factor for g in groups]
        if k != self.total_iters:
            return [g[self.param_name] for g in groups]
        return [g[self.param_name] / self.factor for g in groups]


class ExponentialParamScheduler(_ParamScheduler):
    """Multiply the value by ``gamma`` every step.

    Args:
        optimizer: Torch optimizer or OptimWrapper.
        param_name: The group key to schedule.
        gamma: Multiplicative factor.
        **kwargs: ``begin``, ``end``, ``last_step``, ``by_epoch``, ``verbose``.
    """

    def __init__(self, optimizer: Any, param_name: str, gamma: float, **kwargs: Any) -> None:
        self.gamma = gamma
        super().__init__(optimizer, param_name, **kwargs)

    def _get_value(self) -> list[Any]:
        groups = self.optimizer.param_groups
        if self.last_step == 0:
            return [g[self.param_name] for g in groups]
        return [g[self.param_name] * self.gamma for g in groups]


class CosineAnnealingParamScheduler(_ParamScheduler):
    """Cosine annealing from the base value to ``eta_min`` over ``T_max`` steps.

    Args:
        optimizer: Torch optimizer or OptimWrapper.
        param_name: The group key to schedule.
        T_max: Steps of a half cosine period; defaults to ``end - begin``.
        eta_min: Minimum value (0 when neither it nor ``eta_min_ratio`` is given).
        eta_min_ratio: Minimum value as a ratio of the base value.
        **kwargs: ``begin``, ``end``, ``last_step``, ``by_epoch``, ``verbose``.
    """

    def __init__(self, optimizer: Any, param_name: str, T_max: int | None = None, eta_min: float | None = None,
                 begin: int = 0, end: float = INF, eta_min_ratio: float | None = None, **kwargs: Any) -> None:
        if eta_min is not None and eta_min_ratio is not None:
            raise SchedulerConfigError(
                f"{type(self).__name__}: give either eta_min or eta_min_ratio, not both "
                f"(got eta_min={eta_min}, eta_min_ratio={eta_min_ratio})")
        if eta_min is None and eta_min_ratio is None:
            eta_min = 0.0
        self.T_max = T_max or (end - begin)
        if self.T_max == INF:
            raise SchedulerConfigError(f"{type(self).__name__}: give T_max or a finite end")
        self.eta_min = eta_min
        self.eta_min_ratio = eta_min_ratio
        super().__init__(optimizer, param_name, begin=begin, end=end, **kwargs)

    @classmethod
    def build_iter_from_epoch(cls, *args: Any, T_max: int | None = None, epoch_length: int | None = None,
                              **kwargs: Any) -> _ParamScheduler:
        """Iteration-based version; ``T_max`` is scaled by ``epoch_length``."""
        epoch_length = _check_epoch_length(cls, epoch_length)
        if T_max is not None:
            T_max = T_max * epoch_length
        return super().build_iter_from_epoch(*args, T_max=T_max, epoch_length=epoch_length, **kwargs)

    def _eta_min(self, base: float) -> float:
        if self.eta_min_ratio is None:
            return float(self.eta_min or 0.0)
        return base * self.eta_min_ratio

    def _get_value(self) -> list[Any]:
        k, t_max, name = self.last_step, self.T_max, self.param_name
        groups = self.optimizer.param_groups
        if k == 0:
            return [g[name] for g in groups]
        if (k - 1 - t_max) % (2 * t_max) == 0:
            return [g[name] + (b - self._eta_min(b)) * (1 - math.cos(math.pi / t_max)) / 2
                    for b, g in zip(self.base_values, groups)]
        ratio = (1 + math.cos(math.pi * k / t_max)) / (1 + math.cos(math.pi * (k - 1) / t_max))
        return [ratio * (g[name] - self._eta_min(b)) + self._eta_min(b) for b, g in zip(self.base_values, groups)]


class LinearParamScheduler(_ParamScheduler):
    """Scale the value linearly from ``start_factor`` to ``end_factor`` of the base value.

    Args:
        optimizer: Torch optimizer or OptimWrapper.
        param_name: The group key to schedule.
        start_factor: Factor at ``begin``, in [0, 1].
        end_factor: Factor at ``end - 1``, in [0, 1].
        **kwargs: ``begin``, ``end``, ``last_step``, ``by_epoch``, ``verbose``.
    """

    def __init__(self, optimizer: Any, param_name: str, start_factor: float = 1.0 / 3, end_factor: float = 1.0,
                 begin: int = 0, end: float = INF, **kwargs: Any) -> None:
        _check_factor(type(self).__name__, "start_factor", start_factor)
        _check_factor(type(self).__name__, "end_factor", end_factor)
        if start_factor == 0:
            raise SchedulerConfigError(
                f"{type(self).__name__}: start_factor=0 zeroes the value for good (the schedule is chainable); "
                "use a small positive start_factor")
        self.start_factor = start_factor
        self.end_factor = end_factor
        self.total_iters = end - begin - 1
        super().__init__(optimizer, param_name, begin=begin, end=end, **kwargs)

    def _get_value(self) -> list[Any]:
        k = self.last_step
        groups = self.optimizer.param_groups
        if k == 0:
            return [g[self.param_name] * self.start_factor for g in groups]
        delta = self.end_factor - self.start_factor
        factor = 1 + delta / (self.total_iters * self.start_factor + (k - 1) * delta)
        return [g[self.param_name] * factor for g in groups]


class PolyParamScheduler(_ParamScheduler):
    """Polynomial decay to ``eta_min`` at ``end - 1``.

    Args:
        optimizer: Torch optimizer or OptimWrapper.
        param_name: The group key to schedule.
        eta_min: Final value.
        power: Power of the polynomial.
        **kwargs: ``begin``, ``end``, ``last_step``, ``by_epoch``, ``verbose``.
    """

    def __init__(self, optimizer: Any, param_name: str, eta_min: float = 0.0, power: float = 1.0, begin: int = 0,
                 end: float = INF, **kwargs: Any) -> None:
        self.eta_min = eta_min
        self.power = power
        self.total_iters = end - begin - 1
        super().__init__(optimizer, param_name, begin=begin, end=end, **kwargs)

    def _get_value(self) -> list[Any]:
        k = self.last_step
        groups = self.optimizer.param_groups
        if k == 0:
            return [g[self.param_name] for g in groups]
        decay = (1 - 1 / (self.total_iters - k + 1)) ** self.power
        return [(g[self.param_name] - self.eta_min) * decay + self.eta_min for g in groups]
