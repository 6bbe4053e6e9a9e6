"""LR and Momentum variants of every scheduler family."""

from __future__ import annotations

from typing import Any

from ._cyclic import CosineRestartParamScheduler, OneCycleParamScheduler
from ._errors import SchedulerConfigError
from ._plateau import ReduceOnPlateauParamScheduler
from ._schedulers import (
    ConstantParamScheduler,
    CosineAnnealingParamScheduler,
    ExponentialParamScheduler,
    LinearParamScheduler,
    MultiStepParamScheduler,
    PolyParamScheduler,
    StepParamScheduler,
)

__all__ = [
    "ConstantLR", "ConstantMomentum", "CosineAnnealingLR", "CosineAnnealingMomentum", "CosineRestartLR",
    "CosineRestartMomentum", "ExponentialLR", "ExponentialMomentum", "LRSchedulerMixin", "LinearLR",
    "LinearMomentum", "MomentumSchedulerMixin", "MultiStepLR", "MultiStepMomentum", "OneCycleLR", "PolyLR",
    "PolyMomentum", "ReduceOnPlateauLR", "ReduceOnPlateauMomentum", "StepLR", "StepMomentum",
]


class LRSchedulerMixin:
    """Schedules ``lr``: the ParamScheduler with ``param_name='lr'``."""

    def __init__(self, optimizer: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(optimizer, "lr", *args, **kwargs)  # type: ignore[call-arg]


class MomentumSchedulerMixin:
    """Schedules ``momentum``; for Adam-like optimizers it schedules ``betas[0]``."""

    def __init__(self, optimizer: Any, *args: Any, **kwargs: Any) -> None:
        defaults = optimizer.defaults
        if "momentum" in defaults:
            self.use_betas = False
        elif "betas" in defaults:
            self.use_betas = True
            for group in optimizer.param_groups:
                group["momentum"] = group["betas"][0]
        else:
            raise SchedulerConfigError(
                f"{type(self).__name__}: {type(getattr(optimizer, 'optimizer', optimizer)).__name__} has neither "
                "'momentum' nor 'betas'; it cannot be used with a momentum scheduler")
        super().__init__(optimizer, "momentum", *args, **kwargs)  # type: ignore[call-arg]

    def step(self, *args: Any, **kwargs: Any) -> None:
        """Step the schedule, then copy ``momentum`` back into ``betas[0]`` for Adam-like optimizers."""
        super().step(*args, **kwargs)  # type: ignore[misc]
        if self.use_betas:
            for group in self.optimizer.param_groups:  # type: ignore[attr-defined]
                group["betas"] = (group["momentum"], *group["betas"][1:])


def _doc(family: str, what: str) -> str:
    return f"{family} schedule of {what}; see :class:`{family}ParamScheduler` for the arguments."


class ConstantLR(LRSchedulerMixin, ConstantParamScheduler):
    __doc__ = _doc("Constant", "the learning rate")


class CosineAnnealingLR(LRSchedulerMixin, CosineAnnealingParamScheduler):
    __doc__ = _doc("CosineAnnealing", "the learning rate")


class ExponentialLR(LRSchedulerMixin, ExponentialParamScheduler):
    __doc__ = _doc("Exponential", "the learning rate")


class LinearLR(LRSchedulerMixin, LinearParamScheduler):
    __doc__ = _doc("Linear", "the learning rate")


class MultiStepLR(LRSchedulerMixin, MultiStepParamScheduler):
    __doc__ = _doc("MultiStep", "the learning rate")


class StepLR(LRSchedulerMixin, StepParamScheduler):
    __doc__ = _doc("Step", "the learning rate")


class PolyLR(LRSchedulerMixin, PolyParamScheduler):
    __doc__ = _doc("Poly", "the learning rate")


class OneCycleLR(LRSchedulerMixin, OneCycleParamScheduler):
    __doc__ = _doc("OneCycle", "the learning rate")


class CosineRestartLR(LRSchedulerMixin, CosineRestartParamScheduler):
    __doc__ = _doc("CosineRestart", "the learning rate")


class ReduceOnPlateauLR(LRSchedulerMixin, ReduceOnPlateauParamScheduler):
    __doc__ = _doc("ReduceOnPlateau", "the learning rate")


class ConstantMomentum(MomentumSchedulerMixin, ConstantParamScheduler):
    __doc__ = _doc("Constant", "the momentum")


class CosineAnnealingMomentum(MomentumSchedulerMixin, CosineAnnealingParamScheduler):
    __doc__ = _doc("CosineAnnealing", "the momentum")


class ExponentialMomentum(MomentumSchedulerMixin, ExponentialParamScheduler):
    __doc__ = _doc("Exponential", "the momentum")


class LinearMomentum(MomentumSchedulerMixin, LinearParamScheduler):
    __doc__ = _doc("Linear", "the momentum")


class MultiStepMomentum(MomentumSchedulerMixin, MultiStepParamScheduler):
    __doc__ = _doc("MultiStep", "the momentum")


class StepMomentum(MomentumSchedulerMixin, StepParamScheduler):
    __doc__ = _doc("Step", "the momentum")


class PolyMomentum(MomentumSchedulerMixin, PolyParamScheduler):
    __doc__ = _doc("Poly", "the momentum")


class CosineRestartMomentum(MomentumSchedulerMixin, CosineRestartParamScheduler):
    __doc__ = _doc("CosineRestart", "the momentum")


class ReduceOnPlateauMomentum(MomentumSchedulerMixin, ReduceOnPlateauParamScheduler):
    __doc__ = _doc("ReduceOnPlateau", "the momentum")
