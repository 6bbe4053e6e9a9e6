"""Model wrappers: MMDistributedDataParallel and is_model_wrapper."""

from __future__ import annotations

import logging
from typing import Any

import torch
from mme.registry import MODEL_WRAPPERS, Registry
from torch import nn
from torch.nn.parallel import DataParallel, DistributedDataParallel

from ._base_model import forward_batch

logger = logging.getLogger(__name__)

MODEL_WRAPPERS.register_module(module=DistributedDataParallel)
MODEL_WRAPPERS.register_module(module=DataParallel)


@MODEL_WRAPPERS.register_module()
class MMDistributedDataParallel(DistributedDataParallel):
    """``DistributedDataParallel`` whose train/val/test steps delegate to a ``BaseModel``.

    ``train_step`` runs the data preprocessor and ``forward(mode='loss')`` through DDP (so the
    gradients are all-reduced in backward), then the wrapped model's ``parse_losses`` and the
    optimizer wrapper's ``update_params``. ``val_step`` and ``test_step`` call the wrapped
    model's directly.

    Args:
        module: The model (a ``BaseModel``).
        detect_anomalous_params: After backward, log parameters that got no gradient
            (slow; for debugging ``find_unused_parameters`` problems).
        **kwargs: Passed to ``DistributedDataParallel``.
    """

    def __init__(self, module: nn.Module, detect_anomalous_params: bool = False, **kwargs: Any) -> None:
        super().__init__(module=module, **kwargs)
        self.detect_anomalous_params = detect_anomalous_params

    def train_step(self, data: dict | tuple | list, optim_wrapper: Any) -> dict[str, torch.Tensor]:
        """One optimisation step with DDP's gradient synchronisation."""
        with optim_wrapper.optim_context(self):
            data = self.module.data_preprocessor(data, training=True)
            losses = self._run_forward(data, mode="loss")
        parsed_loss, log_vars = self.module.parse_losses(losses)
        optim_wrapper.update_params(parsed_loss)
        if self.detect_anomalous_params:
            self._detect_anomalous_params()
        return log_vars

    def val_step(self, data: dict | tuple | list) -> list:
        """The wrapped model's ``val_step``."""
        return self.module.val_step(data)

    def test_step(self, data: dict | tuple | list) -> list:
        """The wrapped model's ``test_step``."""
        return self.module.test_step(data)

    def _run_forward(self, data: dict | tuple | list, mode: str) -> Any:
        return forward_batch(self, data, mode)

    def _detect_anomalous_params(self) -> None:
        for name, param in self.module.named_parameters():
            if param.requires_grad and param.grad is None:
                logger.error("parameter %s %s got no gradient in this step", name, tuple(param.size()))


def is_model_wrapper(model: nn.Module, registry: Registry = MODEL_WRAPPERS) -> bool:
    """Whether ``model`` is an instance of a class registered in ``registry`` or its children."""
    classes = tuple(c for c in registry.module_dict.values() if isinstance(c, type))
    if isinstance(model, classes):
        return True
    return any(is_model_wrapper(model, child) for child in registry.children.values())
