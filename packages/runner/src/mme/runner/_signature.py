"""Reading what a class or function accepts, for checking configs without building them.

:func:`signature_spec` reads the keyword arguments a class accepts from its ``__init__`` (the
first one along the MRO). An ``__init__`` that takes ``**kwargs`` and calls ``super()`` hands
them to the next ``__init__`` of the MRO, whose arguments are accepted too (scheduler
subclasses, DDP wrappers). A class whose ``**kwargs`` go elsewhere can say where with a
``forwards_kwargs_to`` class attribute, a pair ``(target, set_by_caller)``: ``target`` is
``'runner.<method>'`` (a method of the Runner being built) or a callable, and
``set_by_caller`` names the target's arguments the class passes itself (``CheckpointHook``
declares ``('runner.save_checkpoint', (...))``). Any other ``**kwargs`` accepts every key.
"""

from __future__ import annotations

import difflib
import functools
import inspect
from collections.abc import Iterable
from typing import Any

__all__ = ["ArgSpec", "close_key", "signature_spec", "suggest"]

_KW = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
_POS = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)


class ArgSpec:
    """What a class or function accepts: keyword names (``None``: any), required and positional names."""

    __slots__ = ("accepted", "name", "positional", "required")

    def __init__(self, name: str, accepted: frozenset[str] | None, required: tuple[str, ...] = (),
                 positional: tuple[str, ...] = ()) -> None:
        self.name = name
        self.accepted = accepted
        self.required = required
        self.positional = positional


def _name(obj: Any) -> str:
    return getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None) or repr(obj)


def _params(fn: Any) -> list[inspect.Parameter] | None:
    try:
        return list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):  # builtins without a text signature
        return None


def _calls_super(fn: Any) -> bool:
    code = getattr(inspect.unwrap(fn), "__code__", None)
    return code is not None and ("__class__" in code.co_freevars or "super" in code.co_names)


def _forwarded(declared: Any, runner_cls: type | None) -> set[str] | None:
    """The argument names a ``forwards_kwargs_to`` declaration accepts (``None``: any)."""
    target, set_by_caller = declared
    if isinstance(target, str):
        owner, _, attr = target.partition(".")
        if owner != "runner" or runner_cls is None or not hasattr(runner_cls, attr):
            return None
        target = getattr(runner_cls, attr)
        drop_first = inspect.isfunction(target)  # a method read from the class: ``self`` comes first
    else:
        drop_first = False
    params = _params(target)
    if params is None:
        return None
    if drop_first:
        params = params[1:]
    if any(p.kind is p.VAR_KEYWORD for p in params):
        return None
    return {p.name for p in params if p.kind in _KW} - set(set_by_caller)


def _compute_spec(obj: Any, runner_cls: type | None) -> ArgSpec:
    name = _name(obj)
    if not inspect.isclass(obj):
        params = _params(obj)
        if params is None:
            return ArgSpec(name, None)
        accepted, required, positional, var_kw = _level(params)
        return ArgSpec(name, None if var_kw else accepted, required, positional)
    if any("__new__" in vars(klass) for klass in obj.__mro__[:-1]):
        return ArgSpec(name, None)  # a custom __new__ takes arguments of its own
    names: set[str] = set()
    first: tuple[tuple[str, ...], tuple[str, ...]] | None = None
    for klass in obj.__mro__:
        init = vars(klass).get("__init__")
        if init is None:
            continue
        if klass is object:  # every __init__ so far handed **kwargs to super(): object takes none
            break
        params = _params(init)
        if params is None:
            return ArgSpec(name, None, *(first or ((), ())))
        accepted, required, positional, var_kw = _level(params[1:])
        if first is None:
            first = (required, positional)
        names |= accepted
        if not var_kw:
            break
        declared = vars(klass).get("forwards_kwargs_to")
        if declared is not None:
            extra = _forwarded(declared, runner_cls)
            if extra is None:
                return ArgSpec(name, None, *first)
            names |= extra
            break
        if not _calls_super(init):
            return ArgSpec(name, None, *first)
    return ArgSpec(name, frozenset(names), *(first or ((), ())))


def _level(params: list[inspect.Parameter]) -> tuple[frozenset[str], tuple[str, ...], tuple[str, ...], bool]:
    """Keyword names, required names, positional names and whether ``**kwargs`` is taken."""
    accepted = frozenset(p.name for p in params if p.kind in _KW)
    required = tuple(p.name for p in params if p.default is p.empty and p.kind in (*_POS, p.KEYWORD_ONLY))
    positional = tuple(p.name for p in params if p.kind in _POS)
    return accepted, required, positional, any(p.kind is p.VAR_KEYWORD for p in params)


@functools.lru_cache(maxsize=1024)
def _cached_spec(obj: Any, runner_cls: type | None) -> ArgSpec:
    return _compute_spec(obj, runner_cls)


def signature_spec(obj: Any, runner_cls: type | None = None) -> ArgSpec:
    """What ``obj`` (a class or function) accepts as keyword arguments, cached per object."""
    try:
        return _cached_spec(obj, runner_cls)
    except TypeError:  # unhashable callable
        return _compute_spec(obj, runner_cls)


def suggest(key: str, names: Iterable[str]) -> str | None:
    """The name among ``names`` closest to ``key``: equal but for case, else difflib's pick (or None)."""
    names = sorted(names)
    lowered = [n for n in names if n.lower() == key.lower()]
    if lowered:
        return lowered[0]
    close = difflib.get_close_matches(key, names, n=1, cutoff=0.6)
    return close[0] if close else None


def _distance(a: str, b: str) -> int:
    """Edit distance counting a swap of neighbours as one edit (optimal string alignment)."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        row = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            row[j] = min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                row[j] = min(row[j], prev2[j - 2] + 1)
        prev2, prev = prev, row
    return prev[-1]


def close_key(key: str, known: Iterable[str]) -> str | None:
    """The known key ``key`` is a likely typo of: one edit away, or two for keys of 9+ characters.

    Stricter than difflib's ratio on purpose: top-level config keys that no Runner reads are
    allowed, and names such as ``norm_cfg`` or ``tta_model`` must not pass for ``env_cfg`` or
    ``model``.

    Examples:
        >>> close_key('randomnes', ['randomness', 'model'])
        'randomness'
        >>> close_key('norm_cfg', ['env_cfg', 'model']) is None
        True
    """
    best: tuple[int, str] | None = None
    for name in known:
        d = _distance(key.lower(), name.lower())  # 0: the same but for case, the closest of all
        if name != key and (best is None or d < best[0]):
            best = (d, name)
    if best is None:
        return None
    limit = 2 if len(key) >= 9 else 1
    return best[1] if best[0] <= limit else None
