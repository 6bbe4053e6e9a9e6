"""The public file functions: each picks the backend for its path and delegates to it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ._backend import BaseStorageBackend, PathLike
from ._local import LocalBackend
from ._local import remove_temp_files as _remove_local_temp_files
from ._registry import get_file_backend


def _backend(path: PathLike, backend_args: dict[str, Any] | None) -> BaseStorageBackend:
    return get_file_backend(path, backend_args=backend_args, enable_singleton=True)


def get(filepath: PathLike, backend_args: dict[str, Any] | None = None) -> bytes:
    """Read a file as bytes.

    Example:
        >>> import tempfile, os
        >>> path = os.path.join(tempfile.mkdtemp(), "a.bin")
        >>> put(b"hello", path)
        >>> get(path)
        b'hello'
    """
    return _backend(filepath, backend_args).get(filepath)


def get_text(filepath: PathLike, encoding: str = "utf-8", backend_args: dict[str, Any] | None = None) -> str:
    """Read a file as text."""
    return _backend(filepath, backend_args).get_text(filepath, encoding)


def put(obj: bytes, filepath: PathLike, backend_args: dict[str, Any] | None = None) -> None:
    """Write bytes to a file atomically; parent directories are created."""
    _backend(filepath, backend_args).put(obj, filepath)


def put_text(
    obj: str, filepath: PathLike, backend_args: dict[str, Any] | None = None, encoding: str = "utf-8"
) -> None:
    """Write text to a file atomically."""
    _backend(filepath, backend_args).put_text(obj, filepath, encoding)


def exists(filepath: PathLike, backend_args: dict[str, Any] | None = None) -> bool:
    """Whether a file or directory exists."""
    return _backend(filepath, backend_args).exists(filepath)


def isdir(filepath: PathLike, backend_args: dict[str, Any] | None = None) -> bool:
    """Whether ``filepath`` is a directory (for object stores: a prefix holding objects)."""
    return _backend(filepath, backend_args).isdir(filepath)


def isfile(filepath: PathLike, backend_args: dict[str, Any] | None = None) -> bool:
    """Whether ``filepath`` is a file."""
    return _backend(filepath, backend_args).isfile(filepath)


def join_path(filepath: PathLike, *filepaths: PathLike, backend_args: dict[str, Any] | None = None) -> str:
    """Join path components the way the backend of ``filepath`` does (``/`` for URIs)."""
    return _backend(filepath, backend_args).join_path(filepath, *filepaths)


@contextmanager
def get_local_path(filepath: PathLike, backend_args: dict[str, Any] | None = None) -> Iterator[str]:
    """Yield a local path with the file's content; remote files are downloaded and deleted after.

    Example:
        >>> import tempfile, os
        >>> path = os.path.join(tempfile.mkdtemp(), "a.txt")
        >>> put_text("hi", path)
        >>> with get_local_path(path) as local:
        ...     open(local).read()
        'hi'
    """
    with _backend(filepath, backend_args).get_local_path(filepath) as local:
        yield local


def copyfile(src: PathLike, dst: PathLike, backend_args: dict[str, Any] | None = None) -> str:
    """Copy a file within one backend; return the destination path."""
    return _backend(src, backend_args).copyfile(src, dst)


def copytree(src: PathLike, dst: PathLike, backend_args: dict[str, Any] | None = None) -> str:
    """Copy a directory tree within one backend; ``dst`` must not exist."""
    return _backend(src, backend_args).copytree(src, dst)


def copyfile_from_local(src: PathLike, dst: PathLike, backend_args: dict[str, Any] | None = None) -> str:
    """Copy a local file to ``dst`` (any backend); return the destination path."""
    return _backend(dst, backend_args).copyfile_from_local(src, dst)


def copytree_from_local(src: PathLike, dst: PathLike, backend_args: dict[str, Any] | None = None) -> str:
    """Copy a local directory tree to ``dst`` (any backend)."""
    return _backend(dst, backend_args).copytree_from_local(src, dst)


def copyfile_to_local(src: PathLike, dst: PathLike, backend_args: dict[str, Any] | None = None) -> str:
    """Copy ``src`` (any backend) to a local file, atomically; return the local path."""
    return _backend(src, backend_args).copyfile_to_local(src, dst)


def copytree_to_local(src: PathLike, dst: PathLike, backend_args: dict[str, Any] | None = None) -> str:
    """Copy a directory tree (any backend) to a local directory that must not exist."""
    return _backend(src, backend_args).copytree_to_local(src, dst)


def remove(filepath: PathLike, backend_args: dict[str, Any] | None = None) -> None:
    """Remove a file; FileNotFoundError if it does not exist."""
    _backend(filepath, backend_args).remove(filepath)


def rmtree(dir_path: PathLike, backend_args: dict[str, Any] | None = None) -> None:
    """Remove a directory tree."""
    _backend(dir_path, backend_args).rmtree(dir_path)


def copy_if_symlink_fails(src: PathLike, dst: PathLike, backend_args: dict[str, Any] | None = None) -> bool:
    """Symlink ``dst`` to ``src`` (local only) or copy; return True if it linked."""
    return _backend(src, backend_args).copy_if_symlink_fails(src, dst)


def list_dir_or_file(
    dir_path: PathLike,
    list_dir: bool = True,
    list_file: bool = True,
    suffix: str | tuple[str, ...] | None = None,
    recursive: bool = False,
    backend_args: dict[str, Any] | None = None,
) -> Iterator[str]:
    """Yield ``/``-separated paths, relative to ``dir_path``, of its directories and files.

    ``suffix`` filters files and needs ``list_dir=False``. Within a directory entries come in
    name order, a directory's contents right after it when ``recursive``.
    """
    return _backend(dir_path, backend_args).list_dir_or_file(dir_path, list_dir, list_file, suffix, recursive)


def generate_presigned_url(
    url: str, client_method: str = "get_object", expires_in: int = 3600, backend_args: dict[str, Any] | None = None
) -> str:
    """Return a URL that grants temporary access to an object (S3 and signing fsspec stores)."""
    return _backend(url, backend_args).generate_presigned_url(url, client_method, expires_in)


def remove_temp_files(directory: PathLike, backend_args: dict[str, Any] | None = None) -> list[str]:
    """Remove the temporary files interrupted atomic writes left in ``directory``; return their paths.

    On local disk these are mme's own ``.<name>.<12 hex digits>.tmp`` files directly in
    ``directory``, nothing else; object stores have none (an object appears only complete), so
    there this does nothing. Call it only where no other process may be writing at the same time.
    """
    backend = _backend(directory, backend_args)
    if not isinstance(backend, LocalBackend):
        return []
    return _remove_local_temp_files(backend.map_path(directory))
