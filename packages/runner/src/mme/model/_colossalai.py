"""``CollosalAIModelWrapper``: a ``BaseModel`` trained through a ColossalAI booster.

The class name keeps MMEngine's spelling (``Collosal``). Importing this module does not import
``colossalai``: the boosted model is built by ``mme.strategy.ColossalAIStrategy`` and attached.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from mme.registry import MODEL_WRAPPERS

from ._attached import AttachedWrapper

__all__ = ["CollosalAIModelWrapper"]


def _unwrap_boosted(model: Any) -> Any:
    unwrap = getattr(model, "unwrap", None)
    return unwrap() if callable(unwrap) else None


@MODEL_WRAPPERS.register_module(["CollosalAIModelWrapper", "ColossalAIModelWrapper"])  # both, as MMEngine
class CollosalAIModelWrapper(AttachedWrapper):
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

    _ATTACHED = "the boosted ColossalAI model"
    _ATTACHED_BY = "ColossalAIStrategy.build_optim_wrapper"

    def __init__(self, model: nn.Module) -> None:
        inner = _unwrap_boosted(model)
        super().__init__(inner if inner is not None else model, model if inner is not None else None)

    @property
    def model_wrapper(self) -> Any:
        """The boosted ColossalAI ``ModelWrapper`` (``None`` until :meth:`attach`)."""
        return self._attached

    @property
    def model(self) -> nn.Module:
        """The ``BaseModel`` (MMEngine's name for it)."""
        return self.module

    def attach(self, model_wrapper: Any) -> None:
        """Run the steps through ``model_wrapper`` (a boosted model whose ``unwrap()`` is ``module``)."""
        self._attach(model_wrapper, _unwrap_boosted(model_wrapper))

    def train_step(self, data: dict | tuple | list, optim_wrapper: Any) -> dict[str, torch.Tensor]:
        """Preprocess, ``forward(mode='loss')`` through the boosted model, ``parse_losses``, ``update_params``."""
        self._require_attached()
        data = self.module.data_preprocessor(data, training=True)
        with optim_wrapper.optim_context(self):
            losses = self._run_forward(data, mode="loss")
        parsed_loss, log_vars = self.module.parse_losses(losses)
        optim_wrapper.update_params(parsed_loss)
        return log_vars
