"""Exceptions raised by mme.visualization."""

from __future__ import annotations

__all__ = [
    "BackendNotInstalledError",
    "DrawArgumentError",
    "ScalarsFileError",
    "VisBackendConfigError",
]


class DrawArgumentError(ValueError):
    """A drawing method got an argument of the wrong shape, type or range.

    The message names the method, the argument and, for coordinates, the offending item.
    """


class BackendNotInstalledError(ImportError):
    """A visualization backend was selected whose third-party package is not installed.

    The message names the ``mme-visual`` extra that installs it.
    """


class VisBackendConfigError(ValueError):
    """The ``vis_backends`` of a Visualizer or the arguments of a backend are invalid."""


class ScalarsFileError(ValueError):
    """A scalars file cannot be found or read, or lacks the keys asked for."""
