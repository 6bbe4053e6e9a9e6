"""Efficient ConvBN in eval mode: fold the frozen BatchNorm into the convolution's weight on the fly.

From "Tune-Mode ConvBN Blocks For Efficient Transfer Learning" (https://arxiv.org/abs/2305.11624):
with the BatchNorm's statistics frozen (eval mode), ``bn(conv(x))`` equals a convolution with
weight ``W * c`` and bias ``beta + c * (b - mean)``, where ``c = gamma / sqrt(var + eps)``. Computing
that one convolution saves the memory and time of the separate normalisation, and gradients still
reach the conv weight and the BatchNorm's affine parameters, so it also serves fine-tuning with
frozen statistics.
"""

from __future__ import annotations

import logging

import torch
import torch.fx
from torch import nn
from torch.func import functional_call
from torch.nn.modules.batchnorm import _BatchNorm
from torch.nn.modules.conv import _ConvNd, _ConvTransposeNd

from ._errors import ModelTypeError, ModelValueError

__all__ = [
    "efficient_conv_bn_eval_control",
    "efficient_conv_bn_eval_forward",
    "efficient_conv_bn_eval_graph_transform",
    "turn_on_efficient_conv_bn_eval",
    "turn_on_efficient_conv_bn_eval_for_single_model",
]

logger = logging.getLogger(__name__)


def _scale_out_channels(conv: _ConvNd, weight: torch.Tensor, coeff: torch.Tensor) -> torch.Tensor:
    """Multiply each output channel of a conv weight by ``coeff``."""
    spatial = [1] * (weight.ndim - 2)
    if isinstance(conv, _ConvTransposeNd):  # (C_in, C_out / groups, *k): output channels on dim 1, per group
        groups = conv.groups
        grouped = weight.reshape(groups, weight.shape[0] // groups, *weight.shape[1:])
        return (grouped * coeff.reshape(groups, 1, -1, *spatial)).reshape(weight.shape)
    return weight * coeff.reshape(-1, 1, *spatial)  # (C_out, C_in / groups, *k)


def efficient_conv_bn_eval_forward(bn: _BatchNorm, conv: _ConvNd, x: torch.Tensor) -> torch.Tensor:
    """``bn(conv(x))`` for a BatchNorm in eval mode, computed as one convolution with folded weights.

    Args:
        bn: A BatchNorm with running statistics (``track_running_stats=True``).
        conv: The convolution whose output ``bn`` normalises.
        x: The convolution's input.

    Examples:
        >>> conv, bn = nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4).eval()
        >>> x = torch.randn(2, 3, 8, 8)
        >>> torch.allclose(efficient_conv_bn_eval_forward(bn, conv, x), bn(conv(x)), atol=1e-5)
        True
    """
    if bn.running_mean is None or bn.running_var is None:
        raise ModelTypeError(f"{type(bn).__name__} keeps no running statistics to fold into the convolution")
    var, mean = bn.running_var, bn.running_mean
    gamma = bn.weight if bn.weight is not None else torch.ones_like(var)
    beta = bn.bias if bn.bias is not None else torch.zeros_like(var)
    conv_bias = conv.bias if conv.bias is not None else torch.zeros_like(var)
    coeff = gamma * torch.rsqrt(var + bn.eps)
    weight = _scale_out_channels(conv, conv.weight, coeff)
    bias = beta + coeff * (conv_bias - mean)
    return functional_call(conv, {"weight": weight, "bias": bias}, (x,))


def efficient_conv_bn_eval_control(bn: _BatchNorm, conv: _ConvNd, x: torch.Tensor) -> torch.Tensor:
    """The folded forward while ``bn`` is in eval mode with running statistics, else ``bn(conv(x))``."""
    if bn.training or bn.running_var is None:
        return bn(conv(x))
    return efficient_conv_bn_eval_forward(bn, conv, x)


def efficient_conv_bn_eval_graph_transform(fx_model: torch.fx.GraphModule) -> int:
    """Replace each ``bn(conv(x))`` of a traced model, where only ``bn`` uses the conv's output,
    by :func:`efficient_conv_bn_eval_control`; returns how many pairs it replaced."""
    modules = dict(fx_model.named_modules())
    pairs = []
    for node in fx_model.graph.nodes:
        if node.op != "call_module" or not isinstance(modules.get(node.target), _BatchNorm) or not node.args:
            continue
        source = node.args[0]
        if (
            isinstance(source, torch.fx.Node)
            and source.op == "call_module"
            and isinstance(modules.get(source.target), _ConvNd)
            and len(source.users) == 1
            and len(source.args) == 1
            and not source.kwargs
        ):
            pairs.append((source, node))
    graph = fx_model.graph
    for conv_node, bn_node in pairs:
        with graph.inserting_before(bn_node):
            bn_ref = graph.get_attr(str(bn_node.target))
            conv_ref = graph.get_attr(str(conv_node.target))
            fused = graph.call_function(efficient_conv_bn_eval_control, (bn_ref, conv_ref, conv_node.args[0]))
        bn_node.replace_all_uses_with(fused)
        graph.erase_node(bn_node)
        graph.erase_node(conv_node)
    graph.lint()
    fx_model.recompile()
    return len(pairs)


def _turn_on_for_single_model(model: nn.Module, name: str) -> int:
    try:
        fx_model = torch.fx.symbolic_trace(model)
    except Exception as exc:  # dynamic control flow etc.: leave the module as it is
        logger.warning("efficient_conv_bn_eval: cannot trace %s (%s: %s); left unchanged",
                       name or "the model", type(exc).__name__, exc)
        return 0
    count = efficient_conv_bn_eval_graph_transform(fx_model)
    if count:
        model.forward = fx_model.forward  # type: ignore[method-assign]
    return count


def turn_on_efficient_conv_bn_eval_for_single_model(model: nn.Module) -> int:
    """Fold the ConvBN pairs of ``model`` itself (traced whole with ``torch.fx``); returns how many."""
    return _turn_on_for_single_model(model, "")


def turn_on_efficient_conv_bn_eval(model: nn.Module, modules: list[str] | str) -> int:
    """Make the named submodules of ``model`` compute each ConvBN pair in eval mode as one convolution.

    Each named submodule is traced with ``torch.fx``; every BatchNorm that directly normalises a
    convolution's output (used nowhere else) is folded into it on the fly whenever the
    BatchNorm is in eval mode (:func:`efficient_conv_bn_eval_forward`). In train mode the pair
    runs as before. A submodule that cannot be traced is left unchanged, with a warning logged.

    Args:
        model: The model.
        modules: Dotted name(s) of submodules to transform (``"backbone"``); ``""`` is the model.

    Returns:
        How many ConvBN pairs were folded.
    """
    names = [modules] if isinstance(modules, str) else list(modules)
    total = 0
    for name in names:
        try:
            target = model.get_submodule(name)
        except AttributeError as exc:
            raise ModelValueError(
                f"turn_on_efficient_conv_bn_eval: {type(model).__name__} has no submodule {name!r}"
            ) from exc
        total += _turn_on_for_single_model(target, name)
    return total
