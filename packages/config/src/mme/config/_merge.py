"""Merging config dicts: base files with their children, and dotted-key overrides."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._config_dict import ConfigDict
from ._errors import ConfigError, ConfigProblem
from ._typos import close_keys

__all__ = ["NEW_KEY_PREFIX", "merge_into", "merge_options", "strip_delete"]

DELETE_KEY = "_delete_"
# Before a merge_from_dict key: add the key even if it looks like a typo of an existing one.
NEW_KEY_PREFIX = "+"


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


class _Override:
    """One ``merge_from_dict`` option being applied: how it was written and what it may do."""

    __slots__ = ("allow_list_keys", "force_new_keys", "option")

    def __init__(self, option: str, allow_list_keys: bool, force_new_keys: bool) -> None:
        self.option = option
        self.allow_list_keys = allow_list_keys
        self.force_new_keys = force_new_keys

    def new_key_is_typo(self, node: dict, key: Any, prefix: str, rest: list[str], problems: list) -> bool:
        """Whether ``key``, missing from ``node`` (at ``prefix``), looks like a typo of a key there.

        If so, a problem naming the close keys is recorded and the key must not be added.
        """
        if self.force_new_keys or not isinstance(key, str):
            return False
        matches = close_keys(key, dict.keys(node))
        if not matches:
            return False
        tail = "".join(f".{part}" for part in rest)
        alternatives = " or ".join(f"'{_join(prefix, match)}{tail}'" for match in matches)
        where = f"'{prefix}'" if prefix else "the config"
        problems.append(
            ConfigProblem(
                f"'{key}' is not a key of {where}; did you mean {alternatives}? "
                f"To add it as a new key, write '{NEW_KEY_PREFIX}{self.option}' (or pass force_new_keys=True)",
                key=_join(prefix, key) + tail,
            )
        )
        return True


def merge_into(
    dst: dict,
    src: Mapping,
    *,
    filename: str | None = None,
    prefix: str = "",
    problems: list[ConfigProblem] | None = None,
    override: _Override | None = None,
) -> None:
    """Merge ``src`` into ``dst`` in place, the way a child config merges into its base.

    A dict merges recursively into a dict; a dict with ``_delete_=True`` replaces; a dict
    onto anything else is an error; every other value replaces. All clashes are collected
    and raised once (or appended to ``problems`` when it is given). With ``override`` (a
    ``merge_from_dict`` option), a new key that looks like a typo of a key of its dict is a
    problem too.

    Raises:
        ConfigError: A dict is merged onto a value that is not a dict, or (overrides) a new
            key is a likely typo.
    """
    own = problems is None
    found: list[ConfigProblem] = [] if problems is None else problems
    items = dict.items(src) if isinstance(src, dict) else src.items()
    for key, value in items:
        if key == DELETE_KEY:
            continue
        path = _join(prefix, key)
        current = dict.get(dst, key, _ABSENT)
        if current is _ABSENT and override is not None and override.new_key_is_typo(dst, key, prefix, [], found):
            continue
        if isinstance(value, Mapping) and not value.get(DELETE_KEY, False) and current is not _ABSENT:
            if isinstance(current, dict):
                merge_into(current, value, filename=filename, prefix=path, problems=found, override=override)
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


def _assign(node: Any, parts: list[str], value: Any, done: list[str], override: _Override, problems: list) -> Any:
    part, rest = parts[0], parts[1:]
    path = done + [part]
    where = ".".join(path)
    if type(node) in (list, tuple):
        if not override.allow_list_keys:
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
            _assign_leaf(old, value, where, override, problems)
            if not rest
            else _assign(old, rest, value, path, override, problems)
        )
        if type(node) is tuple:
            items = list(node)
            items[index] = ConfigDict(new) if isinstance(new, dict) and not isinstance(new, ConfigDict) else new
            return tuple(items)
        node[index] = ConfigDict(new) if isinstance(new, dict) and not isinstance(new, ConfigDict) else new
        return node
    if isinstance(node, dict):
        current = dict.get(node, part, _ABSENT)
        if current is _ABSENT and override.new_key_is_typo(node, part, ".".join(done), rest, problems):
            return node
        if not rest:
            if current is _ABSENT:
                node[part] = strip_delete(value)
            else:
                node[part] = _assign_leaf(current, value, where, override, problems)
            return node
        if current is _ABSENT:
            current = ConfigDict()
        elif not isinstance(current, (dict, list, tuple)):
            problems.append(ConfigProblem(f"cannot set '{'.'.join(rest)}' inside {_describe(current)}", key=where))
            return node
        node[part] = _assign(current, rest, value, path, override, problems)
        return node
    problems.append(ConfigProblem(f"cannot set '{part}' inside {_describe(node)}", key=".".join(done)))
    return node


def _assign_leaf(current: Any, value: Any, where: str, override: _Override, problems: list) -> Any:
    if not isinstance(value, Mapping) or value.get(DELETE_KEY, False) or current is None:
        return strip_delete(value)
    if isinstance(current, dict):
        merge_into(current, value, prefix=where, problems=problems, override=override)
        return current
    if type(current) in (list, tuple) and value and all(isinstance(k, str) and _is_index(k) for k in value):
        by_index = _Override(override.option, True, override.force_new_keys)
        for index, item in value.items():
            current = _assign(current, [index], item, where.split("."), by_index, problems)
        return current
    problems.append(
        ConfigProblem(f"cannot merge a dict into {_describe(current)}; set {DELETE_KEY}=True to replace it", key=where)
    )
    return current


def merge_options(
    cfg_dict: dict, options: Mapping[str, Any], allow_list_keys: bool = True, *, force_new_keys: bool = False
) -> None:
    """Apply ``{"a.b.0.c": value}`` overrides to ``cfg_dict`` in place.

    Keys are split on dots; with ``allow_list_keys`` a numeric part indexes an existing list
    or tuple (out of range is an error). A dict value merges into an existing dict.

    A key missing from its dict is added, unless it looks like a typo of a key there
    (``randomnes`` next to ``randomness``): that is an error suggesting the close keys. A
    ``+`` before the option key (``"+randomnes.seed"``), or ``force_new_keys``, adds such
    keys anyway.

    Raises:
        ConfigError: Listing every override that could not be applied.
    """
    problems: list[ConfigProblem] = []
    for written, value in options.items():
        key, force = written, force_new_keys
        if isinstance(key, str) and key.startswith(NEW_KEY_PREFIX):
            key, force = key[len(NEW_KEY_PREFIX) :], True
        if not isinstance(key, str) or not key or key.startswith(NEW_KEY_PREFIX) or any(not p for p in key.split(".")):
            problems.append(ConfigProblem(f"invalid option key {written!r}", key=str(written)))
            continue
        _assign(cfg_dict, key.split("."), value, [], _Override(key, allow_list_keys, force), problems)
    if problems:
        raise ConfigError(problems)
