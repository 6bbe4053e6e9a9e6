"""Exceptions raised by mme.fileio.

Every class subclasses the builtin that callers already catch (``FileNotFoundError``,
``PermissionError``, ``ValueError``, ...), so ``except FileNotFoundError`` keeps working for
local paths and object stores alike. Messages name the URI, never credentials.
"""

from __future__ import annotations


class ObjectNotFoundError(FileNotFoundError):
    """A file, object or bucket does not exist."""


class StoragePermissionError(PermissionError):
    """The storage refused access (missing rights or invalid credentials)."""


class StorageError(OSError):
    """The storage answered with an error that is neither transient nor a missing path."""


class StorageUnavailableError(ConnectionError):
    """A transient storage error persisted after every retry."""


class CorruptFileError(ValueError):
    """A file's content fails its integrity check (e.g. a zip member does not match its CRC-32)."""


class InvalidURIError(ValueError):
    """A URI cannot be parsed for the backend it was given to."""


class UnknownBackendError(ValueError):
    """No backend is registered under the requested name or URI prefix."""


class BackendRegistrationError(KeyError):
    """A backend name or prefix is already taken (pass ``force=True`` to replace it)."""

    def __str__(self) -> str:  # KeyError would print the repr of the message
        return str(self.args[0]) if self.args else ""


class UnsupportedFormatError(TypeError):
    """``load``/``dump`` got a file format no handler is registered for."""


class UnsupportedOperationError(NotImplementedError):
    """The backend cannot do what was asked (writing over HTTP, presigning local files)."""
