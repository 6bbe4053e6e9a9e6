"""Exceptions raised by mme.registry.

Every error derives from :class:`RegistryError` and from the builtin exception MMEngine would
raise in the same place (``KeyError`` for a failed lookup or a duplicate name, ``TypeError`` for
a wrong argument type, ...), so existing ``except KeyError`` blocks keep working.
"""

from __future__ import annotations

import threading
from typing import Any

__all__ = [
    "AlreadyRegisteredError",
    "BuildError",
    "MissingTypeError",
    "NotRegisteredError",
    "RegistryError",
    "RegistryImportError",
    "RegistryTypeError",
    "RegistryValueError",
]


class RegistryError(Exception):
    """Base class of every error raised by mme.registry.

    ``str(err)`` is the plain message, even for the ``KeyError`` subclasses (whose builtin
    ``__str__`` would quote it).
    """

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class RegistryTypeError(RegistryError, TypeError):
    """An argument has the wrong type (a non-callable module, a cfg that is not a mapping, ...)."""


class RegistryValueError(RegistryError, ValueError):
    """An argument has a bad value (two children of one registry with the same scope, ...)."""


class RegistryImportError(RegistryError, ImportError):
    """A registry's ``locations`` or a scope's ``<scope>.registry`` module failed to import."""


class AlreadyRegisteredError(RegistryError, KeyError):
    """A name is registered twice in one registry without ``force=True``."""


class MissingTypeError(RegistryError, KeyError):
    """A config to build has no ``type`` key, and neither have the default arguments."""


class NotRegisteredError(RegistryError, KeyError):
    """A key is neither registered in the registry tree nor importable as a dotted path.

    Attributes:
        key: The key that was looked up, as given.
        registry_name: Name of the registry the lookup started from.
        scope: Scope of that registry.
        suggestions: Registered names close to the key.
        searched: One line per place searched, in order.
    """

    def __init__(
        self,
        message: str,
        *,
        key: str = "",
        registry_name: str = "",
        scope: str = "",
        suggestions: tuple[str, ...] = (),
        searched: tuple[str, ...] = (),
    ) -> None:
        super().__init__(message)
        self.key = key
        self.registry_name = registry_name
        self.scope = scope
        self.suggestions = suggestions
        self.searched = searched


class BuildError(RegistryError):
    """An exception raised while constructing an object from a config.

    The error raised is an instance of a subclass of both ``BuildError`` and the type of the
    original exception, so ``except ValueError`` still catches a ``ValueError`` raised by a
    constructor, ``except BuildError`` catches every build failure, and the original exception
    is ``err.original`` and ``err.__cause__`` (for a nested build, ``__cause__`` is the inner
    ``BuildError``). When such a subclass cannot be made (an exception type that cannot be
    subclassed or needs special constructor arguments), a plain ``BuildError`` is raised.

    Attributes:
        original: The exception the constructor raised (the innermost one for nested builds).
        path: ``(type name, registry name, scope)`` for each build, outermost first.
        key_path: The dotted config key of the object that failed (``'model.backbone'``),
            the innermost one that could be told; ``''`` for the cfg passed to a top-level
            ``build``, None when unknown. See ``mme.registry.build_path``.
    """

    def __init__(
        self,
        message: str,
        *,
        original: BaseException | None = None,
        path: tuple[tuple[str, str, str], ...] = (),
        key_path: str | None = None,
    ) -> None:
        # Skip the original type's __init__ (it may require other arguments).
        Exception.__init__(self, message)
        self.original = original
        self.path = path
        self.key_path = key_path

    def __reduce__(self) -> tuple[Any, ...]:
        original_type = type(self.original) if self.original is not None else None
        return (_rebuild_build_error, (original_type, self.args[0], self.original, self.path, self.key_path))


_COMBINED: dict[type[BaseException], type[BuildError]] = {}
_COMBINED_LOCK = threading.Lock()


def _combined_type(original_type: type[BaseException]) -> type[BuildError]:
    """Return (and cache) the subclass of BuildError and ``original_type``."""
    if issubclass(original_type, BuildError):
        return original_type
    with _COMBINED_LOCK:
        cls = _COMBINED.get(original_type)
        if cls is None:
            name = f"BuildError[{original_type.__name__}]"
            cls = type(name, (BuildError, original_type), {"__module__": __name__, "__qualname__": name})
            _COMBINED[original_type] = cls
        return cls


def make_build_error(
    original_type: type[BaseException] | None,
    message: str,
    original: BaseException | None,
    path: tuple[tuple[str, str, str], ...],
    key_path: str | None = None,
) -> BuildError:
    """Create the BuildError for ``original``, also an instance of ``original_type`` when possible."""
    if original_type is not None and original_type is not BuildError:
        try:
            return _combined_type(original_type)(message, original=original, path=path, key_path=key_path)
        except Exception:  # noqa: BLE001 - an exotic exception type: fall back to a plain BuildError
            pass
    return BuildError(message, original=original, path=path, key_path=key_path)


def _rebuild_build_error(
    original_type: type[BaseException] | None,
    message: str,
    original: BaseException | None,
    path: tuple[tuple[str, str, str], ...],
    key_path: str | None = None,
) -> BuildError:
    return make_build_error(original_type, message, original, path, key_path)
