"""``MMDeepSpeedEngineWrapper``: a ``BaseModel`` trained through a DeepSpeed engine.

Importing this module does not import ``deepspeed``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from mme.registry import MODEL_WRAPPERS

from ._errors import ModelTypeError

__all__ = ["MMDeepSpeedEngineWrapper"]


def _is_engine(obj: Any) -> bool:
    return any(c.__name__ == "DeepSpeedEngine" for c in type(obj).__mro__)


@MODEL_WRAPPERS.register_module()
class MMDeepSpeedEngineWrapper(nn.Module):
    """Runs a ``BaseModel``'s train/val/test steps through its ``deepspeed.DeepSpeedEngine``.

    ``DeepSpeedStrategy.wrap_model`` wraps the model before the engine exists (the engine needs
    the optimizer, built later by ``build_optim_wrapper``, which then attaches it with
    :meth:`attach_engine`), so the Runner's ``model`` stays this one object. ``module`` is the
    ``BaseModel``; with ZeRO stage 3 its parameters are partitioned once the engine is attached.

    Args:
        model: The ``BaseModel``, or an engine wrapping one (MMEngine's signature).
        inputs_to_half: Keys (for a dict batch) or positions (for a tuple/list batch) of the
            preprocessed inputs to cast to the engine's half precision (``torch.bfloat16``
            when the engine trains in bf16, else ``torch.float16``). Only floating tensors
            (also inside lists/tuples) are cast.
    """

    def __init__(self, model: nn.Module, inputs_to_half: Sequence[int | str] | None = None) -> None:
        super().__init__()
        engine = model if _is_engine(model) else None
        self.module = engine.module if engine is not None else model
        if inputs_to_half is not None and (isinstance(inputs_to_half, (str, int))
                                           or not all(isinstance(i, (str, int)) for i in inputs_to_half)):
            raise ModelTypeError(f"inputs_to_half must be a list of input names or positions, got {inputs_to_half!r}")
        self.inputs_to_half = list(inputs_to_half) if inputs_to_half is not None else None
        object.__setattr__(self, "_engine", engine)  # not a submodule: the engine holds ``module`` itself

    @property
    def engine(self) -> Any:
        """The ``DeepSpeedEngine`` (``None`` until :meth:`attach_engine`)."""
        return self._engine

    def attach_engine(self, engine: Any) -> None:
        """Train through ``engine`` from now on (it must wrap this wrapper's ``module``)."""
        if getattr(engine, "module", None) is not self.module:
            raise ModelTypeError("the DeepSpeed engine must wrap the same model as MMDeepSpeedEngineWrapper.module")
        object.__setattr__(self, "_engine", engine)
        engine.train(self.training)

    def train(self, mode: bool = True) -> MMDeepSpeedEngineWrapper:
        """Set the training mode of the wrapper, the engine and the model."""
        super().train(mode)
        if self._engine is not None:
            self._engine.train(mode)
        return self

    def train_step(self, data: dict | tuple | list, optim_wrapper: Any) -> dict[str, torch.Tensor]:
        """Preprocess, ``forward(mode='loss')`` through the engine, ``parse_losses``, ``update_params``."""
        if self._engine is None:
            raise ModelTypeError("MMDeepSpeedEngineWrapper.train_step needs the DeepSpeed engine, which "
                                 "DeepSpeedStrategy.build_optim_wrapper attaches")
        data = self.module.data_preprocessor(data, training=True)
        data = self._cast_inputs_half(data)
        losses = self._run_forward(data, mode="loss")
        parsed_loss, log_vars = self.module.parse_losses(losses)
        optim_wrapper.update_params(parsed_loss)
        return log_vars

    def val_step(self, data: dict | tuple | list) -> list:
        """Preprocess and ``forward(mode='predict')`` (through the engine once there is one)."""
        data = self.module.data_preprocessor(data, False)
        return self._run_forward(self._cast_inputs_half(data), mode="predict")

    def test_step(self, data: dict | tuple | list) -> list:
        """Preprocess and ``forward(mode='predict')`` (through the engine once there is one)."""
        data = self.module.data_preprocessor(data, False)
        return self._run_forward(self._cast_inputs_half(data), mode="predict")

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """The engine's (or, before it exists, the model's) forward."""
        target = self._engine if self._engine is not None else self.module
        return target(*args, **kwargs)

    def _run_forward(self, data: dict | tuple | list, mode: str) -> Any:
        if isinstance(data, dict):
            return self(**data, mode=mode)
        if isinstance(data, (list, tuple)):
            return self(*data, mode=mode)
        raise ModelTypeError(f"the preprocessed batch must be a dict, list or tuple, but got {type(data).__name__}")

    def _half_dtype(self) -> torch.dtype:
        engine = self._engine
        if engine is not None and callable(getattr(engine, "bfloat16_enabled", None)) and engine.bfloat16_enabled():
            return torch.bfloat16
        return torch.float16

    def _cast_inputs_half(self, data: Any) -> Any:
        if not self.inputs_to_half:
            return data
        dtype = self._half_dtype()

        def cast(value: Any) -> Any:
            if isinstance(value, torch.Tensor):
                return value.to(dtype) if value.is_floating_point() else value
            if isinstance(value, (list, tuple)):
                return type(value)(cast(v) for v in value)
            return value

        if isinstance(data, dict):
            missing = [k for k in self.inputs_to_half if k not in data]
            if missing:
                raise ModelTypeError(f"inputs_to_half names {missing}, which the batch (keys {sorted(data)}) lacks")
            return {k: cast(v) if k in self.inputs_to_half else v for k, v in data.items()}
        if isinstance(data, (list, tuple)):
            bad = [i for i in self.inputs_to_half if not isinstance(i, int) or not -len(data) <= i < len(data)]
            if bad:
                raise ModelTypeError(f"inputs_to_half {bad} are not positions of the {len(data)} batch inputs")
            wanted = {i % len(data) for i in self.inputs_to_half}
            return type(data)(cast(v) if i in wanted else v for i, v in enumerate(data))
        return data
