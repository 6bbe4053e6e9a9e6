"""Turning logged values into plain Python data."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ._errors import LoggingTypeError

_PLAIN = (str, bytes, bool, int, float, complex, type(None))


def to_number(value: Any, what: str) -> float | int:
    """A Python number from an int/float, a numpy scalar or array of one element, or a one-element tensor."""
    if type(value) is float or type(value) is int:  # the common case, called several times per iteration
        return value
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float)):
        return value
    numel = getattr(value, "size", None) if isinstance(value, np.ndarray) else None
    if isinstance(value, np.generic) or numel == 1:
        return value.item()
    if hasattr(value, "numel") and hasattr(value, "item") and callable(value.numel):  # a tensor
        if value.numel() != 1:
            raise LoggingTypeError(f"{what} must be a single number, got a tensor of shape {tuple(value.shape)}")
        return value.item()
    raise LoggingTypeError(f"{what} must be an int, a float, or a one-element numpy array or tensor, "
                           f"got {type(value).__name__}")


def is_tensor(value: Any) -> bool:
    """Whether ``value`` is a torch tensor, without importing torch."""
    return any(c.__module__ == "torch" and c.__name__ == "Tensor" for c in type(value).__mro__)


class NotPlainError(TypeError):
    """Raised by :func:`to_plain` for data that ``torch.load(weights_only=True)`` could not restore."""


def to_plain(value: Any) -> Any:
    """A copy of ``value`` made only of plain data: numbers, strings, lists, tuples, dicts, sets, tensors.

    numpy scalars become Python numbers, numpy arrays become lists, mapping and sequence subclasses
    become ``dict``/``list``/``tuple`` and tensors are detached CPU copies.

    Raises:
        NotPlainError: ``value`` holds another kind of object.
    """
    if isinstance(value, _PLAIN):
        return value
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if is_tensor(value):
        return value.detach().cpu().clone()
    if isinstance(value, Mapping):
        return {to_plain(k): to_plain(v) for k, v in value.items()}
    if isinstance(value, tuple) and not hasattr(value, "_fields"):
        return tuple(to_plain(v) for v in value)
    if isinstance(value, (list, tuple)):
        return [to_plain(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return {to_plain(v) for v in value}
    raise NotPlainError(f"{type(value).__module__}.{type(value).__qualname__}")
