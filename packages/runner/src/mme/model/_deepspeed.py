"""``MMDeepSpeedEngineWrapper``: a ``BaseModel`` trained through a DeepSpeed engine.

Importing this module does not import ``deepspeed``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from mme.registry import MODEL_WRAPPERS

from ._attached import AttachedWrapper
from ._errors import ModelTypeError

__all__ = ["MMDeepSpeedEngineWrapper"]


def _is_engine(obj: Any) -> bool:
    return any(c.__name__ == "DeepSpeedEngine" for c in type(obj).__mro__)


@MODEL_WRAPPERS.register_module()
class MMDeepSpeedEngineWrapper(AttachedWrapper):
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

    _ATTACHED = "the DeepSpeed engine"
    _ATTACHED_BY = "DeepSpeedStrategy.build_optim_wrapper"

    def __init__(self, model: nn.Module, inputs_to_half: Sequence[int | str] | None = None) -> None:
        engine = model if _is_engine(model) else None
        super().__init__(engine.module if engine is not None else model, engine)
        if inputs_to_half is not None and (isinstance(inputs_to_half, (str, int))
                                           or not all(isinstance(i, (str, int)) for i in inputs_to_half)):
            raise ModelTypeError(f"inputs_to_half must be a list of input names or positions, got {inputs_to_half!r}")
        self.inputs_to_half = list(inputs_to_half) if inputs_to_half is not None else None

    @property
    def engine(self) -> Any:
        """The ``DeepSpeedEngine`` (``None`` until :meth:`attach_engine`)."""
        return self._attached

    def attach_engine(self, engine: Any) -> None:
        """Train through ``engine`` from now on (it must wrap this wrapper's ``module``)."""
        self._attach(engine, getattr(engine, "module", None))

    def train_step(self, data: dict | tuple | list, optim_wrapper: Any) -> dict[str, torch.Tensor]:
        """Preprocess, ``forward(mode='loss')`` through the engine, ``parse_losses``, ``update_params``."""
        self._require_attached()
        data = self._prepare(self.module.data_preprocessor(data, training=True))
        losses = self._run_forward(data, mode="loss")
        parsed_loss, log_vars = self.module.parse_losses(losses)
        optim_wrapper.update_params(parsed_loss)
        return log_vars

    def _half_dtype(self) -> torch.dtype:
        engine = self._attached
        if engine is not None and callable(getattr(engine, "bfloat16_enabled", None)) and engine.bfloat16_enabled():
            return torch.bfloat16
        return torch.float16

    def _prepare(self, data: Any) -> Any:
        """The batch with the ``inputs_to_half`` cast to the engine's half precision."""
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
