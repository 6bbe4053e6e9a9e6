"""Exceptions raised by :mod:`mme.dl_utils`."""

from __future__ import annotations


class DLUtilsTypeError(TypeError):
    """An argument of the wrong type was passed to a deep-learning helper."""


class DLUtilsValueError(ValueError):
    """A bad value was passed to a deep-learning helper (wrong tensor shape, unknown mode, ...)."""
