"""FLOP, activation and parameter counts of a model."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

import torch
from torch import nn

from ._jit_analysis import JitModelAnalysis
from ._jit_handles import (
    Handle,
    addmm_flop_jit,
    batchnorm_flop_jit,
    bmm_flop_jit,
    conv_flop_jit,
    einsum_flop_jit,
    elementwise_flop_counter,
    generic_activation_jit,
    linear_flop_jit,
    matmul_flop_jit,
    norm_flop_counter,
)

__all__ = [
    "ActivationAnalyzer",
    "FlopAnalyzer",
    "activation_count",
    "flop_count",
    "parameter_count",
    "parameter_count_table",
]

# The operators FlopAnalyzer counts by default. One fused multiply-add is one FLOP.
_DEFAULT_SUPPORTED_FLOP_OPS: dict[str, Handle] = {
    "aten::addmm": addmm_flop_jit,
    "aten::bmm": bmm_flop_jit,
    "aten::_convolution": conv_flop_jit,
    "aten::einsum": einsum_flop_jit,
    "aten::matmul": matmul_flop_jit,
    "aten::mm": matmul_flop_jit,
    "aten::linear": linear_flop_jit,
    "aten::batch_norm": batchnorm_flop_jit,
    "aten::group_norm": norm_flop_counter(2),
    "aten::layer_norm": norm_flop_counter(2),
    "aten::instance_norm": norm_flop_counter(1),
    "aten::upsample_nearest2d": elementwise_flop_counter(0, 1),
    "aten::upsample_bilinear2d": elementwise_flop_counter(0, 4),
    "aten::adaptive_avg_pool2d": elementwise_flop_counter(1, 0),
    "aten::grid_sampler": elementwise_flop_counter(0, 4),  # taken as bilinear
}

# The operators ActivationAnalyzer counts by default: the elements of their outputs.
_DEFAULT_SUPPORTED_ACT_OPS: dict[str, Handle] = {
    "aten::_convolution": generic_activation_jit("conv"),
    "aten::addmm": generic_activation_jit(),
    "aten::bmm": generic_activation_jit(),
    "aten::einsum": generic_activation_jit(),
    "aten::matmul": generic_activation_jit(),
    "aten::linear": generic_activation_jit(),
}


class FlopAnalyzer(JitModelAnalysis):
    """The FLOPs of a model, by module and by operator, from a trace of one run.

    One fused multiply-add counts as one FLOP. Convolutions, matrix products (``addmm``, ``mm``,
    ``matmul``, ``bmm``, ``einsum``, ``linear``), normalizations, upsampling, adaptive average
    pooling and grid sampling are counted; other operators that compute are reported as
    unsupported. Add or replace handles with :meth:`set_op_handle`.

    Args:
        model: The model to analyze.
        inputs: The positional arguments of the traced call (a tensor stands for a 1-tuple).

    Examples:
        >>> import torch
        >>> from torch import nn
        >>> from mme.analysis import FlopAnalyzer
        >>> FlopAnalyzer(nn.Linear(10, 5), (torch.randn(2, 10),)).total()
        100
    """

    def __init__(self, model: nn.Module, inputs: torch.Tensor | tuple[Any, ...]) -> None:
        super().__init__(model=model, inputs=inputs)
        self.set_op_handle(**_DEFAULT_SUPPORTED_FLOP_OPS)


class ActivationAnalyzer(JitModelAnalysis):
    """The activations of a model (output elements of its convolutions and matrix products).

    Args:
        model: The model to analyze.
        inputs: The positional arguments of the traced call (a tensor stands for a 1-tuple).

    Examples:
        >>> import torch
        >>> from torch import nn
        >>> from mme.analysis import ActivationAnalyzer
        >>> ActivationAnalyzer(nn.Linear(10, 5), (torch.randn(2, 10),)).total()
        10
    """

    def __init__(self, model: nn.Module, inputs: torch.Tensor | tuple[Any, ...]) -> None:
        super().__init__(model=model, inputs=inputs)
        self.set_op_handle(**_DEFAULT_SUPPORTED_ACT_OPS)


def flop_count(model: nn.Module, inputs: tuple[Any, ...],
               supported_ops: dict[str, Handle] | None = None) -> tuple[defaultdict, Counter]:
    """The GFLOPs of a model by operator, and the operators it had no handle for.

    Args:
        model: The model.
        inputs: The positional arguments of the traced call.
        supported_ops: Handles to add to (or replace among) the defaults, by operator kind.

    Returns:
        ``(gflops, unsupported)``: operator name -> GFLOPs (counts / 1e9), and operator kind ->
        times it ran without a handle.
    """
    analyzer = FlopAnalyzer(model, inputs).set_op_handle(**(supported_ops or {}))
    gflops: defaultdict = defaultdict(float)
    for op, count in analyzer.by_operator().items():
        gflops[op] = count / 1e9
    return gflops, analyzer.unsupported_ops()


def activation_count(model: nn.Module, inputs: tuple[Any, ...],
                     supported_ops: dict[str, Handle] | None = None) -> tuple[defaultdict, Counter]:
    """The mega-activations of a model by operator, and the operators it had no handle for.

    Args:
        model: The model.
        inputs: The positional arguments of the traced call.
        supported_ops: Handles to add to (or replace among) the defaults, by operator kind.

    Returns:
        ``(mega_activations, unsupported)``: operator name -> activations / 1e6, and operator kind
        -> times it ran without a handle.
    """
    analyzer = ActivationAnalyzer(model, inputs).set_op_handle(**(supported_ops or {}))
    mega: defaultdict = defaultdict(float)
    for op, count in analyzer.by_operator().items():
        mega[op] = count / 1e6
    return mega, analyzer.unsupported_ops()


def parameter_count(model: nn.Module) -> defaultdict:
    """The number of parameter elements of every module and parameter, by name.

    ``''`` holds the whole model's; a module's count includes its submodules'. A parameter shared
    between modules is counted once, under its first name.

    Examples:
        >>> from torch import nn
        >>> counts = parameter_count(nn.Sequential(nn.Linear(3, 2)))
        >>> counts[""], counts["0"], counts["0.weight"], counts["0.bias"]
        (8, 8, 6, 2)
    """
    counts: defaultdict = defaultdict(int)
    for name, param in model.named_parameters():
        size = param.numel()
        parts = name.split(".")
        for k in range(len(parts) + 1):
            counts[".".join(parts[:k])] += size
    return counts


def _format_count(x: float) -> str:
    if x > 1e8:
        return f"{x / 1e9:.1f}G"
    if x > 1e5:
        return f"{x / 1e6:.1f}M"
    if x > 1e2:
        return f"{x / 1e3:.1f}K"
    return str(x)


def parameter_count_table(model: nn.Module, max_depth: int = 3) -> str:
    """A table of the parameter counts of the modules down to ``max_depth``, and of the parameters' shapes.

    Args:
        model: The model.
        max_depth: Deepest module level listed (the whole model is level 0).
    """
    from ._print_helper import _render_table

    counts = parameter_count(model)
    shapes = {name: tuple(p.shape) for name, p in model.named_parameters()}
    rows: list[tuple[str, str]] = []

    def fill(prefix: str, level: int) -> None:
        if level >= max_depth:
            return
        for name, value in counts.items():
            if not name or name.count(".") != level:
                continue
            if not name.startswith(prefix):
                continue
            indent = " " * (level + 1)
            if name in shapes:
                rows.append((indent + name, indent + str(shapes[name])))
            else:
                rows.append((indent + name, indent + _format_count(value)))
                fill(name + ".", level + 1)

    rows.append(("model", _format_count(counts.pop("", 0))))
    fill("", 0)
    return _render_table(["name", "#elements or shape"], rows, title=f"parameter count of {model._get_name()}")
