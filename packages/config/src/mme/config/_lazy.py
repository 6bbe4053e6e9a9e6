"""Lazy imports of the pure-Python config style, and the ``read_base`` marker."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import Any

__all__ = ["LazyAttr", "LazyObject", "read_base"]


@contextmanager
def read_base() -> Iterator[None]:
    """Mark the imports of base config files in a pure-Python config.

    In a config loaded by :meth:`Config.fromfile`, the imports inside ``with read_base():``
    load sibling config files (``from .base import *``) instead of Python modules. Run
    outside the loader it does nothing.
    """
    yield


def _resolve(parent: Any, parent_path: str, name: str) -> Any:
    try:
        return getattr(parent, name)
    except AttributeError:
        if isinstance(parent, ModuleType):
            # A submodule that its package does not import itself.
            return importlib.import_module(f"{parent_path}.{name}")
        raise


class _Lazy:
    """What LazyObject and LazyAttr share: attribute chaining, a dotted path, equality by path."""

    dotted_path: str

    def build(self) -> Any:  # pragma: no cover - overridden
        raise NotImplementedError

    def __getattr__(self, name: str) -> LazyAttr:
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return LazyAttr(name, self)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError(
            f"{self.dotted_path} is a lazily imported object in a config; it cannot be called "
            "while the config is read. Use it as a value (type=...) and build it later."
        )

    def __str__(self) -> str:
        return self.dotted_path

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.dotted_path!r}>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Lazy) and other.dotted_path == self.dotted_path

    def __hash__(self) -> int:
        return hash(("mme-lazy", self.dotted_path))


class LazyObject(_Lazy):
    """A module, or an object imported from one, that is imported only when built.

    ``import torch.nn as nn`` in a pure-Python config becomes ``LazyObject("torch.nn")``;
    ``from torch.optim import SGD`` becomes ``LazyObject("torch.optim", "SGD")``. Attribute
    access gives a :class:`LazyAttr`; :meth:`build` imports and returns the real object;
    ``str()`` gives its dotted path, which is what dumped configs contain.

    Args:
        module: The module to import.
        imported: The name imported from it (``from module import imported``), if any.

    Examples:
        >>> LazyObject("os.path", "join").build() is __import__("os").path.join
        True
        >>> str(LazyObject("os").path.join)
        'os.path.join'
    """

    def __init__(self, module: str, imported: str | None = None) -> None:
        if not isinstance(module, str) or not module:
            raise TypeError(f"module must be a non-empty string, got {module!r}")
        self._module = module
        self._imported = imported

    @property
    def dotted_path(self) -> str:
        """The dotted import path this object stands for."""
        return f"{self._module}.{self._imported}" if self._imported else self._module

    def build(self) -> Any:
        """Import the module and return the module or the imported object."""
        try:
            module = importlib.import_module(self._module)
        except ImportError as err:
            raise ImportError(
                f"Failed to import {self._module!r} for lazy config object {self.dotted_path!r}: {err}"
            ) from err
        if self._imported is None:
            return module
        try:
            return _resolve(module, self._module, self._imported)
        except (AttributeError, ImportError) as err:
            raise ImportError(
                f"cannot import name {self._imported!r} from {self._module!r} (lazy config object)"
            ) from err

    def __reduce__(self):
        return (LazyObject, (self._module, self._imported))


class LazyAttr(_Lazy):
    """An attribute of a :class:`LazyObject` (``nn.Linear``), resolved when built.

    Args:
        name: The attribute name.
        source: The lazy object it is taken from.
    """

    def __init__(self, name: str, source: _Lazy) -> None:
        self._name = name
        self._source = source

    @property
    def dotted_path(self) -> str:
        """The dotted import path this attribute stands for."""
        return f"{self._source.dotted_path}.{self._name}"

    def build(self) -> Any:
        """Build the source and return this attribute of it."""
        parent = self._source.build()
        try:
            return _resolve(parent, self._source.dotted_path, self._name)
        except (AttributeError, ImportError) as err:
            raise ImportError(f"cannot resolve {self.dotted_path!r} (lazy config object): {err}") from err

    def __reduce__(self):
        return (LazyAttr, (self._name, self._source))


def build_lazy(value: Any) -> Any:
    """Return ``value.build()`` for a lazy object, ``value`` itself otherwise."""
    if isinstance(value, (LazyObject, LazyAttr)):
        return value.build()
    return value
