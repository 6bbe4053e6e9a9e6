"""Model helpers: stack_batch, SyncBatchNorm conversion, model-wrapper detection."""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from ._errors import ModelTypeError, ModelValueError

logger = logging.getLogger(__name__)


def stack_batch(
    tensor_list: Sequence[torch.Tensor], pad_size_divisor: int = 1, pad_value: float = 0
) -> torch.Tensor:
    """Pad tensors of shape ``(C, *spatial)`` to a common size and stack them.

    Every spatial dimension is padded at its end to the largest size in the batch, rounded up
    to a multiple of ``pad_size_divisor``.

    Examples:
        >>> stack_batch([torch.ones(3, 2, 3), torch.ones(3, 4, 1)], pad_size_divisor=4).shape
        torch.Size([2, 3, 4, 4])
    """
    if not isinstance(tensor_list, Sequence) or not tensor_list:
        raise ModelTypeError("stack_batch takes a non-empty list of tensors")
    if not all(isinstance(t, torch.Tensor) for t in tensor_list):
        raise ModelTypeError(f"stack_batch takes tensors, but got {[type(t).__name__ for t in tensor_list]}")
    ndims = {t.dim() for t in tensor_list}
    if len(ndims) != 1:
        raise ModelValueError(f"stack_batch needs tensors of one rank, but got ranks {sorted(ndims)}")
    if pad_size_divisor < 1:
        raise ModelValueError(f"pad_size_divisor must be >= 1, but got {pad_size_divisor}")
    channels = {t.shape[0] for t in tensor_list}
    if len(channels) != 1:
        raise ModelValueError(f"stack_batch needs one channel count, but got {sorted(channels)}")
    ndim = ndims.pop()
    max_sizes = [max(t.shape[d] for t in tensor_list) for d in range(1, ndim)]
    target = [math.ceil(s / pad_size_divisor) * pad_size_divisor for s in max_sizes]
    padded = []
    for t in tensor_list:
        pad: list[int] = []
        for d in reversed(range(1, ndim)):
            pad += [0, target[d - 1] - t.shape[d]]
        padded.append(F.pad(t, pad, value=pad_value) if any(pad) else t)
    return torch.stack(padded)


class _BatchNormXd(nn.modules.batchnorm._BatchNorm):
    """A BatchNorm that accepts inputs of any rank (what SyncBatchNorm turns back into)."""

    def _check_input_dim(self, input: torch.Tensor) -> None:
        return


def revert_sync_batchnorm(module: nn.Module) -> nn.Module:
    """Replace every ``nn.SyncBatchNorm`` in ``module`` by an equivalent plain BatchNorm."""
    output = module
    if isinstance(module, nn.SyncBatchNorm):
        output = _BatchNormXd(
            module.num_features, module.eps, module.momentum, module.affine, module.track_running_stats
        )
        _copy_bn_state(module, output)
    for name, child in module.named_children():
        new_child = revert_sync_batchnorm(child)
        if new_child is not child:
            output.add_module(name, new_child)
    return output


def convert_sync_batchnorm(module: nn.Module, process_group: object | None = None, implementation: str = "torch") -> nn.Module:
    """Replace every BatchNorm in ``module`` by ``nn.SyncBatchNorm`` (only ``'torch'`` is offered)."""
    if implementation != "torch":
        raise ModelValueError(f"convert_sync_batchnorm supports implementation='torch' only, not {implementation!r}")
    output = module
    if isinstance(module, nn.modules.batchnorm._BatchNorm) and not isinstance(module, nn.SyncBatchNorm):
        output = nn.SyncBatchNorm(
            module.num_features, module.eps, module.momentum, module.affine, module.track_running_stats,
            process_group,
        )
        _copy_bn_state(module, output)
    for name, child in module.named_children():
        new_child = convert_sync_batchnorm(child, process_group, implementation)
        if new_child is not child:
            output.add_module(name, new_child)
    return output


def _copy_bn_state(src: nn.Module, dst: nn.Module) -> None:
    if src.affine:
        with torch.no_grad():
            dst.weight = src.weight
            dst.bias = src.bias
    if src.track_running_stats:
        dst.running_mean = src.running_mean
        dst.running_var = src.running_var
        dst.num_batches_tracked = src.num_batches_tracked
    dst.training = src.training
    if hasattr(src, "qconfig"):
        dst.qconfig = src.qconfig
