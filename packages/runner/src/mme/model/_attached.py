"""The base of model wrappers whose training object is attached after they are built."""

from __future__ import annotations

from typing import Any

from torch import nn

from ._base_model import forward_batch
from ._errors import ModelTypeError

__all__: list[str] = []


class AttachedWrapper(nn.Module):
    """Runs a ``BaseModel``'s steps through an object a strategy attaches later.

    A strategy wraps the model before its training object exists (a DeepSpeed engine, a boosted
    ColossalAI model: both need the optimizer, built later), so the Runner's ``model`` stays this
    one object. ``module`` is the ``BaseModel``; until :meth:`_attach` the steps call it directly.
    The attached object holds ``module`` itself, so it is kept outside the submodules.

    Subclasses name the attached object in messages (``_ATTACHED``) and the method that attaches
    it (``_ATTACHED_BY``), and write ``train_step``.
    """

    _ATTACHED = "the attached object"
    _ATTACHED_BY = "the strategy"

    def __init__(self, module: nn.Module, attached: Any = None) -> None:
        super().__init__()
        self.module = module
        object.__setattr__(self, "_attached", attached)

    def _attach(self, attached: Any, inner: Any) -> None:
        """Run the steps through ``attached``, whose wrapped model ``inner`` must be ``module``."""
        if inner is not self.module:
            raise ModelTypeError(f"{self._ATTACHED} must wrap the same model as {type(self).__name__}.module")
        object.__setattr__(self, "_attached", attached)
        attached.train(self.training)

    def _require_attached(self) -> None:
        if self._attached is None:
            raise ModelTypeError(f"{type(self).__name__}.train_step needs {self._ATTACHED}, which "
                                 f"{self._ATTACHED_BY} attaches")

    def train(self, mode: bool = True) -> AttachedWrapper:
        """Set the training mode of the wrapper, the attached object and the model."""
        super().train(mode)
        if self._attached is not None:
            self._attached.train(mode)
        return self

    def val_step(self, data: dict | tuple | list) -> list:
        """Preprocess and ``forward(mode='predict')`` (through the attached object once there is one)."""
        return self._run_forward(self._prepare(self.module.data_preprocessor(data, False)), mode="predict")

    def test_step(self, data: dict | tuple | list) -> list:
        """Preprocess and ``forward(mode='predict')`` (through the attached object once there is one)."""
        return self._run_forward(self._prepare(self.module.data_preprocessor(data, False)), mode="predict")

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """The attached object's (or, before there is one, the model's) forward."""
        target = self._attached if self._attached is not None else self.module
        return target(*args, **kwargs)

    def _prepare(self, data: Any) -> Any:
        """The preprocessed batch as the forward takes it (subclasses cast inputs here)."""
        return data

    def _run_forward(self, data: dict | tuple | list, mode: str) -> Any:
        return forward_batch(self, data, mode)
