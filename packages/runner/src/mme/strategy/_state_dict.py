"""Loading a state dict into a model with a report of what did not match."""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

import torch
from torch import nn

from mme.model import is_model_wrapper

from ._errors import CheckpointError

__all__ = ["load_state_dict"]

logger = logging.getLogger(__name__)


def load_state_dict(module: nn.Module, state_dict: Mapping[str, Any], strict: bool = False,
                    logger: Any = None) -> list[str]:
    """Load ``state_dict`` into ``module`` and report missing, unexpected and mis-shaped keys.

    Keys whose shapes differ are skipped. With ``strict`` any problem raises
    :class:`CheckpointError`; otherwise the problems are logged as a warning. Returns the list
    of problem lines.
    """
    target: Any = module.module if is_model_wrapper(module) else module
    own = target.state_dict()
    filtered = OrderedDict()
    mismatched = []
    for key, value in state_dict.items():
        if key in own and isinstance(value, torch.Tensor) and own[key].shape != value.shape:
            mismatched.append(f"{key}: checkpoint {tuple(value.shape)} vs model {tuple(own[key].shape)}")
            continue
        filtered[key] = value
    result = target.load_state_dict(filtered, strict=False)
    problems = []
    if result.unexpected_keys:
        problems.append(f"unexpected keys in source state_dict: {', '.join(result.unexpected_keys)}")
    if result.missing_keys:
        problems.append(f"missing keys in source state_dict: {', '.join(result.missing_keys)}")
    if mismatched:
        problems.append("size mismatch: " + "; ".join(mismatched))
    if problems:
        message = "The model and loaded state dict do not match exactly\n" + "\n".join(problems)
        if strict:
            raise CheckpointError(message)
        (logger or globals()["logger"]).warning(message)
    return problems
