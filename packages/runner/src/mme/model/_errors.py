"""Errors raised by mme.model."""

from __future__ import annotations


class ModelTypeError(TypeError):
    """A model, data batch or loss of the wrong type was given."""


class ModelValueError(ValueError):
    """A model argument or init_cfg has a wrong value."""


class InitCfgError(ModelValueError):
    """An ``init_cfg`` is malformed (unknown layer name, override without a name, ...)."""
