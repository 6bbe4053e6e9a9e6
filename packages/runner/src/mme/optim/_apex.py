"""ApexOptimWrapper: mixed precision through NVIDIA apex's ``amp`` (MMEngine's ``ApexOptimWrapper``).

apex is optional: ``apex_amp`` is ``apex.amp`` when apex is installed, else None, and building an
``ApexOptimWrapper`` without it raises an ImportError that says how to install it. Prefer
:class:`~mme.optim.AmpOptimWrapper` (torch's native AMP) unless a setup needs apex.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import torch
from torch import nn

from ._optim_wrapper import OptimWrapper

__all__ = ["ApexOptimWrapper", "apex_amp"]


def _import_apex_amp() -> Any:
    if importlib.util.find_spec("apex") is None:
        return None
    try:
        import apex.amp as amp
    except ImportError:
        return None
    return amp


apex_amp: Any = _import_apex_amp()


class ApexOptimWrapper(OptimWrapper):
    """OptimWrapper whose backward scales the loss with ``apex.amp``.

    On the first ``optim_context(model)`` the model and the optimizer go through
    ``apex.amp.initialize`` with the arguments below (those left None are not passed); the amp
    state (loss scalers) is saved in ``state_dict()["apex_amp"]`` and restored by
    ``load_state_dict``, also when that is called before the first iteration.

    Args:
        opt_level: apex's optimization level, ``'O0'`` to ``'O3'``.
        loss_scale: ``'dynamic'`` or a static float scale.
        enabled, cast_model_type, patch_torch_functions, keep_batchnorm_fp32, master_weights,
        cast_model_outputs, num_losses, verbosity, min_loss_scale, max_loss_scale: passed to
            ``apex.amp.initialize``.
        **kwargs: Arguments of :class:`OptimWrapper` (``optimizer``, ``accumulative_counts``, ...).

    Raises:
        ImportError: apex is not installed.
    """

    def __init__(self, opt_level: str = "O1", loss_scale: float | str | None = "dynamic", enabled: bool | None = True,
                 cast_model_type: torch.dtype | None = None, patch_torch_functions: bool | None = None,
                 keep_batchnorm_fp32: bool | str | None = None, master_weights: bool | None = None,
                 cast_model_outputs: torch.dtype | None = None, num_losses: int = 1, verbosity: int = 1,
                 min_loss_scale: float | None = None, max_loss_scale: float | None = 2.0 ** 24,
                 **kwargs: Any) -> None:
        if apex_amp is None:
            raise ImportError(
                "ApexOptimWrapper needs NVIDIA apex (apex.amp), which is not installed: build it from "
                "https://github.com/NVIDIA/apex, or use AmpOptimWrapper (torch's native mixed precision)")
        super().__init__(**kwargs)
        self._amp_kwargs = {
            key: value for key, value in dict(
                opt_level=opt_level, loss_scale=loss_scale, enabled=enabled, cast_model_type=cast_model_type,
                patch_torch_functions=patch_torch_functions, keep_batchnorm_fp32=keep_batchnorm_fp32,
                master_weights=master_weights, cast_model_outputs=cast_model_outputs, num_losses=num_losses,
                verbosity=verbosity, min_loss_scale=min_loss_scale, max_loss_scale=max_loss_scale,
            ).items() if value is not None
        }
        self._pending_amp_state: dict[str, Any] | None = None

    @property
    def opt_level(self) -> str:
        return self._amp_kwargs["opt_level"]

    def _initialized(self) -> bool:
        # apex.amp.initialize marks the optimizers it patched with ``_amp_stash``
        return hasattr(self.optimizer, "_amp_stash")

    def backward(self, loss: torch.Tensor, **kwargs: Any) -> None:
        """Back-propagate the loss scaled by apex and count one inner iteration."""
        with apex_amp.scale_loss(loss, self.optimizer) as scaled_loss:
            scaled_loss.backward(**kwargs)
        self._inner_count += 1

    def state_dict(self) -> dict[str, Any]:
        """The optimizer's state dict plus ``apex_amp`` (once amp is initialized)."""
        state = dict(self.optimizer.state_dict())
        if self._initialized():
            state["apex_amp"] = apex_amp.state_dict()
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load the optimizer state and the ``apex_amp`` state (kept until amp is initialized)."""
        state = dict(state_dict)
        amp_state = state.pop("apex_amp", None)
        if amp_state is not None:
            if self._initialized():
                apex_amp.load_state_dict(amp_state)
            else:
                self._pending_amp_state = amp_state
        self.optimizer.load_state_dict(state)

    @contextmanager
    def optim_context(self, model: nn.Module) -> Iterator[None]:
        """``no_sync`` while accumulating; the first call initializes apex amp for ``model``."""
        with super().optim_context(model):
            if not self._initialized():
                from mme.model import is_model_wrapper  # here: mme.model imports mme.optim

                inner = model.module if is_model_wrapper(model) else model
                _, self.optimizer = apex_amp.initialize(inner, self.optimizer, **self._amp_kwargs)
                if self._pending_amp_state is not None:
                    apex_amp.load_state_dict(self._pending_amp_state)
                    self._pending_amp_state = None
            yield
