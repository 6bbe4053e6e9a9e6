"""The common machinery of parameter schedulers."""

from __future__ import annotations

import logging
import math
from typing import Any

import torch

from ._errors import MissingInitialValueError, OptimTypeError, SchedulerConfigError
from ._optim_wrapper import OptimWrapper

__all__ = ["INF", "_ParamScheduler"]

logger = logging.getLogger(__name__)

INF = math.inf


class _ParamScheduler:
    """Base class of parameter schedulers: adjusts ``param_name`` of every parameter group.

    Values are computed in chainable form (from each group's current value), so several
    schedulers can drive the same parameter one after another (e.g. warm-up, then cosine).
    The constructor performs the first :meth:`step`.

    Args:
        optimizer: A torch optimizer or an :class:`OptimWrapper`.
        param_name: The group key to schedule (``'lr'``, ``'momentum'``, ...).
        begin: First global step (epoch or iteration) at which the scheduler acts.
        end: Step at which it stops acting (exclusive); infinite by default.
        last_step: Index of the last step taken; ``-1`` for a fresh start.
        by_epoch: Whether the steps are epochs (``True``) or iterations.
        verbose: Log each value update.
    """

    def __init__(self, optimizer: torch.optim.Optimizer | OptimWrapper, param_name: str, begin: int = 0,
                 end: float = INF, last_step: int = -1, by_epoch: bool = True, verbose: bool = False) -> None:
        if not isinstance(optimizer, (torch.optim.Optimizer, OptimWrapper)):
            raise OptimTypeError(
                f"{type(self).__name__} needs a torch optimizer or an OptimWrapper, but got {type(optimizer).__name__}"
            )
        if end <= begin:
            raise SchedulerConfigError(
                f"{type(self).__name__}: end must be larger than begin, but got begin={begin}, end={end}"
            )
        if not isinstance(last_step, int) or last_step < -1:
            raise SchedulerConfigError(f"{type(self).__name__}: last_step must be an int >= -1, but got {last_step!r}")
        self.optimizer = optimizer
        self.param_name = param_name
        self.begin = begin
        self.end = end
        self.by_epoch = by_epoch
        self.verbose = verbose
        initial_key = f"initial_{param_name}"
        groups = optimizer.param_groups
        if last_step == -1:
            for group in groups:
                if param_name not in group:
                    raise SchedulerConfigError(
                        f"{type(self).__name__}: the optimizer's parameter groups have no {param_name!r}"
                    )
                group.setdefault(initial_key, group[param_name])
        else:
            for i, group in enumerate(groups):
                if initial_key not in group:
                    raise MissingInitialValueError(
                        f"{type(self).__name__}: param group {i} has no {initial_key!r}, needed to resume "
                        f"with last_step={last_step}"
                    )
        self.base_values = [group[initial_key] for group in groups]
        self.last_step = last_step
        self._global_step = -1
        self._last_value: list[Any] = []
        self.step()

    def _get_value(self) -> list[Any]:
        """The new value of every group at ``self.last_step``."""
        raise NotImplementedError

    def get_last_value(self) -> list[Any]:
        """The groups' values after the latest :meth:`step`."""
        return self._last_value

    def step(self) -> None:
        """Advance one step and update the groups if the step lies in ``[begin, end)``."""
        self._global_step += 1
        if self.begin <= self._global_step < self.end:
            self.last_step += 1
            values = self._get_value()
            for i, (group, value) in enumerate(zip(self.optimizer.param_groups, values)):
                group[self.param_name] = value
                if self.verbose:
                    logger.info("%s: adjusting %s of group %s to %.4e", type(self).__name__, self.param_name, i, value)
        self._last_value = [group[self.param_name] for group in self.optimizer.param_groups]

    def state_dict(self) -> dict[str, Any]:
        """Every attribute except the optimizer."""
        return {key: value for key, value in self.__dict__.items() if key != "optimizer"}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore the attributes saved by :meth:`state_dict`."""
        self.__dict__.update(state_dict)

    @classmethod
    def build_iter_from_epoch(cls, *args: Any, begin: int = 0, end: float = INF, by_epoch: bool = True,
                              epoch_length: int | None = None, **kwargs: Any) -> _ParamScheduler:
        """Build an iteration-based scheduler from epoch-based arguments.

        ``begin`` and a finite ``end`` are multiplied by ``epoch_length``; subclasses also scale
        their period-like arguments.
        """
        if not by_epoch:
            raise SchedulerConfigError(
                f"{cls.__name__}: convert_to_iter_based only applies to schedulers with by_epoch=True"
            )
        if epoch_length is None or epoch_length <= 0:
            raise SchedulerConfigError(
                f"{cls.__name__}: convert_to_iter_based needs a positive epoch_length, but got {epoch_length!r}"
            )
        begin = int(begin * epoch_length)
        if end != INF:
            end = int(end * epoch_length)
        return cls(*args, begin=begin, end=end, by_epoch=False, **kwargs)  # type: ignore[misc]

    def __repr__(self) -> str:
        return f"{type(self).__name__}(param_name={self.param_name!r}, begin={self.begin}, end={self.end}, by_epoch={self.by_epoch})"
