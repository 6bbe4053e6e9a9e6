"""Model helpers: stack_batch, SyncBatchNorm conversion, merge_dict, detect_anomalous_params."""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator, Sequence
from typing import Any

import torch
import torch.fx
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


def _first_proxy(dicts: tuple[dict, ...]) -> torch.fx.Proxy | None:
    for d in dicts:
        for value in d.values():
            if isinstance(value, torch.fx.Proxy):
                return value
    return None


def merge_dict(*args: dict) -> dict:
    """Merge dicts into a new one; a key in a later dict overrides the earlier ones.

    Under ``torch.fx.symbolic_trace`` the merge is recorded as one call of ``merge_dict`` in the
    graph (MMEngine wraps it with ``torch.fx.wrap``) instead of being traced through, however
    the caller imported it.

    Examples:
        >>> merge_dict({"a": 1, "b": 2}, {"b": 3}, {"c": 4})
        {'a': 1, 'b': 3, 'c': 4}
    """
    for arg in args:
        if not isinstance(arg, dict):
            raise ModelTypeError(f"merge_dict takes dicts, but got {type(arg).__name__}")
    proxy = _first_proxy(args)
    if proxy is not None:
        return proxy.tracer.create_proxy("call_function", merge_dict, args, {})  # type: ignore[return-value]
    output: dict = {}
    for arg in args:
        output.update(arg)
    return output


def _reached_tensors(loss: torch.Tensor) -> set[int]:
    """Ids of the leaf tensors the autograd graph of ``loss`` accumulates gradients into."""
    reached: set[int] = set()
    seen: set[Any] = set()
    stack = [loss.grad_fn]
    while stack:
        fn = stack.pop()
        if fn is None or fn in seen:
            continue
        seen.add(fn)
        variable = getattr(fn, "variable", None)  # AccumulateGrad holds the leaf it feeds
        if isinstance(variable, torch.Tensor):
            reached.add(id(variable))
        stack.extend(next_fn for next_fn, _ in fn.next_functions)
    return reached


def _trainable(model: nn.Module) -> Iterator[tuple[str, nn.Parameter]]:
    return ((name, p) for name, p in model.named_parameters() if p.requires_grad)


def detect_anomalous_params(loss: torch.Tensor, model: nn.Module) -> list[str]:
    """Find the trainable parameters of ``model`` that ``loss`` does not depend on.

    Walks the autograd graph from ``loss`` (call it before ``backward`` frees the graph) and
    logs an error on ``mme.model`` for each parameter with ``requires_grad`` that the graph
    never reaches: the ones that make DDP complain about unused parameters.

    Returns:
        The names of those parameters (MMEngine only logs them).

    Examples:
        >>> model = nn.ModuleDict({"used": nn.Linear(2, 1), "unused": nn.Linear(2, 1)})
        >>> detect_anomalous_params(model["used"](torch.ones(1, 2)).sum(), model)
        ['unused.weight', 'unused.bias']
    """
    if not isinstance(loss, torch.Tensor):
        raise ModelTypeError(f"detect_anomalous_params takes the loss tensor, but got {type(loss).__name__}")
    reached = _reached_tensors(loss)
    anomalous = []
    for name, param in _trainable(model):
        if id(param) not in reached:
            logger.error("%s with shape %s is not in the computational graph", name, tuple(param.size()))
            anomalous.append(name)
    return anomalous
