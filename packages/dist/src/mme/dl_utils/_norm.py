"""Norm-layer checks: is_norm and has_batch_norm."""

from __future__ import annotations

from torch import nn

from ._errors import DLUtilsTypeError
from .parrots_wrapper import _BatchNorm, _InstanceNorm

_NORMS = (_BatchNorm, _InstanceNorm, nn.GroupNorm, nn.LayerNorm)


def is_norm(layer: nn.Module, exclude: type | tuple[type, ...] | None = None) -> bool:
    """Whether ``layer`` is a normalization layer (batch, sync-batch, instance, group or layer norm).

    Args:
        layer: The module to check.
        exclude: Norm types that do not count.

    Examples:
        >>> from torch import nn
        >>> is_norm(nn.BatchNorm2d(4)), is_norm(nn.GroupNorm(2, 4)), is_norm(nn.Conv2d(1, 1, 1))
        (True, True, False)
        >>> is_norm(nn.BatchNorm2d(4), exclude=nn.BatchNorm2d)
        False
    """
    if exclude is not None:
        if isinstance(exclude, type):
            exclude = (exclude,)
        if not isinstance(exclude, tuple) or not all(isinstance(e, type) for e in exclude):
            raise DLUtilsTypeError(f'"exclude" must be None, a type or a tuple of types, but got {exclude!r}')
        if isinstance(layer, exclude):
            return False
    return isinstance(layer, _NORMS)


def has_batch_norm(model: nn.Module) -> bool:
    """Whether ``model`` is, or contains anywhere, a batch norm layer (SyncBatchNorm included).

    Examples:
        >>> from torch import nn
        >>> has_batch_norm(nn.Sequential(nn.Conv2d(1, 2, 1), nn.Sequential(nn.BatchNorm2d(2))))
        True
        >>> has_batch_norm(nn.Sequential(nn.Conv2d(1, 2, 1), nn.GroupNorm(1, 2)))
        False
    """
    return any(isinstance(m, _BatchNorm) for m in model.modules())
