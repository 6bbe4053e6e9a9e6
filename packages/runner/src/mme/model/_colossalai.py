"""``CollosalAIModelWrapper``: a ``BaseModel`` trained through a ColossalAI booster.

The class name keeps MMEngine's spelling (``Collosal``). Importing this module does not import
``colossalai``: the boosted model is built by ``mme.strategy.ColossalAIStrategy`` and attached.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from mme.registry import MODEL_WRAPPERS

from ._errors import ModelTypeError

__all__ = ["CollosalAIModelWrapper"]


def _unwrap_boosted(model: Any) -> Any:
    unwrap = getattr(model, "unwrap", None)
    return unwrap() if callable(unwrap) else None


@MODEL_WRAPPERS.register_module()
class CollosalAIModelWrapper(nn.Module):
    """Runs a ``BaseModel``'s train/val/test steps through the model a ColossalAI ``Booster`` boosted.

    ``ColossalAIStrategy.wrap_model`` wraps the model before it is boosted (the booster needs the
    optimizer, built later by ``build_optim_wrapper``, which then attaches the boosted model with
    :meth:`attach`), so the Runner's ``model`` stays this one object. ``module`` is the
    ``BaseModel``; :attr:`model_wrapper` is the plugin's ``ModelWrapper`` (``TorchDDPModel``,
    ``HybridParallelModule``, ...) around it, ``None`` until boosted, when the steps call the
    ``BaseModel`` directly.

    Args:
        model: The ``BaseModel``, or a boosted ColossalAI ``ModelWrapper`` around one.
    """

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        inner = _unwrap_boosted(model)
        boosted = model if inner is not None else None
        self.module = inner if inner is not None else model
        object.__setattr__(self, "_model_wrapper", boosted)  # not a submodule: it holds ``module`` itself

    @property
    def model_wrapper(self) -> Any:
        """The boosted ColossalAI ``ModelWrapper`` (``None`` until :meth:`attach`)."""
        return self._model_wrapper

    @property
    def model(self) -> nn.Module:
        """The ``BaseModel`` (MMEngine's name for it)."""
        return self.module

    def attach(self, model_wrapper: Any) -> None:
        """Run the steps through ``model_wrapper`` (a boosted model whose ``unwrap()`` is ``module``)."""
        if _unwrap_boosted(model_wrapper) is not self.module:
            raise ModelTypeError("the boosted ColossalAI model must wrap the same model as "
                                 "CollosalAIModelWrapper.module")
        object.__setattr__(self, "_model_wrapper", model_wrapper)
        model_wrapper.train(self.training)

    def train(self, mode: bool = True) -> CollosalAIModelWrapper:
        """Set the training mode of the wrapper, the boosted model and the model."""
        super().train(mode)
        if self._model_wrapper is not None:
            self._model_wrapper.train(mode)
        return self

    def train_step(self, data: dict | tuple | list, optim_wrapper: Any) -> dict[str, torch.Tensor]:
        """Preprocess, ``forward(mode='loss')`` through the boosted model, ``parse_losses``, ``update_params``."""
        if self._model_wrapper is None:
            raise ModelTypeError("CollosalAIModelWrapper.train_step needs the boosted model, which "
                                 "ColossalAIStrategy.build_optim_wrapper attaches")
        data = self.module.data_preprocessor(data, training=True)
        with optim_wrapper.optim_context(self):
            losses = self._run_forward(data, mode="loss")
        parsed_loss, log_vars = self.module.parse_losses(losses)
        optim_wrapper.update_params(parsed_loss)
        return log_vars

    def val_step(self, data: dict | tuple | list) -> list:
        """Preprocess and ``forward(mode='predict')`` (through the boosted model once there is one)."""
        data = self.module.data_preprocessor(data, False)
        return self._run_forward(data, mode="predict")

    def test_step(self, data: dict | tuple | list) -> list:
        """Preprocess and ``forward(mode='predict')`` (through the boosted model once there is one)."""
        data = self.module.data_preprocessor(data, False)
        return self._run_forward(data, mode="predict")

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """The boosted model's (or, before it exists, the model's) forward."""
        target = self._model_wrapper if self._model_wrapper is not None else self.module
        return target(*args, **kwargs)

    def _run_forward(self, data: dict | tuple | list, mode: str) -> Any:
        if isinstance(data, dict):
            return self(**data, mode=mode)
        if isinstance(data, (list, tuple)):
            return self(*data, mode=mode)
        raise ModelTypeError(f"the preprocessed batch must be a dict, list or tuple, but got {type(data).__name__}")
