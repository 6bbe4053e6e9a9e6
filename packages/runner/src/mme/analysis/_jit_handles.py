"""Operator handles: the FLOPs or activations of one traced operator, from its inputs and outputs.

A handle takes the ``torch._C.Value`` inputs and outputs of one node of a traced TorchScript graph
and returns a count: a number (recorded under the operator's name, ``aten::`` dropped) or a
``Counter`` keyed by names of its own. One fused multiply-add counts as one FLOP; bias additions,
activations and other elementwise operations are not counted.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any, Union

import numpy as np

Handle = Callable[[Sequence[Any], Sequence[Any]], Union[int, Counter]]

__all__ = [
    "Handle",
    "addmm_flop_jit",
    "batchnorm_flop_jit",
    "bmm_flop_jit",
    "conv_flop_count",
    "conv_flop_jit",
    "einsum_flop_jit",
    "elementwise_flop_counter",
    "generic_activation_jit",
    "get_shape",
    "linear_flop_jit",
    "matmul_flop_jit",
    "norm_flop_counter",
]


def get_shape(val: Any) -> list[int] | None:
    """The shape of a traced value, or ``None`` when it is not a tensor of known shape.

    Args:
        val: A ``torch._C.Value`` of a traced graph.
    """
    if val.isCompleteTensor():
        return list(val.type().sizes())
    return None


def _shape(val: Any, what: str) -> list[int]:
    shape = get_shape(val)
    if shape is None:
        raise ValueError(f"{what} of the operator is not a tensor of known shape: {val!r}")
    return shape


def _numel(shape: Sequence[int]) -> int:
    return math.prod(shape)


def generic_activation_jit(op_name: str | None = None) -> Handle:
    """A handle counting the elements of the operator's first output as its activations.

    Args:
        op_name: Record the count under this name (the handle returns a ``Counter``); ``None``
            returns a number, recorded under the operator's name.
    """

    def handle(inputs: Sequence[Any], outputs: Sequence[Any]) -> int | Counter:
        count = _numel(_shape(outputs[0], "the output"))
        return count if op_name is None else Counter({op_name: count})

    return handle


def addmm_flop_jit(inputs: Sequence[Any], outputs: Sequence[Any]) -> int:
    """FLOPs of ``aten::addmm(bias, a, b)``: ``N * C * D`` for ``a`` of ``(N, C)`` and ``b`` of ``(C, D)``."""
    a, b = _shape(inputs[1], "the first matrix"), _shape(inputs[2], "the second matrix")
    if len(a) != 2 or len(b) != 2 or a[1] != b[0]:
        raise ValueError(f"aten::addmm expects matrices of shapes (N, C) and (C, D), got {a} and {b}")
    return a[0] * a[1] * b[1]


def linear_flop_jit(inputs: Sequence[Any], outputs: Sequence[Any]) -> int:
    """FLOPs of ``aten::linear(x, weight, bias)``: the elements of ``x`` times the output features."""
    x, weight = _shape(inputs[0], "the input"), _shape(inputs[1], "the weight")
    if x[-1] != weight[-1]:
        raise ValueError(f"aten::linear: input {x} does not match weight {weight}")
    return _numel(x) * (weight[0] if len(weight) == 2 else 1)


def bmm_flop_jit(inputs: Sequence[Any], outputs: Sequence[Any]) -> int:
    """FLOPs of ``aten::bmm``: ``N * C * T * D`` for ``(N, C, T)`` times ``(N, T, D)``."""
    a, b = _shape(inputs[0], "the first batch"), _shape(inputs[1], "the second batch")
    if len(a) != 3 or len(b) != 3 or a[0] != b[0] or a[2] != b[1]:
        raise ValueError(f"aten::bmm expects shapes (N, C, T) and (N, T, D), got {a} and {b}")
    return a[0] * a[1] * a[2] * b[2]


def conv_flop_count(x_shape: Sequence[int], w_shape: Sequence[int], out_shape: Sequence[int],
                    transposed: bool = False) -> int:
    """FLOPs of a (transposed) convolution: batch size times weight elements times spatial positions.

    The spatial positions are those of the output, or of the input for a transposed convolution.
    Groups are accounted for by the weight's shape; the bias is not counted.

    Args:
        x_shape: Shape of the input, ``(N, C_in, *spatial)``.
        w_shape: Shape of the weight.
        out_shape: Shape of the output, ``(N, C_out, *spatial)``.
        transposed: Whether the convolution is transposed.
    """
    spatial = (x_shape if transposed else out_shape)[2:]
    return int(x_shape[0]) * _numel(w_shape) * _numel(spatial)


def conv_flop_jit(inputs: Sequence[Any], outputs: Sequence[Any]) -> Counter:
    """FLOPs of ``aten::_convolution`` (and of ``aten::conv{1,2,3}d``), recorded as ``conv``; see
    :func:`conv_flop_count`."""
    x, w = _shape(inputs[0], "the input"), _shape(inputs[1], "the weight")
    out = _shape(outputs[0], "the output")
    transposed = False
    if len(inputs) > 6:  # aten::_convolution(input, weight, bias, stride, padding, dilation, transposed, ...)
        flag = inputs[6].toIValue()
        transposed = flag if isinstance(flag, bool) else False
    return Counter({"conv": conv_flop_count(x, w, out, transposed=transposed)})


def einsum_flop_jit(inputs: Sequence[Any], outputs: Sequence[Any]) -> float:
    """FLOPs of ``aten::einsum(equation, operands)``.

    A batched matrix product (``abc,abd->acd`` or ``abc,adc->adb`` after renaming the subscripts)
    is the product of its index sizes; any other equation takes half the FLOPs of numpy's optimal
    contraction path (which counts multiplies and adds apart), as a float.
    """
    equation = inputs[0].toIValue()
    if not isinstance(equation, str):
        raise ValueError(f"aten::einsum: the equation is not a constant string: {equation!r}")
    equation = equation.replace(" ", "")
    shapes = [_shape(v, "an operand") for v in inputs[1].node().inputs()]
    # name the subscripts a, b, c... in their order of appearance, as numpy wants letters
    letters: dict[str, str] = {}
    for ch in equation:
        if ch.isalpha() and ch not in letters:
            letters[ch] = chr(ord("a") + len(letters))
    equation = "".join(letters.get(ch, ch) for ch in equation)
    if equation in ("abc,abd->acd", "abc,adc->adb"):  # batched matrix products: every index once
        sizes = dict(zip("abc", shapes[0]))
        sizes["d"] = shapes[1][2] if equation == "abc,abd->acd" else shapes[1][1]
        return math.prod(sizes.values())
    operands = [np.zeros(shape, dtype=np.int8) for shape in shapes]
    report = np.einsum_path(equation, *operands, optimize="optimal")[1]
    match = re.search(r"optimized flop count:\s*([0-9.eE+]+)", report, re.IGNORECASE)
    if match is None:  # pragma: no cover - numpy's report has had this line since 1.12
        raise RuntimeError(f"cannot read the FLOP count from numpy's einsum_path report:\n{report}")
    return float(float(match.group(1)) // 2)


def matmul_flop_jit(inputs: Sequence[Any], outputs: Sequence[Any]) -> int:
    """FLOPs of ``aten::matmul``/``aten::mm``: the elements of the first operand times the columns of the second."""
    a, b = _shape(inputs[0], "the first operand"), _shape(inputs[1], "the second operand")
    inner_b = b[-2] if len(b) > 1 else b[0]
    if a[-1] != inner_b:
        raise ValueError(f"matmul: the operands' shapes {a} and {b} do not match")
    return _numel(a) * (b[-1] if len(b) > 1 else 1)


def norm_flop_counter(affine_arg_index: int) -> Handle:
    """A handle for a normalization: 5 FLOPs an input element with an affine transform, 4 without.

    Args:
        affine_arg_index: Index of the weight among the operator's inputs (its affine transform is
            on when that input is a tensor).
    """

    def handle(inputs: Sequence[Any], outputs: Sequence[Any]) -> int:
        numel = _numel(_shape(inputs[0], "the input"))
        has_affine = get_shape(inputs[affine_arg_index]) is not None
        return numel * (5 if has_affine else 4)

    return handle


def batchnorm_flop_jit(inputs: Sequence[Any], outputs: Sequence[Any]) -> int:
    """FLOPs of ``aten::batch_norm``: as :func:`norm_flop_counter` in training; in evaluation, where the
    statistics are fixed, 2 FLOPs an element with an affine transform and 1 without."""
    training = inputs[5].toIValue()
    if not isinstance(training, bool):
        raise ValueError(f"aten::batch_norm: the training flag is not a constant bool: {training!r}")
    if training:
        return norm_flop_counter(1)(inputs, outputs)  # type: ignore[return-value]
    numel = _numel(_shape(inputs[0], "the input"))
    return numel * (2 if get_shape(inputs[1]) is not None else 1)


def elementwise_flop_counter(input_scale: float = 1, output_scale: float = 0) -> Handle:
    """A handle counting FLOPs in proportion to the elements of the first input and the first output.

    Args:
        input_scale: FLOPs per element of the first input.
        output_scale: FLOPs per element of the first output.
    """

    def handle(inputs: Sequence[Any], outputs: Sequence[Any]) -> int:
        count = 0
        if input_scale != 0:
            count += input_scale * _numel(_shape(inputs[0], "the input"))
        if output_scale != 0:
            count += output_scale * _numel(_shape(outputs[0], "the output"))
        return count  # type: ignore[return-value]

    return handle
