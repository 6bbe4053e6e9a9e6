"""``DeepSpeedOptimWrapper``: the optimizer wrapper of a DeepSpeed engine (``DeepSpeedStrategy``).

Importing this module does not import ``deepspeed``: the engine is built by
``mme.strategy.DeepSpeedStrategy.build_optim_wrapper`` and handed to the wrapper.
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from typing import Any

import torch
from torch import nn

from mme.registry import OPTIM_WRAPPERS

from ._errors import OptimConfigError
from ._optim_wrapper import OptimWrapper

__all__ = ["DeepSpeedOptimWrapper"]


@OPTIM_WRAPPERS.register_module()
class DeepSpeedOptimWrapper(OptimWrapper):
    """Backward and step through a DeepSpeed engine, which owns accumulation, clipping and ZeRO.

    ``update_params(loss)`` is ``engine.backward(loss)`` then ``engine.step()``: the engine
    scales the loss for ``gradient_accumulation_steps``, reduces (and partitions) the
    gradients, clips them (``gradient_clipping``), steps the optimizer at an accumulation
    boundary and zeroes the gradients itself, so :meth:`zero_grad` does nothing. Gradient
    clipping and accumulation are therefore keys of ``DeepSpeedStrategy``, not of this wrapper
    (``clip_grad``/``accumulative_counts`` are an error).

    The optimizer's state lives in the engine's (possibly partitioned) optimizer and is saved
    and loaded with the engine's checkpoint (``DeepSpeedStrategy.save_shards``/``load_shards``):
    :meth:`state_dict` is empty and :meth:`load_state_dict` accepts only that.

    Args:
        optimizer: The torch optimizer given to ``deepspeed.initialize`` (its ``param_groups``
            are the ones the engine steps, so parameter schedulers act on them).
        engine: The ``deepspeed.DeepSpeedEngine``; ``None`` until the strategy attaches it.
    """

    def __init__(self, optimizer: torch.optim.Optimizer, engine: Any = None, **kwargs: Any) -> None:
        for key, where in (("clip_grad", "gradient_clipping=..."),
                           ("accumulative_counts", "gradient_accumulation_steps=...")):
            if kwargs.get(key) not in (None, 1):
                raise OptimConfigError(
                    f"DeepSpeedOptimWrapper does not take {key}={kwargs[key]!r}: the DeepSpeed engine clips and "
                    f"accumulates gradients; set strategy=dict(type='DeepSpeedStrategy', {where}) instead")
            kwargs.pop(key, None)
        super().__init__(optimizer, **kwargs)
        self.engine = engine

    def _require_engine(self) -> Any:
        if self.engine is None:
            raise OptimConfigError("DeepSpeedOptimWrapper has no engine yet: it is built by "
                                   "DeepSpeedStrategy.build_optim_wrapper (a FlexibleRunner with that strategy)")
        return self.engine

    def update_params(self, loss: torch.Tensor, step_kwargs: dict[str, Any] | None = None,
                      zero_kwargs: dict[str, Any] | None = None) -> None:
        """``engine.backward(loss)`` then ``engine.step()`` (which steps only at an accumulation boundary).

        A loss rejected by :attr:`loss_check` is not back-propagated and the engine does not step.
        """
        if self.loss_check is not None and not self.loss_check(loss):
            return
        self.backward(loss)
        self.step(**(step_kwargs or {}))

    def backward(self, loss: torch.Tensor, **kwargs: Any) -> None:
        """``engine.backward(loss)``: scaled for accumulation (and fp16) by the engine."""
        self._require_engine().backward(loss, **kwargs)
        self._inner_count += 1

    def step(self, **kwargs: Any) -> None:
        """``engine.step()``: reduce, clip and apply the gradients at an accumulation boundary, then zero them."""
        self._require_engine().step(**kwargs)

    def zero_grad(self, **kwargs: Any) -> None:
        """Nothing: the engine zeroes the gradients in :meth:`step`."""

    def should_update(self) -> bool:
        """Whether the engine's next ``step`` applies the gradients."""
        return bool(self._require_engine().is_gradient_accumulation_boundary())

    def should_sync(self) -> bool:
        """The engine decides when gradients are reduced."""
        return True

    def optim_context(self, model: nn.Module) -> AbstractContextManager[Any]:
        """Nothing: the engine skips gradient reduction between accumulation boundaries itself."""
        return nullcontext()

    def initialize_count_status(self, model: nn.Module, init_counts: int, max_counts: int) -> None:
        """Set the iteration counter (the engine keeps its own step and accumulation counts)."""
        self._inner_count = init_counts
        self._max_counts = max_counts

    def state_dict(self) -> dict[str, Any]:
        """Empty: the optimizer state is saved by the engine's checkpoint (``DeepSpeedStrategy.save_shards``)."""
        return {}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Accepts only the empty state of :meth:`state_dict` (the engine's checkpoint holds the real one)."""
        if state_dict:
            raise OptimConfigError(
                "DeepSpeedOptimWrapper cannot load an optimizer state dict: the state is in the DeepSpeed "
                "checkpoint directory, which DeepSpeedStrategy.load_shards (Runner.resume) reads")

    def __repr__(self) -> str:
        return f"{type(self).__name__}(engine={type(self.engine).__name__}, optimizer={self.optimizer!r})"
