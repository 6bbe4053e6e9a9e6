"""Merging config dicts: base files with their children, and dotted-key overrides."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._config_dict import ConfigDict
from ._errors import ConfigError, ConfigProblem

__all__ = ["merge_into", "merge_options", "strip_delete"]

DELETE_KEY = "_delete_"


def _join(prefix: str, key: Any) -> str:
    return f"{prefix}.{key}" if prefix else str(key)


def _describe(value: Any) -> str:
    text = repr(value)
    if len(text) > 40:
        text = text[:37] + "..."
    return f"{type(value).__name__} {text}"


def _has_delete(value: Any) -> bool:
    if isinstance(value, dict):
        return DELETE_KEY in value or any(_has_delete(v) for v in dict.values(value))
    if type(value) in (list, tuple):
        return any(_has_delete(v) for v in value)
    return False


def strip_delete(value: Any) -> Any:
    """Return ``value`` without any ``_delete_`` keys (at any depth); copies only if needed."""
    if not _has_delete(value):
        return value
    if isinstance(value, dict):
        return ConfigDict({k: strip_delete(v) for k, v in dict.items(value) if k != DELETE_KEY})
    if type(value) in (list, tuple):
        return type(value)(strip_delete(v) for v in value)
    return value


def merge_into(
    dst: dict,
    src: Mapping,
    *,
    filename: str | None = None,
    prefix: str = "",
    problems: list[ConfigProblem] | None = None,
) -> None:
    """Merge ``src`` into ``dst`` in place, the way a child config merges into its base.

    A dict merges recursively into a dict; a dict with ``_delete_=True`` replaces; a dict
    onto anything else is an error; every other value replaces. All clashes are collected
    and raised once (or appended to ``problems`` when it is given).

    Raises:
        ConfigError: A dict is merged onto a value that is not a dict.
    """
    own = problems is None
    found: list[ConfigProblem] = [] if problems is None else problems
    items = dict.items(src) if isinstance(src, dict) else src.items()
    for key, value in items:
        if key == DELETE_KEY:
            continue
        path = _join(prefix, key)
        current = dict.get(dst, key, _ABSENT)
        if isinstance(value, Mapping) and not value.get(DELETE_KEY, False) and current is not _ABSENT:
            if isinstance(current, dict):
                merge_into(current, value, filename=filename, prefix=path, problems=found)
            else:
                found.append(
                    ConfigProblem(
                        f"cannot merge a dict into {_describe(current)} inherited from the base; "
                        f"set {DELETE_KEY}=True in the dict to replace the value instead",
                        filename,
                        None,
                        path,
                    )
                )
            continue
        dst[key] = strip_delete(value)
    if own and found:
        raise ConfigError(found)


_ABSENT = object()


def _is_index(part: str) -> bool:
    return part.lstrip("-").isdigit() and part.count("-") <= 1


def _assign(node: Any, parts: list[str], value: Any, done: list[str], allow_list_keys: bool, problems: list) -> Any:
    part, rest = parts[0], parts[1:]
    path = done + [part]
    where = ".".join(path)
    if type(node) in (list, tuple):
        if not allow_list_keys:
            problems.append(
                ConfigProblem(
                    f"'{'.'.join(done)}' is a {type(node).__name__}; list keys are not allowed here", key=where
                )
            )
            return node
        if not _is_index(part):
            problems.append(
                ConfigProblem(
                    f"'{part}' is not an index into the {type(node).__name__} at '{'.'.join(done)}'", key=where
                )
            )
            return node
        index = int(part)
        if not -len(node) <= index < len(node):
            problems.append(
                ConfigProblem(
                    f"index {index} is out of range for the {type(node).__name__} of length {len(node)} at '{'.'.join(done)}'",
                    key=where,
                )
            )
            return node
        old = node[index]
        new = (
            _assign_leaf(old, value, where, problems)
            if not rest
            else _assign(old, rest, value, path, allow_list_keys, problems)
        )
        if type(node) is tuple:
            items = list(node)
            items[index] = ConfigDict(new) if isinstance(new, dict) and not isinstance(new, ConfigDict) else new
            return tuple(items)
        node[index] = ConfigDict(new) if isinstance(new, dict) and not isinstance(new, ConfigDict) else new
        return node
    if isinstance(node, dict):
        current = dict.get(node, part, _ABSENT)
        if not rest:
            if current is _ABSENT:
                node[part] = strip_delete(value)
            else:
                node[part] = _assign_leaf(current, value, where, problems)
            return node
        if current is _ABSENT:
            current = ConfigDict()
        elif not isinstance(current, (dict, list, tuple)):
            problems.append(ConfigProblem(f"cannot set '{'.'.join(rest)}' inside {_describe(current)}", key=where))
            return node
        node[part] = _assign(current, rest, value, path, allow_list_keys, problems)
        return node
    problems.append(ConfigProblem(f"cannot set '{part}' inside {_describe(node)}", key=".".join(done)))
    return node


def _assign_leaf(current: Any, value: Any, where: str, problems: list) -> Any:
    if not isinstance(value, Mapping) or value.get(DELETE_KEY, False) or current is None:
        return strip_delete(value)
    if isinstance(current, dict):
        merge_into(current, value, prefix=where, problems=problems)
        return current
    if type(current) in (list, tuple) and value and all(isinstance(k, str) and _is_index(k) for k in value):
        for index, item in value.items():
            current = _assign(current, [index], item, where.split("."), True, problems)
        return current
    problems.append(
        ConfigProblem(f"cannot merge a dict into {_describe(current)}; set {DELETE_KEY}=True to replace it", key=where)
    )
    return current


def merge_options(cfg_dict: dict, options: Mapping[str, Any], allow_list_keys: bool = True) -> None:
    """Apply ``{"a.b.0.c": value}`` overrides to ``cfg_dict`` in place.

    Keys are split on dots; with ``allow_list_keys`` a numeric part indexes an existing list
    or tuple (out of range is an error). A dict value merges into an existing dict.

    Raises:
        ConfigError: Listing every override that could not be applied.
    """
    problems: list[ConfigProblem] = []
    for key, value in options.items():
        if not isinstance(key, str) or not key or any(not p for p in key.split(".")):
            problems.append(ConfigProblem(f"invalid option key {key!r}", key=str(key)))
            continue
        _assign(cfg_dict, key.split("."), value, [], allow_list_keys, problems)
    if problems:
        raise ConfigError(problems)
