"""BaseModel: the model interface the Runner drives (train_step, val_step, test_step)."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import torch
from mme.dist import all_reduce, get_world_size, is_distributed
from mme.registry import MODELS
from torch import nn

from ._base_module import BaseModule
from ._data_preprocessor import BaseDataPreprocessor
from ._errors import ModelTypeError


def forward_batch(model: nn.Module, data: dict | tuple | list, mode: str) -> Any:
    """``model(**data, mode=mode)`` for a dict batch, ``model(*data, mode=mode)`` for a list or tuple."""
    if isinstance(data, dict):
        return model(**data, mode=mode)
    if isinstance(data, (list, tuple)):
        return model(*data, mode=mode)
    raise ModelTypeError(f"the preprocessed batch must be a dict, list or tuple, but got {type(data).__name__}")


class BaseModel(BaseModule):
    """Base of the models a Runner trains.

    A subclass implements ``forward(inputs, data_samples=None, mode='tensor')`` returning a dict
    of losses for ``mode='loss'``, a list of predictions for ``'predict'`` and raw tensors for
    ``'tensor'``. The batch from the dataloader goes through ``data_preprocessor`` first, then
    is passed to ``forward`` as keyword arguments (a dict) or positional ones (a list/tuple).

    Args:
        data_preprocessor: A preprocessor module or its config (built from MODELS);
            ``BaseDataPreprocessor()`` when None.
        init_cfg: See :class:`BaseModule`.
    """

    data_preprocessor: nn.Module

    def __init__(
        self, data_preprocessor: dict | nn.Module | None = None, init_cfg: dict | list[dict] | None = None
    ) -> None:
        super().__init__(init_cfg)
        preprocessor: nn.Module
        if data_preprocessor is None:
            preprocessor = BaseDataPreprocessor()
        elif isinstance(data_preprocessor, dict):
            preprocessor = MODELS.build(data_preprocessor)
        elif isinstance(data_preprocessor, nn.Module):
            preprocessor = data_preprocessor
        else:
            raise ModelTypeError(
                f"data_preprocessor must be a dict or an nn.Module, but got {type(data_preprocessor).__name__}"
            )
        self.data_preprocessor = preprocessor

    def train_step(self, data: dict | tuple | list, optim_wrapper: Any) -> dict[str, torch.Tensor]:
        """Preprocess, compute the losses, update the parameters; return the logged values.

        Args:
            data: A batch from the dataloader.
            optim_wrapper: An ``mme.optim.OptimWrapper``: the forward pass runs inside its
                ``optim_context(self)`` and the summed loss goes to its ``update_params``.

        Returns:
            ``parse_losses``'s log variables (detached tensors; ``'loss'`` first).
        """
        with optim_wrapper.optim_context(self):
            data = self.data_preprocessor(data, True)
            losses = self._run_forward(data, mode="loss")
        parsed_losses, log_vars = self.parse_losses(losses)
        optim_wrapper.update_params(parsed_losses)
        return log_vars

    def val_step(self, data: dict | tuple | list) -> list:
        """Preprocess the batch and return ``forward(mode='predict')``."""
        data = self.data_preprocessor(data, False)
        return self._run_forward(data, mode="predict")

    def test_step(self, data: dict | tuple | list) -> list:
        """Preprocess the batch and return ``forward(mode='predict')``."""
        data = self.data_preprocessor(data, False)
        return self._run_forward(data, mode="predict")

    def parse_losses(self, losses: dict[str, Any]) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """Sum the entries whose name contains ``'loss'`` into the loss to optimise.

        Each value is a tensor (its mean is taken) or a list of tensors (the sum of their means).
        The log variables are detached; when distributed they are averaged over the ranks so
        every rank logs the same numbers (the returned loss itself stays local).

        Returns:
            ``(loss, log_vars)`` with ``log_vars['loss']`` first.
        """
        if not isinstance(losses, dict):
            raise ModelTypeError(f"forward(mode='loss') must return a dict of losses, but got {type(losses).__name__}")
        items: list[tuple[str, torch.Tensor]] = []
        loss: torch.Tensor | None = None
        for name, value in losses.items():
            if isinstance(value, torch.Tensor):
                if value.ndim:  # a 0-dim loss is its own mean: no extra autograd node per iteration
                    value = value.mean()
            elif isinstance(value, (list, tuple)) and value and all(isinstance(v, torch.Tensor) for v in value):
                value = sum(v.mean() for v in value)
            else:
                raise ModelTypeError(f"loss {name!r} must be a tensor or a list of tensors, but got {type(value).__name__}")
            items.append((name, value))
            if "loss" in name:
                loss = value if loss is None else loss + value
        if loss is None:
            raise ModelTypeError(f"no entry of the losses dict has 'loss' in its name: {list(losses)}")
        total = loss.detach()
        log_vars: OrderedDict[str, torch.Tensor] = OrderedDict(loss=total)
        for name, value in items:
            log_vars[name] = total if value is loss else value.detach()
        if is_distributed() and get_world_size() > 1:
            for name, value in log_vars.items():
                reduced = value.clone().float()
                all_reduce(reduced, op="mean")
                log_vars[name] = reduced
        return loss, log_vars

    def _run_forward(self, data: dict | tuple | list, mode: str) -> Any:
        return forward_batch(self, data, mode)

    def _follow_device(self, device: torch.device) -> None:
        if isinstance(self.data_preprocessor, BaseDataPreprocessor):
            self.data_preprocessor._device = device

    def to(self, *args: Any, **kwargs: Any) -> BaseModel:
        """Move the model, and with it the data preprocessor's target device."""
        device = torch._C._nn._parse_to(*args, **kwargs)[0]
        if device is not None:
            self._follow_device(torch.device(device))
        return super().to(*args, **kwargs)

    def cuda(self, device: int | torch.device | None = None) -> BaseModel:
        """Move the model to CUDA."""
        if device is None:
            self._follow_device(torch.device("cuda", torch.cuda.current_device()))
        else:
            self._follow_device(device if isinstance(device, torch.device) else torch.device("cuda", device))
        return super().cuda(device)

    def cpu(self) -> BaseModel:
        """Move the model to the CPU."""
        self._follow_device(torch.device("cpu"))
        return super().cpu()

    def forward(self, inputs: torch.Tensor, data_samples: list | None = None, mode: str = "tensor") -> Any:
        """Compute losses (``'loss'``), predictions (``'predict'``) or raw outputs (``'tensor'``)."""
        raise NotImplementedError(f"{type(self).__name__} must implement forward(inputs, data_samples, mode)")
