"""ConfigDict: a dict with attribute access, the value type of every config."""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

from addict import Dict

from ._lazy import LazyAttr, LazyObject, build_lazy

__all__ = ["ConfigDict"]

_MISSING = object()


def _convert(value: Any) -> Any:
    """Turn plain dicts (also inside lists and tuples) into ConfigDicts."""
    if isinstance(value, dict) and not isinstance(value, ConfigDict):
        return ConfigDict(value)
    if type(value) in (list, tuple):
        return type(value)(_convert(v) for v in value)
    return value


def _fresh_dicts(value: dict, cls: type) -> Any:
    """A ``cls`` copy of ``value`` whose nested dicts are copies too (other values are shared).

    What ``|`` merges into: merging must not reach into the operands' nested dicts.
    """
    new = cls()
    for key, item in dict.items(value):
        dict.__setitem__(new, key, _fresh_dicts(item, ConfigDict) if isinstance(item, dict) else _convert(item))
    return new


def _raw_items(value: dict) -> Iterable[tuple[Any, Any]]:
    """The stored items, without building lazy objects."""
    return dict.items(value)


def _to_plain(value: Any, as_path: bool) -> Any:
    """Plain nested dicts; ``as_path``: lazy objects become their dotted import path (never imported)."""
    if isinstance(value, dict):
        return {k: _to_plain(v, as_path) for k, v in _raw_items(value)}
    if type(value) in (list, tuple):
        return type(value)(_to_plain(v, as_path) for v in value)
    return str(value) if as_path and isinstance(value, (LazyObject, LazyAttr)) else value


