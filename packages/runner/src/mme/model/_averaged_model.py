"""Averaged copies of a model: EMA, momentum-annealed EMA and stochastic weight averaging."""

from __future__ import annotations

import copy
from typing import Any

import torch
from mme.registry import MODELS
from torch import nn

from ._errors import ModelValueError


class BaseAveragedModel(nn.Module):
    """A frozen copy of a model whose parameters follow the source model's through ``avg_func``.

    Call :meth:`update_parameters` after each optimiser step. The first call copies the
    source; later calls average every ``interval`` steps. Buffers are copied from the source
    (or averaged too, with ``update_buffers=True``).

    Args:
        model: The model to average.
        interval: Average every this many calls of ``update_parameters``.
        device: Where to keep the averaged copy (the source's device when None).
        update_buffers: Average the buffers (e.g. BatchNorm statistics) instead of copying them.
    """

    module: nn.Module
    steps: torch.Tensor

    def __init__(
        self, model: nn.Module, interval: int = 1, device: torch.device | str | None = None, update_buffers: bool = False
    ) -> None:
        super().__init__()
        if not isinstance(interval, int) or interval < 1:
            raise ModelValueError(f"interval must be a positive int, but got {interval!r}")
        self.module = copy.deepcopy(model).requires_grad_(False)
        self.interval = interval
        if device is not None:
            self.module = self.module.to(device)
        self.register_buffer("steps", torch.tensor(0, dtype=torch.long, device=device))
        self.update_buffers = update_buffers
        self.avg_parameters = self._tracked(self.module)

    def _tracked(self, model: nn.Module) -> dict[str, torch.Tensor]:
        return model.state_dict() if self.update_buffers else dict(model.named_parameters())

    def avg_func(self, averaged_param: torch.Tensor, source_param: torch.Tensor, steps: int) -> None:
        """Update ``averaged_param`` in place from ``source_param``."""
        raise NotImplementedError

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """Run the averaged model."""
        return self.module(*args, **kwargs)

    def update_parameters(self, model: nn.Module) -> None:
        """Average the parameters of ``model`` into this copy."""
        src = self._tracked(model)
        steps = int(self.steps.item())
        if steps == 0:
            for key, avg in self.avg_parameters.items():
                avg.data.copy_(src[key].data)
        elif steps % self.interval == 0:
            for key, avg in self.avg_parameters.items():
                if avg.dtype.is_floating_point:
                    self.avg_func(avg.data, src[key].data.to(avg.device), steps)
                else:
                    avg.data.copy_(src[key].data)
        if not self.update_buffers:
            for b_avg, b_src in zip(self.module.buffers(), model.buffers()):
                b_avg.data.copy_(b_src.data.to(b_avg.device))
        self.steps += 1


@MODELS.register_module()
class StochasticWeightAverage(BaseAveragedModel):
    """The running mean of the source parameters (taken every ``interval`` steps)."""

    def avg_func(self, averaged_param: torch.Tensor, source_param: torch.Tensor, steps: int) -> None:
        averaged_param.add_(source_param - averaged_param, alpha=1 / float(steps // self.interval + 1))


@MODELS.register_module()
class ExponentialMovingAverage(BaseAveragedModel):
    """``avg = (1 - momentum) * avg + momentum * source``.

    Args:
        model: The model to average.
        momentum: Weight of the new value, in (0, 1).
        interval: See :class:`BaseAveragedModel`.
        device: See :class:`BaseAveragedModel`.
        update_buffers: See :class:`BaseAveragedModel`.
    """

    def __init__(
        self,
        model: nn.Module,
        momentum: float = 0.0002,
        interval: int = 1,
        device: torch.device | str | None = None,
        update_buffers: bool = False,
    ) -> None:
        super().__init__(model, interval, device, update_buffers)
        if not 0.0 < momentum < 1.0:
            raise ModelValueError(f"momentum must lie in (0, 1), but got {momentum}")
        self.momentum = momentum

    def avg_func(self, averaged_param: torch.Tensor, source_param: torch.Tensor, steps: int) -> None:
        averaged_param.lerp_(source_param, self.momentum)


@MODELS.register_module()
class MomentumAnnealingEMA(ExponentialMovingAverage):
    """EMA whose momentum starts high and decays: ``max(momentum, gamma / (gamma + steps))``.

    Args:
        gamma: Larger values anneal more slowly; must be positive.
    """

    def __init__(
        self,
        model: nn.Module,
        momentum: float = 0.0002,
        gamma: int = 100,
        interval: int = 1,
        device: torch.device | str | None = None,
        update_buffers: bool = False,
    ) -> None:
        super().__init__(model, momentum, interval, device, update_buffers)
        if gamma <= 0:
            raise ModelValueError(f"gamma must be positive, but got {gamma}")
        self.gamma = gamma

    def avg_func(self, averaged_param: torch.Tensor, source_param: torch.Tensor, steps: int) -> None:
        momentum = max(self.momentum, self.gamma / (self.gamma + steps))
        averaged_param.lerp_(source_param, momentum)
