"""``load``/``dump`` of json, yaml and pickle files, and the line-based readers."""

from __future__ import annotations

import io
import os
import warnings
from pathlib import Path
from typing import Any

from ._errors import UnsupportedFormatError
from ._handlers import file_handlers
from ._registry import get_file_backend


def _args(func: str, file_client_args: dict | None, backend_args: dict | None) -> dict | None:
    if file_client_args is None:
        return backend_args
    if backend_args is not None:
        raise ValueError(f"{func}: pass backend_args or the deprecated file_client_args, not both")
    warnings.warn(
        f"{func}: file_client_args is deprecated, use backend_args", DeprecationWarning, stacklevel=3
    )
    args = dict(file_client_args)
    if args.get("backend") == "disk":
        args["backend"] = "local"
    return args


def _handler(file_format: Any) -> Any:
    if file_format not in file_handlers:
        raise UnsupportedFormatError(
            f"unsupported file format {file_format!r}; registered: {sorted(file_handlers)} (see register_handler)"
        )
    return file_handlers[file_format]


def _format_of(file: str) -> str:
    return os.path.splitext(file)[1].lstrip(".").lower() or file


def load(file: Any, file_format: str | None = None, file_client_args: dict | None = None,
         backend_args: dict | None = None, **kwargs: Any) -> Any:
    """Load a json, yaml or pickle file (a path or URI, or an open file object).

    Args:
        file: Path, URI or file object.
        file_format: Handler name; by default the path's extension.
        file_client_args: Deprecated alias of ``backend_args``.
        backend_args: Arguments of the storage backend.
        **kwargs: Passed to the handler (``json.load``, ``yaml.load``, ``pickle.load``).
    """
    backend_args = _args("load", file_client_args, backend_args)
    if isinstance(file, Path):
        file = str(file)
    if file_format is None and isinstance(file, str):
        file_format = _format_of(file)
    if file_format is None:
        raise ValueError("load: file_format must be given when file is a file object")
    handler = _handler(file_format)
    if isinstance(file, str):
        backend = get_file_backend(file, backend_args=backend_args, enable_singleton=True)
        if handler.str_like:
            with io.StringIO(backend.get_text(file)) as f:
                return handler.load_from_fileobj(f, **kwargs)
        with io.BytesIO(backend.get(file)) as f:
            return handler.load_from_fileobj(f, **kwargs)
    if hasattr(file, "read"):
        return handler.load_from_fileobj(file, **kwargs)
    raise TypeError(f"load: file must be a path, URI or file object, got {type(file).__name__}")


def dump(obj: Any, file: Any = None, file_format: str | None = None, file_client_args: dict | None = None,
         backend_args: dict | None = None, **kwargs: Any) -> Any:
    """Dump an object to a json, yaml or pickle file (written atomically), or to a string.

    Args:
        obj: Object to serialize.
        file: Path, URI or file object; None returns the serialized str (bytes for pickle).
        file_format: Handler name; by default the path's extension.
        file_client_args: Deprecated alias of ``backend_args``.
        backend_args: Arguments of the storage backend.
        **kwargs: Passed to the handler (``json.dump``, ``yaml.dump``, ``pickle.dump``).

    Returns:
        The serialized object when ``file`` is None, else None.
    """
    backend_args = _args("dump", file_client_args, backend_args)
    if isinstance(file, Path):
        file = str(file)
    if file_format is None:
        if isinstance(file, str):
            file_format = _format_of(file)
        else:
            raise ValueError("dump: file_format must be given when file is None or a file object")
    handler = _handler(file_format)
    if file is None:
        return handler.dump_to_str(obj, **kwargs)
    if isinstance(file, str):
        backend = get_file_backend(file, backend_args=backend_args, enable_singleton=True)
        if handler.str_like:
            with io.StringIO() as f:
                handler.dump_to_fileobj(obj, f, **kwargs)
                backend.put_text(f.getvalue(), file)
        else:
            with io.BytesIO() as f:
                handler.dump_to_fileobj(obj, f, **kwargs)
                backend.put(f.getvalue(), file)
        return None
    if hasattr(file, "write"):
        handler.dump_to_fileobj(obj, file, **kwargs)
        return None
    raise TypeError(f"dump: file must be a path, URI, file object or None, got {type(file).__name__}")


def list_from_file(filename: Any, prefix: str = "", offset: int = 0, max_num: int = 0, encoding: str = "utf-8",
                   file_client_args: dict | None = None, backend_args: dict | None = None) -> list[str]:
    """Read the lines of a text file as a list of strings.

    Args:
        filename: Path or URI.
        prefix: Prepended to every line.
        offset: Lines to skip at the start.
        max_num: Most lines to return; 0 or less means all.
        encoding: Text encoding.
        file_client_args: Deprecated alias of ``backend_args``.
        backend_args: Arguments of the storage backend.
    """
    backend_args = _args("list_from_file", file_client_args, backend_args)
    text = get_file_backend(filename, backend_args=backend_args, enable_singleton=True).get_text(filename, encoding)
    lines = [line.rstrip("\n\r") for line in io.StringIO(text)][offset:]
    if max_num > 0:
        lines = lines[:max_num]
    return [prefix + line for line in lines]


def dict_from_file(filename: Any, key_type: type = str, encoding: str = "utf-8",
                   file_client_args: dict | None = None, backend_args: dict | None = None) -> dict:
    """Read a whitespace-separated text file as a dict.

    The first column of each line is the key (converted with ``key_type``); the value is the
    second column, or the list of all further columns when there are more than two.
    """
    backend_args = _args("dict_from_file", file_client_args, backend_args)
    text = get_file_backend(filename, backend_args=backend_args, enable_singleton=True).get_text(filename, encoding)
    mapping: dict = {}
    for lineno, line in enumerate(io.StringIO(text), 1):
        items = line.rstrip("\n\r").split()
        if not items:
            continue
        if len(items) < 2:
            raise ValueError(f"dict_from_file: {filename}:{lineno} has a key but no value: {line.strip()!r}")
        try:
            key = key_type(items[0])
        except (TypeError, ValueError) as exc:
            raise ValueError(f"dict_from_file: {filename}:{lineno}: key {items[0]!r} is not a {key_type.__name__}") from exc
        mapping[key] = items[1:] if len(items) > 2 else items[1]
    return mapping
