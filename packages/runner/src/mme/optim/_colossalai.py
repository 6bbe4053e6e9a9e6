"""``ColossalAIOptimWrapper``: the optimizer wrapper of a ColossalAI booster (``ColossalAIStrategy``).

Importing this module does not import ``colossalai``: the booster and the boosted optimizer are
made by ``mme.strategy.ColossalAIStrategy.build_optim_wrapper`` and handed to the wrapper.
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from typing import Any

import torch
from torch import nn

from mme.registry import OPTIM_WRAPPERS

from ._errors import OptimConfigError
from ._optim_wrapper import OptimWrapper

__all__ = ["ColossalAIOptimWrapper"]


@OPTIM_WRAPPERS.register_module()
class ColossalAIOptimWrapper(OptimWrapper):
    """Backward through a ColossalAI ``Booster``; step and zero the optimizer it boosted.

    ``update_params(loss)`` scales the loss for ``accumulative_counts``, calls
    ``booster.backward(loss, optimizer)`` (the plugin's backward: loss scaling, ZeRO's gradient
    partitioning, ...) and, at an accumulation boundary, ``optimizer.step()`` and
    ``optimizer.zero_grad()`` of the boosted optimizer (a ColossalAI ``OptimizerWrapper``).
    While gradients accumulate, the plugin's ``no_sync`` skips their reduction where the plugin
    supports it. ``clip_grad`` clips the full gradients of the parameters, which is right for the
    plugins that keep whole parameters on every rank (``torch_ddp``, ``hybrid`` with
    ``tp_size=1``); sharding plugins clip with their own ``max_norm`` argument instead.

    The optimizer state is saved and loaded with the booster (``ColossalAIStrategy.save_shards``
    and ``load_shards``): :meth:`state_dict` is empty and :meth:`load_state_dict` accepts only that.

    Args:
        optimizer: The torch optimizer (``optimizer`` becomes the boosted one when the strategy
            attaches the booster; its ``param_groups`` stay the torch optimizer's).
        booster: The ``colossalai.booster.Booster``; ``None`` until the strategy attaches it.
        **kwargs: ``OptimWrapper``'s (``accumulative_counts``, ``clip_grad``, ``nonfinite_grad``).
    """

    def __init__(self, optimizer: torch.optim.Optimizer, booster: Any = None, **kwargs: Any) -> None:
        super().__init__(optimizer, **kwargs)
        self.booster = booster

    def attach(self, booster: Any, optimizer: Any) -> None:
        """Back-propagate through ``booster`` and step ``optimizer`` (the one it boosted) from now on."""
        self.booster = booster
        self.optimizer = optimizer

    def _require_booster(self) -> Any:
        if self.booster is None:
            raise OptimConfigError("ColossalAIOptimWrapper has no booster yet: it is attached by "
                                   "ColossalAIStrategy.build_optim_wrapper (a FlexibleRunner with that strategy)")
        return self.booster

    def backward(self, loss: torch.Tensor, **kwargs: Any) -> None:
        """``booster.backward(loss, optimizer)`` (``optimizer.backward(loss, **kwargs)`` with keyword
        arguments, which the booster does not pass on) and count one inner iteration."""
        booster = self._require_booster()
        if kwargs:
            self.optimizer.backward(loss, **kwargs)
        else:
            booster.backward(loss, self.optimizer)
        self._inner_count += 1

    def optim_context(self, model: nn.Module) -> AbstractContextManager[Any]:
        """The plugin's ``no_sync`` while gradients accumulate (where the plugin supports it)."""
        if self._accumulative_counts > 1 and not self.should_sync() and self.booster is not None:
            plugin = getattr(self.booster, "plugin", None)
            boosted = getattr(model, "model_wrapper", None)
            if plugin is not None and boosted is not None and plugin.support_no_sync():
                return self.booster.no_sync(boosted, self.optimizer)
        return nullcontext()

    def state_dict(self) -> dict[str, Any]:
        """Empty: the booster saves the optimizer state (``ColossalAIStrategy.save_shards``)."""
        return {}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Accepts only the empty state of :meth:`state_dict` (the booster's checkpoint holds the real one)."""
        if state_dict:
            raise OptimConfigError(
                "ColossalAIOptimWrapper cannot load an optimizer state dict: the state is in the checkpoint "
                "directory the booster wrote, which ColossalAIStrategy.load_shards (Runner.resume) reads")

    def __repr__(self) -> str:
        return f"{type(self).__name__}(booster={type(self.booster).__name__}, optimizer={self.optimizer!r})"
