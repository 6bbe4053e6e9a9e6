"""Type checks, method checks and import helpers."""

from __future__ import annotations

import importlib
import inspect
import warnings
from collections.abc import Iterable, Sequence
from types import ModuleType
from typing import Any, cast


def is_str(x: Any) -> bool:
    """Whether ``x`` is a ``str``."""
    return isinstance(x, str)


def is_seq_of(seq: Any, expected_type: type | tuple[type, ...], seq_type: type | None = None) -> bool:
    """Whether ``seq`` is a sequence (of ``seq_type`` if given) whose items are all ``expected_type``.

    Examples:
        >>> is_seq_of([1, 2], int)
        True
        >>> is_seq_of((1, "a"), int)
        False
    """
    exp_seq_type: type = Sequence if seq_type is None else seq_type
    if not isinstance(seq, exp_seq_type):
        return False
    return all(isinstance(item, expected_type) for item in cast("Iterable[Any]", seq))


def is_list_of(seq: Any, expected_type: type | tuple[type, ...]) -> bool:
    """Whether ``seq`` is a list whose items are all ``expected_type``."""
    return is_seq_of(seq, expected_type, seq_type=list)


def is_tuple_of(seq: Any, expected_type: type | tuple[type, ...]) -> bool:
    """Whether ``seq`` is a tuple whose items are all ``expected_type``."""
    return is_seq_of(seq, expected_type, seq_type=tuple)


def is_method_overridden(method: str, base_class: type, derived_class: type | object) -> bool:
    """Whether ``derived_class`` (a class or an instance) overrides ``base_class.method``."""
    if not isinstance(derived_class, type):
        derived_class = type(derived_class)
    if not issubclass(derived_class, base_class):
        raise TypeError(f"{derived_class.__name__} is not a subclass of {base_class.__name__}")
    return getattr(derived_class, method) is not getattr(base_class, method)


def has_method(obj: object, method: str) -> bool:
    """Whether ``obj`` has a callable attribute called ``method``.

    Examples:
        >>> has_method([], "append"), has_method([], "no_such_method")
        (True, False)
    """
    return callable(getattr(obj, method, None))


def import_modules_from_strings(
    imports: str | Sequence[str] | None, allow_failed_imports: bool = False
) -> ModuleType | None | list[ModuleType | None]:
    """Import modules by name.

    Args:
        imports: One module name or a list of them.
        allow_failed_imports: Return None for a module that fails to import (with a warning)
            instead of raising.

    Returns:
        The module, or a list of modules when a list was given.
    """
    if not imports:
        return None
    single = isinstance(imports, str)
    names = [imports] if single else list(imports)
    modules: list[ModuleType | None] = []
    for name in names:
        if not isinstance(name, str):
            raise TypeError(f"custom import {name!r} is a {type(name).__name__}, not a module name string")
        try:
            modules.append(importlib.import_module(name))
        except ImportError:
            if not allow_failed_imports:
                raise
            warnings.warn(f"{name} failed to import and is ignored.", UserWarning, stacklevel=2)
            modules.append(None)
    return modules[0] if single else modules


def get_object_from_string(obj_name: str) -> Any:
    """Return the object a dotted path names (``"os.path.join"``), or None if there is none.

    Examples:
        >>> get_object_from_string("os.path.join") is __import__("os").path.join
        True
        >>> get_object_from_string("os.no_such_thing") is None
        True
    """
    parts = iter(obj_name.split("."))
    module_name = next(parts)
    while True:
        try:
            obj: Any = importlib.import_module(module_name)
            break
        except ImportError:
            part = next(parts, None)
            if part is None:
                return None
            module_name += "." + part
    for part in parts:
        try:
            obj = getattr(obj, part)
        except AttributeError:
            try:
                obj = importlib.import_module(f"{obj.__name__}.{part}") if inspect.ismodule(obj) else None
            except ImportError:
                return None
            if obj is None:
                return None
    return obj
