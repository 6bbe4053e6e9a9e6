"""mme's own deterministic formatter: a config dict as Python source that parses back."""

from __future__ import annotations

import keyword
import math
import re
from collections.abc import Mapping
from typing import Any

from ._errors import ConfigError
from ._lazy import LazyAttr, LazyObject

__all__ = ["dotted_name", "format_config", "to_serializable"]

WIDTH = 88
_INDENT = "    "
_SHADOWED = frozenset({"dict", "float", "set", "frozenset", "globals"})
_BRACES = re.compile(r"(?<=\{)(?=\{)")


def dotted_name(obj: Any) -> str | None:
    """The dotted import path of a class or function (``"collections.OrderedDict"``)."""
    module = getattr(obj, "__module__", None)
    qualname = getattr(obj, "__qualname__", None)
    if isinstance(module, str) and isinstance(qualname, str):
        return f"{module}.{qualname}"
    return None


def to_serializable(value: Any, *, tuples: bool = True) -> Any:
    """Plain data for dumping: lazy objects, classes and functions become dotted strings.

    Args:
        value: The value to convert.
        tuples: Keep tuples; when False they become lists (JSON and YAML).
    """
    if isinstance(value, Mapping):
        return {
            k: to_serializable(v, tuples=tuples)
            for k, v in (dict.items(value) if isinstance(value, dict) else value.items())
        }
    if isinstance(value, (list, tuple)) and type(value) in (list, tuple):
        items = [to_serializable(v, tuples=tuples) for v in value]
        return tuple(items) if tuples and type(value) is tuple else items
    if isinstance(value, (LazyObject, LazyAttr)):
        return str(value)
    if isinstance(value, type) or callable(value) and dotted_name(value):
        return dotted_name(value) or repr(value)
    return value


def _is_name(key: Any) -> bool:
    return isinstance(key, str) and key.isidentifier() and not keyword.iskeyword(key)


class _Formatter:
    def __init__(self, shadowed: frozenset[str]) -> None:
        # ``shadowed``: builtins the config rebinds (its keys); ``literal``: write nothing that calls them
        self.shadowed = shadowed
        self.literal = bool(shadowed)

    def scalar(self, value: Any) -> str | None:
        if value is None or isinstance(value, (bool, int)):
            return repr(value)
        if isinstance(value, float):
            if math.isnan(value):
                return "(1e999 - 1e999)" if self.literal else "float('nan')"
            if math.isinf(value):
                text = "1e999" if self.literal else "float('inf')"
                return text if value > 0 else f"-{text}"
            return repr(value)
        if isinstance(value, str):
            if "{{" not in value:
                return repr(value)
            # Split "{{" across implicitly concatenated literals so that re-reading the text
            # never substitutes {{ ... }} template variables.
            return " ".join(repr(piece) for piece in _BRACES.split(value))
        if isinstance(value, bytes):
            return repr(value)
        return None

    def key(self, key: Any) -> str:
        if isinstance(key, tuple):
            return self.inline(key)
        text = self.scalar(key)
        return text if text is not None else repr(repr(key))

    def inline(self, value: Any) -> str:
        text = self.scalar(value)
        if text is not None:
            return text
        if isinstance(value, Mapping):
            items = list(dict.items(value) if isinstance(value, dict) else value.items())
            if not self.literal and all(_is_name(k) for k, _ in items):
                return "dict(" + ", ".join(f"{k}={self.inline(v)}" for k, v in items) + ")"
            return "{" + ", ".join(f"{self.key(k)}: {self.inline(v)}" for k, v in items) + "}"
        if type(value) is list:
            return "[" + ", ".join(self.inline(v) for v in value) + "]"
        if type(value) is tuple:
            if len(value) == 1:
                return f"({self.inline(value[0])},)"
            return "(" + ", ".join(self.inline(v) for v in value) + ")"
        if isinstance(value, (set, frozenset)):
            body = ", ".join(sorted(self.inline(v) for v in value))
            kind = "frozenset" if isinstance(value, frozenset) else "set"
            if not self.literal or kind == "frozenset" and kind not in self.shadowed:
                return f"{kind}([{body}])"
            if kind == "set":
                return f"{{{body}}}" if body else "{*()}"  # a set display: no name needed
            raise ConfigError(f"cannot write the frozenset {value!r} as Python: the config rebinds the name "
                              f"'frozenset' (a top-level key); rename that key, or dump to .json or .yaml")
        converted = to_serializable(value)
        if isinstance(converted, str):
            return self.scalar(converted) or repr(converted)
        return self.scalar(repr(value)) or repr(repr(value))

    def block(self, value: Any, indent: str, used: int) -> str:
        text = self.inline(value)
        if len(text) + used <= WIDTH or "\n" in text:
            return text
        inner = indent + _INDENT
        if isinstance(value, Mapping) and value:
            items = list(dict.items(value) if isinstance(value, dict) else value.items())
            if not self.literal and all(_is_name(k) for k, _ in items):
                lines = [f"{inner}{k}={self.block(v, inner, len(inner) + len(k) + 2)}," for k, v in items]
                return "dict(\n" + "\n".join(lines) + f"\n{indent})"
            lines = []
            for k, v in items:
                head = f"{inner}{self.key(k)}: "
                lines.append(f"{head}{self.block(v, inner, len(head) + 1)},")
            return "{\n" + "\n".join(lines) + f"\n{indent}}}"
        if type(value) in (list, tuple) and value:
            lines = [f"{inner}{self.block(v, inner, len(inner) + 1)}," for v in value]
            open_, close = ("[", "]") if type(value) is list else ("(", ")")
            return open_ + "\n" + "\n".join(lines) + f"\n{indent}{close}"
        return text


def format_config(cfg: Mapping) -> str:
    """Return Python source that assigns every top-level key of ``cfg``.

    The output is deterministic (insertion order, fixed width) and re-reading it with
    ``Config.fromstring(text, ".py")`` gives an equal config. Classes, functions and lazy
    objects are written as their dotted import path.
    """
    items = list(dict.items(cfg) if isinstance(cfg, dict) else cfg.items())
    fmt = _Formatter(frozenset(k for k, _ in items if k in _SHADOWED))
    lines = []
    others = [(k, v) for k, v in items if not _is_name(k)]
    if others:
        # Keys that are not Python names cannot be assigned; bind them in one statement.
        body = fmt.block(dict(others), "", len("globals().update()"))
        lines.append(f"globals().update({body})")
    for key, value in items:
        if _is_name(key):
            lines.append(f"{key} = {fmt.block(value, '', len(key) + 3)}")
    return "\n".join(lines) + "\n"
