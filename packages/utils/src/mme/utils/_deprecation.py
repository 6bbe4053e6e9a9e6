"""Decorators that keep deprecated functions and argument names working, with a DeprecationWarning."""

from __future__ import annotations

import functools
import inspect
import textwrap
import warnings
from collections.abc import Callable
from typing import Any


def deprecated_api_warning(name_dict: dict[str, str], cls_name: str | None = None) -> Callable[[Callable], Callable]:
    """Decorate a function so that renamed keyword arguments still work, with a DeprecationWarning.

    Args:
        name_dict: Maps each old argument name to its new name.
        cls_name: Class name shown in the warning.
    """

    def wrap(func: Callable) -> Callable:
        owner = f"{cls_name}." if cls_name else ""

        @functools.wraps(func)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            for old, new in name_dict.items():
                if old in kwargs:
                    if new in kwargs:
                        raise TypeError(f"{owner}{func.__name__} got both {old!r} (deprecated) and {new!r}")
                    warnings.warn(
                        f'"{old}" is deprecated in `{owner}{func.__name__}`, use "{new}" instead',
                        DeprecationWarning,
                        stacklevel=2,
                    )
                    kwargs[new] = kwargs.pop(old)
            return func(*args, **kwargs)

        return wrapped

    return wrap


def _with_deprecation_note(doc: str | None, note: str) -> str:
    """Insert ``note`` after the docstring's summary paragraph (or make it the docstring)."""
    if not doc:
        return note
    lines = inspect.cleandoc(doc).splitlines()
    end = next((i for i, line in enumerate(lines) if not line.strip()), len(lines))
    return "\n".join([*lines[:end], "", note, *lines[end:]])


def deprecated_function(since: str, removed_in: str, instructions: str) -> Callable[[Callable], Callable]:
    """Mark a function deprecated: each call warns, and its docstring gets a ``.. deprecated::`` note.

    Args:
        since: Version that deprecated the function.
        removed_in: Version that will remove it.
        instructions: What to do instead, completing "Please ...".

    Examples:
        >>> import warnings
        >>> @deprecated_function("0.1", "0.3", "use g instead")
        ... def f():
        ...     '''Do f.'''
        ...     return 1
        >>> with warnings.catch_warnings(record=True) as caught:
        ...     warnings.simplefilter("always")
        ...     f()
        1
        >>> print(caught[0].message)  # doctest: +ELLIPSIS
        '....f' is deprecated in version 0.1 and will be removed in version 0.3. Please use g instead.
    """

    def wrap(func: Callable) -> Callable:
        message = (
            f"'{func.__module__}.{func.__qualname__}' is deprecated in version {since} and will be removed in "
            f"version {removed_in}. Please {instructions}."
        )

        @functools.wraps(func)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            warnings.warn(message, DeprecationWarning, stacklevel=2)
            return func(*args, **kwargs)

        note = f".. deprecated:: {since}\n" + textwrap.indent(
            f"Deprecated and will be removed in version {removed_in}.\nPlease {instructions}.", "    "
        )
        wrapped.__doc__ = _with_deprecation_note(func.__doc__, note)
        return wrapped

    return wrap
