"""The optimizer-wrapper interface every wrapper implements (MMEngine's ``BaseOptimWrapper``)."""

from __future__ import annotations

import operator
from abc import ABC, abstractmethod
from typing import Any

import torch

_LR = operator.itemgetter("lr")


class BaseOptimWrapper(ABC):
    """What the runner's loops use of an optimizer wrapper.

    Subclasses implement ``update_params``, ``backward``, ``zero_grad`` and ``step``; state
    dicts, parameter groups, learning rates and momenta come from the wrapped optimizer.

    Args:
        optimizer: The optimizer to wrap (anything with ``param_groups``, ``defaults``,
            ``state_dict`` and ``load_state_dict``, usually a ``torch.optim.Optimizer``).
    """

    def __init__(self, optimizer: Any) -> None:
        self.optimizer = optimizer

    @abstractmethod
    def update_params(self, *args: Any, **kwargs: Any) -> None:
        """Back-propagate a loss and, when due, step the optimizer and zero the gradients."""

    @abstractmethod
    def backward(self, loss: torch.Tensor, **kwargs: Any) -> None:
        """Back-propagate ``loss``."""

    @abstractmethod
    def zero_grad(self, **kwargs: Any) -> None:
        """Zero the gradients of the wrapped parameters."""

    @abstractmethod
    def step(self, **kwargs: Any) -> None:
        """Update the parameters from their gradients."""

    @property
    def param_groups(self) -> list[dict[str, Any]]:
        """The wrapped optimizer's parameter groups."""
        return self.optimizer.param_groups

    @property
    def defaults(self) -> dict[str, Any]:
        """The wrapped optimizer's defaults."""
        return self.optimizer.defaults

    def get_lr(self) -> dict[str, list[float]]:
        """Learning rate of each parameter group, as ``{'lr': [...]}``."""
        return {"lr": list(map(_LR, self.optimizer.param_groups))}  # no comprehension frame: runs every iteration

    def get_momentum(self) -> dict[str, list[float]]:
        """Momentum (or Adam's ``betas[0]``) of each group, 0 where there is none."""
        values = []
        for group in self.optimizer.param_groups:
            if "momentum" in group:
                values.append(group["momentum"])
            elif "betas" in group:
                values.append(group["betas"][0])
            else:
                values.append(0)
        return {"momentum": values}

    def state_dict(self) -> dict[str, Any]:
        """The wrapped optimizer's state dict."""
        return self.optimizer.state_dict()

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load a state dict produced by :meth:`state_dict`."""
        self.optimizer.load_state_dict(state_dict)
