"""Decorators that check, at call time, that the packages or executables a function needs are there."""

from __future__ import annotations

import functools
import shutil
from collections.abc import Callable, Iterable
from typing import Any

from ._package_utils import is_installed

_DEFAULT_TMPL = 'Prerequisites "{}" are required in method "{}" but not found, please install them first.'


def _names(prerequisites: str | Iterable[str]) -> list[str]:
    names = [prerequisites] if isinstance(prerequisites, str) else list(prerequisites)
    if not all(isinstance(n, str) for n in names):
        raise TypeError(f"prerequisites must be a name or a list of names, but got {prerequisites!r}")
    return names


def check_prerequisites(
    prerequisites: str | Iterable[str],
    checker: Callable[[str], bool],
    msg_tmpl: str = _DEFAULT_TMPL,
) -> Callable[[Callable], Callable]:
    """Decorate a function so that calling it raises RuntimeError unless every prerequisite passes ``checker``.

    Args:
        prerequisites: Name(s) of what the function needs.
        checker: Called with each name; returns whether it is available.
        msg_tmpl: Error message, formatted with the missing names (comma-separated) and the
            function's name.

    Examples:
        >>> @check_prerequisites(["os", "no_such_thing"], checker=lambda name: name == "os")
        ... def f():
        ...     return 1
        >>> f()
        Traceback (most recent call last):
        ...
        RuntimeError: Prerequisites "no_such_thing" are required in method "f" but not found, please install them first.
    """
    names = _names(prerequisites)

    def wrap(func: Callable) -> Callable:
        @functools.wraps(func)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            missing = [name for name in names if not checker(name)]
            if missing:
                raise RuntimeError(msg_tmpl.format(", ".join(missing), func.__name__))
            return func(*args, **kwargs)

        return wrapped

    return wrap


def requires_executable(prerequisites: str | Iterable[str]) -> Callable[[Callable], Callable]:
    """Decorate a function so that calling it raises RuntimeError unless the executables are on ``PATH``.

    Examples:
        >>> @requires_executable("no-such-executable-mme")
        ... def f():
        ...     return 1
        >>> f()
        Traceback (most recent call last):
        ...
        RuntimeError: Prerequisites "no-such-executable-mme" are required in method "f" but not found, ...
    """
    return check_prerequisites(prerequisites, checker=lambda name: shutil.which(name) is not None)


def requires_package(prerequisites: str | Iterable[str], extra: str | None = None) -> Callable[[Callable], Callable]:
    """Decorate a function so that calling it without ``prerequisites`` installed raises ImportError.

    Args:
        prerequisites: Module name(s) the function needs.
        extra: ``pip install`` target to suggest, such as ``"mme-fileio[s3]"``.
    """
    names = _names(prerequisites)

    def wrap(func: Callable) -> Callable:
        @functools.wraps(func)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            missing = [n for n in names if not is_installed(n)]
            if missing:
                hint = extra or " ".join(missing)
                raise ImportError(
                    f"{func.__qualname__} needs {', '.join(missing)}, which is not installed; "
                    f"run `pip install '{hint}'`"
                )
            return func(*args, **kwargs)

        return wrapped

    return wrap
