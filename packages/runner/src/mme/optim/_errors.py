"""Exceptions raised by :mod:`mme.optim`."""

from __future__ import annotations

__all__ = [
    "MissingInitialValueError",
    "NonFiniteGradError",
    "OptimConfigError",
    "OptimTypeError",
    "SchedulerConfigError",
]


class OptimConfigError(ValueError):
    """An optimizer, optim wrapper or ``paramwise_cfg`` setting is invalid."""


class OptimTypeError(TypeError):
    """An object of the wrong type was given where an optimizer or optim wrapper is expected."""


class SchedulerConfigError(ValueError):
    """A parameter scheduler argument is invalid (for example ``end <= begin``)."""


class NonFiniteGradError(FloatingPointError):
    """Gradients hold NaN or Inf when the optimizer is about to step (see ``OptimWrapper``'s ``nonfinite_grad``)."""


class MissingInitialValueError(KeyError):
    """A scheduler resumed with ``last_step != -1`` finds no ``initial_<param>`` in a group."""
