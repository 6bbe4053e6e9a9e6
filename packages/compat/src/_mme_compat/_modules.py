"""The modules of MMEngine's tree: empty modules whose names resolve to mme's objects on first use.

A ``CompatModule`` holds nothing until a name is touched; then it follows ``_tree`` (the module's
NAMES entry, then its child modules, then its sources in order), caches the object in the module
and returns it. So ``from mmengine import Config`` imports mme.config and no torch, and every path
hands out the same object: ``mmengine.runner.checkpoint.load_checkpoint is mme.runner.load_checkpoint``.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import Any

from . import _tree
from ._finder import SWITCH
from ._mmengine_version import MMENGINE_VERSION

_MISSING: Any = object()
_VERSIONED = {"mmengine", "mmengine.version"}  # the modules that carry __version__, as in MMEngine


class Tree:
    """``_tree``'s data, parsed, with the name lookups over it (cached per source module)."""

    def __init__(self) -> None:
        self.origin = _tree.__file__
        self.sources: dict[str, tuple[str, ...]] = {}
        self.exported: dict[str, tuple[str, ...]] = {}
        for path, spec in _tree.TREE.items():
            exported, _, lookup = spec.partition("|")
            self.exported[path] = tuple(exported.split())
            self.sources[path] = self.exported[path] + tuple(lookup.split())
        self.names = _tree.NAMES
        self.children: dict[str, frozenset[str]] = {
            path: frozenset(p.rpartition(".")[2] for p in self.sources if p.rpartition(".")[0] == path)
            for path in self.sources
        }
        self._source_names: dict[str, frozenset[str]] = {}
        self._public: dict[str, list[str]] = {}

    def named(self, path: str, name: str) -> Any:
        """The object NAMES gives ``path`` as ``name``, or ``_MISSING``."""
        target = self.names.get(path, {}).get(name)
        if target is None:
            return _MISSING
        module, _, attr = target.partition(":")
        value = self._get(module, attr)
        if value is _MISSING and attr.startswith("_") and module not in self.sources:
            # a private object (``_load_checkpoint``) is outside its mme module's __all__
            value = getattr(sys.modules.get(module), attr, _MISSING)
        return value

    def lookup(self, path: str, name: str) -> Any:
        """What the tree module ``path`` provides as ``name`` (child modules aside), or ``_MISSING``."""
        value = self.named(path, name)
        if value is not _MISSING:
            return value
        for source in self.sources[path]:
            value = self._get(source, name)
            if value is not _MISSING:
                return value
        return _MISSING

    def _get(self, source: str, name: str) -> Any:
        if source in self.sources:
            return self.lookup(source, name)
        if name not in self.source_names(source):
            return _MISSING
        return getattr(sys.modules[source], name)

    def source_names(self, source: str) -> frozenset[str]:
        """The names an mme module provides: its ``__all__`` without ``__version__``."""
        names = self._source_names.get(source)
        if names is None:
            try:
                module = importlib.import_module(source)
            except ModuleNotFoundError as exc:
                # an mme package that does not exist (yet) provides nothing; a module missing
                # anywhere else is a real error
                if exc.name is None or not (source == exc.name or source.startswith(exc.name + ".")):
                    raise
                names = frozenset()
            else:
                public = getattr(module, "__all__", None)
                if public is None:
                    public = [n for n in vars(module) if not n.startswith("_")]
                names = frozenset(public) - {"__version__"}
            self._source_names[source] = names
        return names

    def public(self, path: str) -> list[str]:
        """``__all__`` of a tree module: its exported sources' names, then its NAMES that resolve."""
        names = self._public.get(path)
        if names is None:
            seen: dict[str, None] = {}
            for source in self.exported[path]:
                names_there = self.public(source) if source in self.sources else sorted(self.source_names(source))
                seen.update(dict.fromkeys(names_there))
            seen.update(dict.fromkeys(n for n in self.names.get(path, {}) if self.lookup(path, n) is not _MISSING))
            names = self._public[path] = list(seen)
        return names

    def describe(self, path: str) -> str:
        return ", ".join(self.sources[path]) or "no mme module"


TREE = Tree()


class CompatModule(types.ModuleType):
    """A module of MMEngine's tree; its names resolve to mme's objects on first access."""

    def __getattr__(self, name: str) -> Any:
        path = self.__name__
        if name == "__all__":
            value: Any = TREE.public(path)
        elif name.startswith("__") and name.endswith("__"):
            raise AttributeError(f"module {path!r} has no attribute {name!r}", name=name, obj=self)
        elif name in TREE.children[path] and TREE.named(path, name) is _MISSING:
            value = importlib.import_module(f"{path}.{name}")
        else:
            value = TREE.lookup(path, name)
            if value is _MISSING:
                raise _not_provided(self, name, sys._getframe(1))
        setattr(self, name, value)
        return value

    def __setattr__(self, name: str, value: Any) -> None:
        # the import system binds a child module on its parent once imported; a NAMES entry of
        # that name keeps its object, as MMEngine's package binding does
        if isinstance(value, types.ModuleType) and value.__name__ == f"{self.__name__}.{name}":
            named = TREE.named(self.__name__, name)
            if named is not _MISSING:
                value = named
        super().__setattr__(name, value)

    def __dir__(self) -> list[str]:
        return sorted(set(vars(self)) | set(TREE.public(self.__name__)) | TREE.children[self.__name__])


# MMEngine packages whose import fills the root registries (they import mmengine.runner's stack)
_REGISTERING = frozenset({"runner", "hooks", "optim", "model", "dataset", "evaluator", "visualization", "_strategy"})


def init_module(module: types.ModuleType) -> None:
    """Give a new tree module its docstring and, where MMEngine's has one, ``__version__``.

    Under a package of MMEngine's training stack, mme.runner is imported (it is light: it
    declares where every built-in class is registered, and the registries import those modules
    on their first lookup), so that ``import mmengine.runner`` then ``LOOPS.get(...)`` works.
    """
    path = module.__name__
    module.__doc__ = f"MMEngine's {path}, provided by mme-compat: mme's objects, from {TREE.describe(path)}."
    if path in _VERSIONED:
        module.__version__ = MMENGINE_VERSION  # type: ignore[attr-defined]
    if path.split(".")[1:2] and path.split(".")[1] in _REGISTERING:
        importlib.import_module("mme.runner")


def _not_provided(module: types.ModuleType, name: str, caller: types.FrameType) -> Exception:
    path = module.__name__
    message = (
        f"{path}.{name} is not provided by mme yet (mme-compat looks names of {path} up in "
        f"{TREE.describe(path)}); set {SWITCH}=0 to use an installed MMEngine instead"
    )
    if _is_import_from(caller):
        # `from mmengine.x import name`: Python would replace an AttributeError by a bare
        # "cannot import name", so say why here
        return ImportError(f"cannot import name {name!r} from {path!r}: {message}", name=path)
    return AttributeError(f"module {path!r} has no attribute {name!r}: {message}", name=name, obj=module)


def _is_import_from(frame: types.FrameType) -> bool:
    """Whether ``frame`` is executing a ``from ... import name`` (CPython's IMPORT_FROM instruction)."""
    import opcode

    try:
        return frame.f_code.co_code[frame.f_lasti] == opcode.opmap["IMPORT_FROM"]
    except (IndexError, KeyError):  # an interpreter without it: the AttributeError still names the module
        return False
