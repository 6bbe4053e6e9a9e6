"""Which config key is being built: ``model``, ``model.backbone``, ``custom_hooks.1``.

Every ``build_from_cfg`` call pushes a frame (the cfg it was given and the keyword arguments
it passes on) onto a per-context stack (a :mod:`contextvars` variable, so threads and asyncio
tasks each have their own). :func:`build_path` pushes a name. Nothing is computed while
building; only when a build fails is the key path worked out from the stack: a nested build's
cfg is looked up among the arguments of the build around it (the same object first, then an
equal dict, then the only dict with the same ``type``), so a backbone built inside a
detector's ``__init__`` from its ``backbone`` argument is ``model.backbone``.
"""

from __future__ import annotations

import contextvars
from collections.abc import Generator, Mapping
from contextlib import contextmanager
from typing import Any

from ._errors import RegistryTypeError

__all__ = ["BuildFrame", "build_path", "current_build_path", "locate", "outermost_build", "push_frame"]

_NOTHING: Any = object()
_MAX_DEPTH = 12  # how deep into an argument's dicts and lists a nested cfg is searched for


class _Name:
    """A :func:`build_path` entry: builds directly inside are at ``key`` (found in ``cfg``)."""

    __slots__ = ("cfg", "key")

    def __init__(self, key: str, cfg: Any) -> None:
        self.key = key
        self.cfg = cfg


class BuildFrame:
    """A running build: the cfg it was given, and the arguments passed to the constructor."""

    __slots__ = ("args", "cfg")

    def __init__(self, cfg: Any) -> None:
        self.cfg = cfg
        self.args: Any = _NOTHING


_STACK: contextvars.ContextVar[tuple[_Name | BuildFrame, ...]] = contextvars.ContextVar(
    "mme_registry_build_stack", default=()
)


@contextmanager
def build_path(key: str = "", cfg: Any = None) -> Generator[None, None, None]:
    """Name the config key of what is built inside the block, for error messages.

    A build that fails inside the block is reported at ``key`` (``key 'model': failed to
    build 'Detector' ...``), and builds nested in it at the argument they came from
    (``model.backbone``). With ``cfg``, the config that holds the built cfgs, each build is
    reported at ``key`` plus where its cfg sits in ``cfg`` (``custom_hooks.1``), or at
    ``key`` when it is not found there. Inside a build (a constructor that builds a part), the
    key is relative to that build's key.

    ``Registry.build(cfg, key_path='model')`` does the same for one build.

    Args:
        key: Dotted key path; ``''`` adds nothing (useful with ``cfg``).
        cfg: Where builds inside the block find their cfgs (a dict or list); None: each
            build in the block is at ``key`` itself.

    Examples:
        >>> from mme.registry import Registry
        >>> PARTS = Registry('part', scope='demo_path')
        >>> @PARTS.register_module()
        ... class Wheel:
        ...     def __init__(self, size):
        ...         self.size = size
        >>> wheels = [dict(type='Wheel', size=1), dict(type='Wheel')]
        >>> with build_path('wheels', cfg=wheels):
        ...     try:
        ...         [PARTS.build(w) for w in wheels]
        ...     except TypeError as err:
        ...         print(str(err).split(':')[0])
        key 'wheels.1'
    """
    if not isinstance(key, str):
        raise RegistryTypeError(f"build_path key must be a str, got {type(key).__name__} {key!r}")
    token = _STACK.set((*_STACK.get(), _Name(key, _NOTHING if cfg is None else cfg)))
    try:
        yield
    finally:
        _STACK.reset(token)


@contextmanager
def push_frame(frame: BuildFrame) -> Generator[None, None, None]:
    """Within the block, ``frame`` is the innermost running build."""
    token = _STACK.set((*_STACK.get(), frame))
    try:
        yield
    finally:
        _STACK.reset(token)


