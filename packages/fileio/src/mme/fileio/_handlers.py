"""File format handlers for ``load``/``dump``: json, yaml and pickle, plus your own."""

from __future__ import annotations

import json
import pickle
from abc import ABC, abstractmethod
from typing import IO, Any


class BaseFileHandler(ABC):
    """Reads and writes one file format.

    ``str_like`` says whether the format is text (file objects are text streams) or binary.
    """

    str_like = True

    @abstractmethod
    def load_from_fileobj(self, file: IO, **kwargs: Any) -> Any:
        """Load an object from an open file."""

    @abstractmethod
    def dump_to_fileobj(self, obj: Any, file: IO, **kwargs: Any) -> None:
        """Write an object to an open file."""

    @abstractmethod
    def dump_to_str(self, obj: Any, **kwargs: Any) -> str | bytes:
        """Return the serialized object (str, or bytes for binary formats)."""

    def load_from_path(self, filepath: str, mode: str = "r", **kwargs: Any) -> Any:
        """Load an object from a local file."""
        if not self.str_like and "b" not in mode:
            mode += "b"
        with open(filepath, mode) as f:
            return self.load_from_fileobj(f, **kwargs)

    def dump_to_path(self, obj: Any, filepath: str, mode: str = "w", **kwargs: Any) -> None:
        """Write an object to a local file."""
        if not self.str_like and "b" not in mode:
            mode += "b"
        with open(filepath, mode) as f:
            self.dump_to_fileobj(obj, f, **kwargs)


def set_default(obj: Any) -> Any:
    """``json.dump``'s ``default``: sets and ranges become lists, numpy arrays lists, numpy scalars numbers.

    Raises:
        TypeError: Any other object, as ``json`` expects from a ``default`` function.
    """
    if isinstance(obj, (set, range, frozenset, tuple)):
        return list(obj)
    if type(obj).__module__ == "numpy" and hasattr(obj, "tolist"):  # arrays and numpy scalars
        return obj.tolist()
    raise TypeError(f"Object of type {type(obj).__name__} is not JSON serializable")


_json_default = set_default


class JsonHandler(BaseFileHandler):
    """JSON; sets, ranges and numpy values are written as lists and scalars."""

    def load_from_fileobj(self, file: IO, **kwargs: Any) -> Any:
        return json.load(file, **kwargs)

    def dump_to_fileobj(self, obj: Any, file: IO, **kwargs: Any) -> None:
        kwargs.setdefault("default", _json_default)
        json.dump(obj, file, **kwargs)

    def dump_to_str(self, obj: Any, **kwargs: Any) -> str:
        kwargs.setdefault("default", _json_default)
        return json.dumps(obj, **kwargs)


def _yaml() -> tuple[Any, Any, Any]:
    """pyyaml with its fastest FullLoader and Dumper, imported on first use (it is slow to import)."""
    import yaml

    try:
        return yaml, yaml.CFullLoader, yaml.CDumper
    except AttributeError:  # pragma: no cover - pyyaml built without libyaml
        return yaml, yaml.FullLoader, yaml.Dumper


class YamlHandler(BaseFileHandler):
    """YAML; loads with pyyaml's FullLoader (no arbitrary objects), dumps with its Dumper."""

    def load_from_fileobj(self, file: IO, **kwargs: Any) -> Any:
        yaml, loader, _ = _yaml()
        kwargs.setdefault("Loader", loader)
        return yaml.load(file, **kwargs)

    def dump_to_fileobj(self, obj: Any, file: IO, **kwargs: Any) -> None:
        yaml, _, dumper = _yaml()
        kwargs.setdefault("Dumper", dumper)
        yaml.dump(obj, file, **kwargs)

    def dump_to_str(self, obj: Any, **kwargs: Any) -> str:
        yaml, _, dumper = _yaml()
        kwargs.setdefault("Dumper", dumper)
        return yaml.dump(obj, **kwargs)


class PickleHandler(BaseFileHandler):
    """Pickle (binary). Only load pickles you trust."""

    str_like = False

    def load_from_fileobj(self, file: IO, **kwargs: Any) -> Any:
        return pickle.load(file, **kwargs)

    def dump_to_fileobj(self, obj: Any, file: IO, **kwargs: Any) -> None:
        pickle.dump(obj, file, **kwargs)

    def dump_to_str(self, obj: Any, **kwargs: Any) -> bytes:
        return pickle.dumps(obj, **kwargs)


file_handlers: dict[str, BaseFileHandler] = {
    "json": JsonHandler(),
    "yaml": YamlHandler(),
    "yml": YamlHandler(),
    "pickle": PickleHandler(),
    "pkl": PickleHandler(),
}


def _register_handler(handler: BaseFileHandler, file_formats: str | list[str]) -> None:
    if not isinstance(handler, BaseFileHandler):
        raise TypeError(f"handler must be a BaseFileHandler instance, got {type(handler).__name__}")
    if isinstance(file_formats, str):
        file_formats = [file_formats]
    if not (isinstance(file_formats, (list, tuple)) and all(isinstance(f, str) for f in file_formats)):
        raise TypeError(f"file_formats must be a str or a list of str, got {file_formats!r}")
    for fmt in file_formats:
        file_handlers[fmt] = handler


def register_handler(file_formats: str | list[str], **kwargs: Any) -> Any:
    """Class decorator registering a :class:`BaseFileHandler` subclass for file extensions.

    Example:
        >>> @register_handler("txt-demo")
        ... class TxtHandler(BaseFileHandler):
        ...     def load_from_fileobj(self, file, **kwargs):
        ...         return file.read()
        ...     def dump_to_fileobj(self, obj, file, **kwargs):
        ...         file.write(str(obj))
        ...     def dump_to_str(self, obj, **kwargs):
        ...         return str(obj)
        >>> from mme.fileio import dump
        >>> dump(42, file_format="txt-demo")
        '42'
        >>> del file_handlers["txt-demo"]
    """

    def wrap(cls: type[BaseFileHandler]) -> type[BaseFileHandler]:
        if not (isinstance(cls, type) and issubclass(cls, BaseFileHandler)):
            raise TypeError(f"register_handler decorates BaseFileHandler subclasses, got {cls!r}")
        _register_handler(cls(**kwargs), file_formats)
        return cls

    return wrap