class ConfigDict(Dict):
    """A ``dict`` whose items are also attributes, like ``addict.Dict``.

    Nested dicts (also those inside lists and tuples) become ConfigDicts. Unlike addict, a
    missing key raises: ``KeyError`` for ``cfg["x"]`` and ``AttributeError`` naming the key
    for ``cfg.x``. Lazily imported objects of pure-Python configs are built when read
    through ``[]``, attribute access, ``get``, ``pop``, ``items`` or ``values``.

    Examples:
        >>> cfg = ConfigDict(model=dict(depth=50))
        >>> cfg.model.depth
        50
        >>> cfg.model.width
        Traceback (most recent call last):
        ...
        AttributeError: 'ConfigDict' object has no attribute 'width'
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # addict keeps these three markers on every instance; a ConfigDict is never frozen
        # and never auto-creates parents, so they stay inert.
        object.__setattr__(self, "__parent", None)
        object.__setattr__(self, "__key", None)
        object.__setattr__(self, "__frozen", False)
        if len(args) > 1:
            raise TypeError(f"ConfigDict expected at most 1 positional argument, got {len(args)}")
        for key, value in dict(*args, **kwargs).items():
            self[key] = value

    # -- item and attribute access ------------------------------------------------------
    def __setitem__(self, key: Any, value: Any) -> None:
        dict.__setitem__(self, key, _convert(value))

    def __getitem__(self, key: Any) -> Any:
        return build_lazy(dict.__getitem__(self, key))

    def __missing__(self, key: Any) -> Any:
        raise KeyError(key)

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'") from None

    def __setattr__(self, name: str, value: Any) -> None:
        if hasattr(type(self), name):
            raise AttributeError(f"'{type(self).__name__}' object attribute '{name}' is read-only")
        self[name] = value

    def __delattr__(self, name: str) -> None:
        try:
            del self[name]
        except KeyError:
            raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'") from None

    def get(self, key: Any, default: Any = None) -> Any:
        """Return ``self[key]`` if present, else ``default``."""
        return build_lazy(dict.get(self, key, default))

    def pop(self, key: Any, default: Any = _MISSING) -> Any:
        """Remove ``key`` and return its value (``default`` if it is missing)."""
        value = dict.pop(self, key) if default is _MISSING else dict.pop(self, key, default)
        return build_lazy(value)

    def setdefault(self, key: Any, default: Any = None) -> Any:
        """Return ``self[key]``, setting it to ``default`` first if it is missing."""
        if key not in self:
            self[key] = default
        return self[key]

    def items(self) -> list[tuple[Any, Any]]:  # type: ignore[override]
        """A list of the items, with lazily imported objects built."""
        return [(k, build_lazy(v)) for k, v in _raw_items(self)]

    def values(self) -> list[Any]:  # type: ignore[override]
        """A list of the values, with lazily imported objects built."""
        return [build_lazy(v) for _, v in _raw_items(self)]

    def update(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        """Update like addict: a dict value merges into an existing dict value."""
        other = dict(*args, **kwargs)
        for key, value in other.items():
            current = dict.get(self, key, _MISSING)
            if isinstance(current, ConfigDict) and isinstance(value, dict):
                current.update(value)
            else:
                self[key] = value

    def merge(self, other: dict) -> None:
        """Merge ``other`` into this dict recursively (``_delete_`` replaces a sub-dict).

        Raises:
            ConfigError: A dict is merged onto a value that is not a dict.
        """
        from ._merge import merge_into

        merge_into(self, other)

    # -- conversion and copies ----------------------------------------------------------
    def to_dict(self) -> dict:
        """Return plain nested dicts (lists and tuples kept); lazy objects become their dotted
        import path (``'torch.optim.SGD'``), as in MMEngine, so nothing is imported."""
        return _to_plain(self, as_path=True)

    def _to_lazy_dict(self) -> dict:
        """Return plain nested dicts, keeping lazy objects as they are."""
        return _to_plain(self, as_path=False)

    def copy(self) -> ConfigDict:
        """A shallow copy."""
        return self.__copy__()

    def __copy__(self) -> ConfigDict:
        new = type(self)()
        for key, value in _raw_items(self):
            dict.__setitem__(new, key, value)
        return new

    def __deepcopy__(self, memo: dict) -> ConfigDict:
        new = type(self)()
        memo[id(self)] = new
        for key, value in _raw_items(self):
            dict.__setitem__(new, copy.deepcopy(key, memo), copy.deepcopy(value, memo))
        return new

    def deepcopy(self) -> ConfigDict:
        """A deep copy (lazy objects stay lazy)."""
        return copy.deepcopy(self)

    def __reduce__(self):
        return (type(self), (dict(dict.items(self)),))

    def __or__(self, other: Any) -> ConfigDict:
        if not isinstance(other, dict):
            return NotImplemented
        new = _fresh_dicts(self, type(self))
        new.update(other)
        return new

    def __ror__(self, other: Any) -> ConfigDict:
        if not isinstance(other, dict):
            return NotImplemented
        new = _fresh_dicts(other, type(self))
        new.update(self)
        return new

    def __ior__(self, other: Any) -> ConfigDict:  # noqa: PYI034 - Self needs Python 3.11
        self.update(other)
        return self

    def freeze(self, shouldFreeze: bool = True) -> None:
        """Not supported: a ConfigDict stays mutable."""
        raise NotImplementedError("ConfigDict cannot be frozen")

    def unfreeze(self) -> None:
        """Not supported: a ConfigDict is never frozen."""
        raise NotImplementedError("ConfigDict cannot be frozen")


def resolve_lazy(value: Any) -> Any:
    """``value`` with every lazily imported object in it built (dicts, lists and tuples walked).

    What holds no lazy object is returned as it is; a container that does is copied, keeping its
    type (a ConfigDict stays a ConfigDict). Used where a whole config section is handed to code
    that reads raw values (``dict(cfg)``) rather than through ConfigDict's building accessors.
    """
    if isinstance(value, (LazyObject, LazyAttr)):
        return value.build()
    if isinstance(value, dict):
        items = [(k, resolve_lazy(v)) for k, v in _raw_items(value)]
        if all(new is old for (_, new), old in zip(items, dict.values(value))):
            return value
        copied = type(value)() if isinstance(value, ConfigDict) else {}
        for k, v in items:
            dict.__setitem__(copied, k, v)
        return copied
    if type(value) in (list, tuple):
        built = [resolve_lazy(v) for v in value]
        return value if all(new is old for new, old in zip(built, value)) else type(value)(built)
    return value