def current_build_path() -> str | None:
    """The dotted config key of the innermost running build (or :func:`build_path` block).

    ``''`` is the cfg passed to a top-level ``build`` with no :func:`build_path` around it;
    None means nothing is being built, or the key cannot be told.

    Examples:
        >>> current_build_path() is None
        True
        >>> with build_path('model'):
        ...     current_build_path()
        'model'
    """
    stack = _STACK.get()
    return _path_of(stack) if stack else None


def outermost_build() -> bool:
    """Whether the innermost running build is the only one (no build around it)."""
    return sum(isinstance(item, BuildFrame) for item in _STACK.get()) <= 1


def _path_of(stack: tuple[_Name | BuildFrame, ...]) -> str | None:
    path = ""
    where: Any = _NOTHING  # what the next build's cfg is searched in
    previous: _Name | BuildFrame | None = None
    for item in stack:
        if isinstance(item, _Name):
            path = _join(path, item.key)
            where = item.cfg
            previous = item
            continue
        if where is not _NOTHING:
            found = locate(item.cfg, where)
            if found is not None:
                path = _join(path, found)
            elif not isinstance(previous, _Name):  # not among the arguments of the build around it
                return None
        previous = item
        where = item.args
    return path


def _join(prefix: str, key: str) -> str:
    if not key:
        return prefix
    return f"{prefix}.{key}" if prefix else key


def locate(target: Any, where: Any) -> str | None:
    """The dotted path of ``target`` inside ``where`` (``''`` for ``where`` itself), or None.

    Looked for as the same object, else as an equal dict, else as the only dict with the same
    ``type`` key.

    Examples:
        >>> backbone = dict(type='ResNet', depth=50)
        >>> args = dict(backbone=backbone, heads=[dict(type='A'), dict(type='B')])
        >>> locate(backbone, args), locate(dict(type='B'), args), locate(dict(type='B', n=1), args)
        ('backbone', 'heads.1', 'heads.1')
    """
    found = _search(where, lambda value: value is target)
    if found is None and isinstance(target, Mapping):
        found = _search(where, lambda value: _equal(value, target))
        if found is None:
            kind = _type_of(target)
            if kind is not _NOTHING:
                matches = _search_all(where, lambda value: _type_of(value) == kind)
                found = matches[0] if len(matches) == 1 else None
    return found


def _equal(value: Any, target: Mapping) -> bool:
    if not isinstance(value, Mapping):
        return False
    try:
        return bool(value == target)
    except Exception:  # noqa: BLE001 - values such as arrays may refuse to compare
        return False


def _type_of(value: Any) -> Any:
    if not isinstance(value, Mapping):
        return _NOTHING
    try:
        kind = value.get("type", _NOTHING)
        return kind if isinstance(kind, str) or callable(kind) else _NOTHING
    except Exception:  # noqa: BLE001 - an odd mapping
        return _NOTHING


def _children(value: Any) -> list[tuple[str, Any]]:
    if isinstance(value, dict):
        return [(str(k), v) for k, v in dict.items(value)]  # raw items: no lazy imports run
    if isinstance(value, Mapping):
        return [(str(k), v) for k, v in value.items()]
    if type(value) in (list, tuple):
        return [(str(i), v) for i, v in enumerate(value)]
    return []


def _search(where: Any, match: Any) -> str | None:
    found = _search_all(where, match, first=True)
    return found[0] if found else None


def _search_all(where: Any, match: Any, first: bool = False) -> list[str]:
    """Paths of the values in ``where`` (itself included) that ``match``, depth first."""
    found: list[str] = []
    seen: set[int] = set()

    def visit(value: Any, path: str, depth: int) -> bool:
        if match(value):
            found.append(path)
            if first:
                return True
        if depth >= _MAX_DEPTH or id(value) in seen:
            return False
        seen.add(id(value))
        return any(visit(child, _join(path, key), depth + 1) for key, child in _children(value))

    visit(where, "", 0)
    return found
