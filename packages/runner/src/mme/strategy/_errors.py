"""Exceptions raised by mme.strategy (re-exported by mme.runner where MMEngine's users look for them)."""

from __future__ import annotations

__all__ = [
    "CheckpointError",
    "IncompleteCheckpointError",
    "MissingPackageError",
    "StrategyConfigError",
    "UnsafeCheckpointError",
]


class StrategyConfigError(ValueError):
    """A strategy was given arguments it cannot use (the message names the strategy and the key)."""


class MissingPackageError(ImportError):
    """A strategy needs a package that is not installed; the message says how to install it."""


class CheckpointError(ValueError):
    """A checkpoint cannot be read, written or applied."""


class IncompleteCheckpointError(CheckpointError):
    """A checkpoint file is truncated or corrupt."""


class UnsafeCheckpointError(CheckpointError):
    """A checkpoint holds pickled objects outside what ``weights_only`` loading allows."""


def require_package(module: str, strategy: str, extra: str) -> object:
    """Import ``module`` for ``strategy``, or raise :class:`MissingPackageError` saying how to install it."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as e:
        raise MissingPackageError(
            f"{strategy} needs the package {module!r}, which cannot be imported here ({e}); install it with "
            f"`pip install 'mme-runner[{extra}]'` (or `pip install {module}`)") from e
