"""AmpOptimWrapper: mixed precision through torch.autocast and a gradient scaler."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import torch
from torch import nn

from ._errors import OptimConfigError
from ._optim_wrapper import OptimWrapper

__all__ = ["AmpOptimWrapper"]

_DTYPES = {"float16": torch.float16, "fp16": torch.float16, "half": torch.float16, "bfloat16": torch.bfloat16, "bf16": torch.bfloat16}


class AmpOptimWrapper(OptimWrapper):
    """OptimWrapper for automatic mixed precision on CPU or CUDA.

    ``optim_context(model)`` runs the forward under ``torch.autocast`` on the model's device,
    ``backward`` scales the loss with a ``torch.amp.GradScaler``, and ``step`` unscales the
    gradients (before clipping), skips the step on inf/NaN gradients and updates the scale.
    That scaler is the non-finite gradient check here: ``nonfinite_grad`` is not applied on top.

    Args:
        loss_scale: ``'dynamic'`` for a dynamic scale, a float for a static scale, or a dict of
            ``GradScaler`` arguments (``init_scale``, ``growth_factor``, ...).
        dtype: Autocast dtype: ``None`` (float16), ``'float16'``, ``'bfloat16'`` or a torch dtype.
        use_fsdp: Use FSDP's ``ShardedGradScaler``.
        **kwargs: Arguments of :class:`OptimWrapper`.
    """

    def __init__(
        self,
        loss_scale: str | float | dict[str, Any] = "dynamic",
        dtype: str | torch.dtype | None = None,
        use_fsdp: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.cast_dtype = _parse_dtype(dtype)
        device = _optimizer_device(self.optimizer)
        self._device_type = device
        if use_fsdp:
            from torch.distributed.fsdp.sharded_grad_scaler import ShardedGradScaler

            scaler_cls: Any = ShardedGradScaler
        else:
            scaler_cls = torch.amp.GradScaler
        self._scale_update_param: float | None = None
        if loss_scale == "dynamic":
            self.loss_scaler = scaler_cls(device)
        elif isinstance(loss_scale, (int, float)) and not isinstance(loss_scale, bool):
            if loss_scale <= 0:
                raise OptimConfigError(f"a static loss_scale must be positive, but got {loss_scale}")
            self._scale_update_param = float(loss_scale)
            self.loss_scaler = scaler_cls(device, init_scale=float(loss_scale))
        elif isinstance(loss_scale, dict):
            self.loss_scaler = scaler_cls(device, **loss_scale)
        else:
            raise OptimConfigError(f"loss_scale must be 'dynamic', a positive number or a dict, but got {loss_scale!r}")

    def backward(self, loss: torch.Tensor, **kwargs: Any) -> None:
        """Back-propagate the scaled loss and count one inner iteration."""
        self.loss_scaler.scale(loss).backward(**kwargs)
        self._inner_count += 1

    def step(self, **kwargs: Any) -> None:
        """Unscale and clip the gradients, step through the scaler and update the scale."""
        if self._clip_grad_fn is not None:
            self.loss_scaler.unscale_(self.optimizer)
            self._clip_grad_fn()
        self.loss_scaler.step(self.optimizer, **kwargs)
        self.loss_scaler.update(self._scale_update_param)

    def state_dict(self) -> dict[str, Any]:
        """The optimizer's state dict plus ``loss_scaler``."""
        state = dict(self.optimizer.state_dict())
        state["loss_scaler"] = self.loss_scaler.state_dict()
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load the optimizer state and, when present, the ``loss_scaler`` state."""
        state = dict(state_dict)
        scaler_state = state.pop("loss_scaler", None)
        if scaler_state is not None:
            self.loss_scaler.load_state_dict(scaler_state)
        self.optimizer.load_state_dict(state)

    @contextmanager
    def optim_context(self, model: nn.Module) -> Iterator[None]:
        """``no_sync`` while accumulating, and ``torch.autocast`` with :attr:`cast_dtype`."""
        with super().optim_context(model):
            device_type = _module_device(model) or self._device_type
            with torch.autocast(device_type=device_type, dtype=self.cast_dtype):
                yield


def _parse_dtype(dtype: str | torch.dtype | None) -> torch.dtype:
    if dtype is None:
        return torch.float16
    if isinstance(dtype, torch.dtype):
        if dtype not in (torch.float16, torch.bfloat16):
            raise OptimConfigError(f"AmpOptimWrapper dtype must be float16 or bfloat16, but got {dtype}")
        return dtype
    if isinstance(dtype, str) and dtype in _DTYPES:
        return _DTYPES[dtype]
    raise OptimConfigError(f"AmpOptimWrapper dtype must be None, 'float16', 'bfloat16' or a torch dtype, but got {dtype!r}")


def _optimizer_device(optimizer: torch.optim.Optimizer) -> str:
    for group in optimizer.param_groups:
        for param in group["params"]:
            return param.device.type
    return "cuda" if torch.cuda.is_available() else "cpu"


def _module_device(model: nn.Module) -> str | None:
    for param in model.parameters():
        return param.device.type
    return None
