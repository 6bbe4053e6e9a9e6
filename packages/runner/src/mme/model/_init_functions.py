"""Functional weight initialisers applied to one module's ``weight`` and ``bias``."""

from __future__ import annotations

import math

import torch
from torch import nn

from ._errors import ModelValueError

_DISTRIBUTIONS = ("uniform", "normal")


def _init_bias(module: nn.Module, bias: float) -> None:
    value = getattr(module, "bias", None)
    if isinstance(value, torch.Tensor):
        nn.init.constant_(value, bias)


def _weight(module: nn.Module) -> torch.Tensor | None:
    value = getattr(module, "weight", None)
    return value if isinstance(value, torch.Tensor) else None


def _check_distribution(distribution: str) -> None:
    if distribution not in _DISTRIBUTIONS:
        raise ModelValueError(f"distribution must be one of {_DISTRIBUTIONS}, but got {distribution!r}")


def constant_init(module: nn.Module, val: float, bias: float = 0) -> None:
    """Fill ``module.weight`` with ``val`` and ``module.bias`` with ``bias``."""
    weight = _weight(module)
    if weight is not None:
        nn.init.constant_(weight, val)
    _init_bias(module, bias)


def xavier_init(module: nn.Module, gain: float = 1, bias: float = 0, distribution: str = "normal") -> None:
    """Xavier (Glorot) initialisation of the weight, constant bias."""
    _check_distribution(distribution)
    weight = _weight(module)
    if weight is not None:
        if distribution == "uniform":
            nn.init.xavier_uniform_(weight, gain=gain)
        else:
            nn.init.xavier_normal_(weight, gain=gain)
    _init_bias(module, bias)


def normal_init(module: nn.Module, mean: float = 0, std: float = 1, bias: float = 0) -> None:
    """Normal ``N(mean, std)`` weight, constant bias."""
    weight = _weight(module)
    if weight is not None:
        nn.init.normal_(weight, mean, std)
    _init_bias(module, bias)


def trunc_normal_(
    tensor: torch.Tensor, mean: float = 0.0, std: float = 1.0, a: float = -2.0, b: float = 2.0
) -> torch.Tensor:
    """Fill ``tensor`` in place from ``N(mean, std)`` truncated to ``[a, b]``, and return it.

    Values outside ``[a, b]`` are redrawn, so the result follows the truncated distribution
    (its std is below ``std`` when the bounds cut into the bell).

    Examples:
        >>> t = trunc_normal_(torch.empty(1000), std=1.0, a=-0.5, b=0.5)
        >>> bool(t.abs().max() <= 0.5)
        True
    """
    if a >= b:
        raise ModelValueError(f"trunc_normal_ needs a < b, but got a={a}, b={b}")
    if std <= 0:
        raise ModelValueError(f"trunc_normal_ needs std > 0, but got {std}")
    return nn.init.trunc_normal_(tensor, mean, std, a, b)


def trunc_normal_init(
    module: nn.Module, mean: float = 0, std: float = 1, a: float = -2, b: float = 2, bias: float = 0
) -> None:
    """Normal ``N(mean, std)`` weight truncated to ``[a, b]``, constant bias."""
    if a >= b:
        raise ModelValueError(f"trunc_normal_init needs a < b, but got a={a}, b={b}")
    weight = _weight(module)
    if weight is not None:
        trunc_normal_(weight, mean, std, a, b)
    _init_bias(module, bias)


def uniform_init(module: nn.Module, a: float = 0, b: float = 1, bias: float = 0) -> None:
    """Uniform ``U(a, b)`` weight, constant bias."""
    weight = _weight(module)
    if weight is not None:
        nn.init.uniform_(weight, a, b)
    _init_bias(module, bias)


def kaiming_init(
    module: nn.Module,
    a: float = 0,
    mode: str = "fan_out",
    nonlinearity: str = "relu",
    bias: float = 0,
    distribution: str = "normal",
) -> None:
    """Kaiming (He) initialisation of the weight, constant bias."""
    _check_distribution(distribution)
    if mode not in ("fan_in", "fan_out"):
        raise ModelValueError(f"mode must be 'fan_in' or 'fan_out', but got {mode!r}")
    weight = _weight(module)
    if weight is not None:
        if distribution == "uniform":
            nn.init.kaiming_uniform_(weight, a=a, mode=mode, nonlinearity=nonlinearity)  # type: ignore[arg-type]
        else:
            nn.init.kaiming_normal_(weight, a=a, mode=mode, nonlinearity=nonlinearity)  # type: ignore[arg-type]
    _init_bias(module, bias)


def caffe2_xavier_init(module: nn.Module, bias: float = 0) -> None:
    """Caffe2's XavierFill: Kaiming uniform with ``a=1``, ``fan_in``, leaky_relu."""
    kaiming_init(module, a=1, mode="fan_in", nonlinearity="leaky_relu", bias=bias, distribution="uniform")


def bias_init_with_prob(prior_prob: float) -> float:
    """The bias whose sigmoid is ``prior_prob`` (for focal-loss style classifiers).

    Examples:
        >>> round(bias_init_with_prob(0.01), 4)
        -4.5951
    """
    if not 0 < prior_prob < 1:
        raise ModelValueError(f"prior_prob must lie in (0, 1), but got {prior_prob}")
    return float(-math.log((1 - prior_prob) / prior_prob))
