"""Errors raised by mme.structures."""

from __future__ import annotations


class DataElementTypeError(TypeError):
    """A value of the wrong type was given to a data element."""


class DataElementValueError(ValueError):
    """A value of the right type but the wrong shape or length was given to a data element."""


class DataElementFieldError(AttributeError):
    """A field name clashes with a private attribute or with a field of the other kind."""
