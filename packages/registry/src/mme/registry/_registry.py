"""The Registry: a named table of classes and functions that builds objects from configs."""

from __future__ import annotations

import importlib
import logging
import sys
from collections.abc import Callable, Generator, Iterable, Sequence
from contextlib import contextmanager
from typing import Any

from mme.utils import get_object_from_string, is_seq_of

from ._build_path import build_path
from ._default_scope import DefaultScope
from ._errors import AlreadyRegisteredError, RegistryImportError, RegistryTypeError, RegistryValueError
from ._lookup import not_registered_error

__all__ = ["Registry"]

logger = logging.getLogger(__name__)

_MISSING: Any = object()
NOT_FOUND: Any = object()
_WARNED_SCOPES: set[tuple[str, str, str]] = set()  # (root scope, name, default scope) warned about once


class Registry:
    """Maps names to classes or functions and builds objects from configs.

    Registries form a tree: a downstream library declares a child of a root registry with its
    own scope (``Registry('model', parent=mme.registry.MODELS, scope='mylib')``). A child finds
    its parents' modules by plain name; any registry of the tree finds a child's modules as
    ``'mylib.Name'``; and a config's ``_scope_`` key, or the current :class:`DefaultScope`,
    chooses which registry of the tree builds it.

    ``build_func`` is a plain, settable attribute that children resolve when they build: a
    registry created without one uses its parent's *current* ``build_func`` (up to the root,
    and :func:`build_from_cfg` when nobody set one). Layers that need torch attach their
    builders after the fact (``MODELS.build_func = build_model_from_cfg``), and every child,
    including one created before that assignment, builds with them. Setting ``build_func`` back
    to None makes a registry inherit again.

    Modules listed in ``locations`` (or added later with :meth:`add_locations`) are imported on
    the first lookup (``get``, ``build``, ``in``, ``len``, :attr:`module_dict`), so the classes
    they register need not be imported by hand.

    Args:
        name: Name of the registry, e.g. ``'model'``.
        build_func: Function ``f(cfg, *args, registry=..., **kwargs)`` that ``build`` calls.
            None inherits the parent's, as described above.
        parent: Parent registry, or None for a root.
        scope: Scope of the registry, normally the top-level package that declares it. None
            infers it from the calling module's top-level package.
        locations: Modules to import on the first lookup.

    Examples:
        >>> CONVERTERS = Registry('converter', scope='demo')
        >>> @CONVERTERS.register_module()
        ... class Upper:
        ...     def __init__(self, suffix=''):
        ...         self.suffix = suffix
        ...     def __call__(self, text):
        ...         return text.upper() + self.suffix
        >>> CONVERTERS.build(dict(type='Upper', suffix='!'))('hi')
        'HI!'
        >>> CONVERTERS.get('demo.Upper') is Upper
        True
    """

    def __init__(
        self,
        name: str,
        build_func: Callable[..., Any] | None = None,
        parent: Registry | None = None,
        scope: str | None = None,
        locations: Sequence[str] = (),
    ) -> None:
        if not isinstance(name, str) or not name:
            raise RegistryTypeError(f"a registry name must be a non-empty str, got {name!r}")
        self._name = name
        self._module_dict: dict[str, Any] = {}
        self._children: dict[str, Registry] = {}
        if isinstance(locations, str):
            locations = [locations]
        if not is_seq_of(locations, str):
            raise RegistryTypeError(f"locations of registry {name!r} must be a list of module names, got {locations!r}")
        self._locations = list(locations)
        self._imported = False
        if scope is None:
            scope = self.infer_scope()
        if not isinstance(scope, str) or not scope or "." in scope:
            raise RegistryValueError(f"scope of registry {name!r} must be a non-empty str without dots, got {scope!r}")
        self._scope = scope
        self._build_func: Callable[..., Any] | None = None
        self.build_func = build_func
        self.parent: Registry | None = None
        if parent is not None:
            if not isinstance(parent, Registry):
                raise RegistryTypeError(f"parent of registry {name!r} must be a Registry, got {type(parent).__name__}")
            parent._add_child(self)
            self.parent = parent

    # -- description -------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.module_dict)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.get(key, None) is not None

    def __repr__(self) -> str:
        self.import_from_location()
        head = f"Registry(name={self._name!r}, scope={self._scope!r}, items={len(self._module_dict)})"
        rows = [f"  {key}: {_describe(obj)}" for key, obj in self._module_dict.items()]
        return "\n".join([head, *rows])

    @property
    def name(self) -> str:
        """Name of the registry."""
        return self._name

    @property
    def scope(self) -> str:
        """Scope of the registry."""
        return self._scope

    @property
    def module_dict(self) -> dict[str, Any]:
        """The registered names and objects of this registry alone (not its parents).

        Reading it imports the :attr:`locations` first, as a lookup does.
        """
        self.import_from_location()
        return self._module_dict

    @property
    def children(self) -> dict[str, Registry]:
        """Child registries by scope."""
        return self._children

    @property
    def locations(self) -> list[str]:
        """Modules imported on the first lookup."""
        return list(self._locations)

    def add_locations(self, *locations: str) -> None:
        """Import these modules too on the next lookup.

        A package whose modules register here declares them when it is imported, without
        importing them: ``import mme.runner`` stays cheap, and ``LOOPS.get(...)`` after it finds
        the loops.
        """
        if not is_seq_of(locations, str) or not all(locations):
            raise RegistryTypeError(f"locations of registry {self._name!r} must be module names, got {locations!r}")
        new = [location for location in locations if location not in self._locations]
        if new:
            self._locations.extend(new)
            self._imported = False

    @property
    def root(self) -> Registry:
        """The root of this registry's tree."""
        return self._get_root_registry()

    @property
    def build_func(self) -> Callable[..., Any]:
        """The function ``build`` calls: this registry's own, else the nearest ancestor's."""
        registry: Registry | None = self
        while registry is not None:
            if registry._build_func is not None:
                return registry._build_func
            registry = registry.parent
        from ._build import build_from_cfg  # same wheel; _build imports this module

        return build_from_cfg

    @build_func.setter
    def build_func(self, func: Callable[..., Any] | None) -> None:
        if func is not None and not callable(func):
            raise RegistryTypeError(f"build_func of registry {self._name!r} must be callable or None, got {func!r}")
        self._build_func = func

    # -- tree --------------------------------------------------------------------------------
    @staticmethod
    def infer_scope() -> str:
        """Return the top-level package of the module that creates the registry (or calls this).

        Frames of ``Registry.__init__`` (and of subclasses' ``__init__``) are skipped. When no
        module can be found, ``'mme'`` is returned and a warning is logged.
        """
        frame = sys._getframe(1)
        while frame is not None:
            module_name = frame.f_globals.get("__name__")
            in_init = frame.f_code.co_name == "__init__" and isinstance(frame.f_locals.get("self"), Registry)
            if module_name != __name__ and not in_init:
                break
            frame = frame.f_back  # type: ignore[assignment]
        if frame is None or not module_name:
            logger.warning("could not infer the scope of a registry; using 'mme'. Pass scope=... to silence this")
            return "mme"
        return str(module_name).split(".")[0]

    @staticmethod
    def split_scope_key(key: str) -> tuple[str | None, str]:
        """Split ``'scope.Name'`` into ``('scope', 'Name')``; a key without a dot gives ``(None, key)``."""
        scope, dot, rest = key.partition(".")
        return (scope, rest) if dot else (None, key)

    def _get_root_registry(self) -> Registry:
        registry = self
        while registry.parent is not None:
            registry = registry.parent
        return registry

    def _add_child(self, registry: Registry) -> None:
        """Add ``registry`` as a child under its scope."""
        if not isinstance(registry, Registry):
            raise RegistryTypeError(f"a child of registry {self._name!r} must be a Registry, got {registry!r}")
        if registry.scope == self._scope:
            raise RegistryValueError(
                f"a child of the {self._name!r} registry needs a scope other than its parent's ({self._scope!r}); "
                "pass scope='<your package>'"
            )
        existing = self._children.get(registry.scope)
        if existing is not None and existing is not registry:
            raise RegistryValueError(
                f"the {self._name!r} registry (scope {self._scope!r}) already has a child with scope "
                f"{registry.scope!r} (registry {existing.name!r}); scopes must be unique among children"
            )
        self._children[registry.scope] = registry

    def _search_child(self, scope: str) -> Registry | None:
        """Return the registry of this subtree (this one included) whose scope is ``scope``."""
        if self._scope == scope:
            return self
        for child in self._children.values():
            found = child._search_child(scope)
            if found is not None:
                return found
        return None

    def _registry_for_scope(self, scope: str) -> Registry | None:
        """The registry of this tree with ``scope``, importing ``<scope>.registry`` if needed."""
        if scope == self._scope:
            return self
        found = self._children.get(scope) or self.root._search_child(scope)
        if found is None and _import_scope_registry(scope):
            found = self.root._search_child(scope)
        return found

    def import_from_location(self) -> None:
        """Import the modules in ``locations`` once (they register their classes here)."""
        if self._imported:
            return
        self._imported = True  # set first: a location may look things up while it imports
        for location in self._locations:
            try:
                importlib.import_module(location)
            except ImportError as err:
                self._imported = False
                raise RegistryImportError(
                    f"the {self._name!r} registry (scope {self._scope!r}) could not import its location "
                    f"{location!r}: {type(err).__name__}: {err}",
                    name=location,
                ) from err
            except BaseException:
                self._imported = False
                raise
            logger.debug("imported %s for the %r registry of scope %r", location, self._name, self._scope)

    @contextmanager
    def switch_scope_and_registry(self, scope: str | None) -> Generator[Registry, None, None]:
        """Within the block, make ``scope`` the default scope and yield the registry to build with.

        The yielded registry is the one of this tree whose scope is the current default scope
        (``scope`` if given), or this registry when there is no default scope or no such registry
        (logged as a warning once per registry name and scope).
        """
        with DefaultScope.overwrite_default_scope(scope):
            current = DefaultScope.get_current_instance()
            registry: Registry = self
            if current is not None:
                found = self._registry_for_scope(current.scope_name)
                if found is None:
                    seen = (self.root.scope, self._name, current.scope_name)
                    log = logger.debug if seen in _WARNED_SCOPES else logger.warning
                    _WARNED_SCOPES.add(seen)
                    log(
                        "no %r registry with scope %r in the tree of scope %r; building with the one of scope %r",
                        self._name,
                        current.scope_name,
                        self.root.scope,
                        self._scope,
                    )
                else:
                    registry = found
            yield registry

    # -- registration ------------------------------------------------------------------------
    def register_module(
        self,
        name: str | Sequence[str] | None = None,
        force: bool = False,
        module: Any = None,
    ) -> Any:
        """Register a class or function, as a decorator or as a call.

        Forms: ``@REG.register_module()``, ``@REG.register_module('Alias')``,
        ``@REG.register_module(['A', 'B'])``, ``@REG.register_module(force=True)``,
        ``REG.register_module(module=cls)``, ``REG.register_module('Alias', module=cls)``, and the
        bare ``@REG.register_module`` (an mme addition).

        Args:
            name: Name or names to register under; the object's ``__name__`` when None.
            force: Replace a different object already registered under a name. Without it a
                clash raises :class:`AlreadyRegisteredError` (registering the same object under
                the same name again is a no-op).
            module: The object to register now; None returns a decorator.

        Returns:
            ``module`` when given, else a decorator that registers and returns its argument.
        """
        if not isinstance(force, bool):
            raise RegistryTypeError(f"force must be a bool, got {force!r}")
        if name is not None and not isinstance(name, str) and not is_seq_of(name, str):
            if module is None and callable(name) and not force:  # bare @REG.register_module
                self._register_module(name)
                return name
            raise RegistryTypeError(
                f"name must be None, a str or a sequence of str, got {type(name).__name__} {name!r}"
            )
        if module is not None:
            self._register_module(module, name, force)
            return module

        def _register(obj: Any) -> Any:
            self._register_module(obj, name, force)
            return obj

        return _register

    def _register_module(
        self, module: Any, module_name: str | Iterable[str] | None = None, force: bool = False
    ) -> None:
        if not callable(module):
            raise RegistryTypeError(
                f"only classes and functions can be registered in the {self._name!r} registry, "
                f"got {type(module).__name__} {module!r}"
            )
        if module_name is None:
            module_name = getattr(module, "__name__", None)
            if not isinstance(module_name, str):
                raise RegistryTypeError(f"{module!r} has no __name__; register it with name='...'")
        names = [module_name] if isinstance(module_name, str) else list(module_name)
        for key in names:
            if not key or "." in key:
                raise RegistryValueError(
                    f"cannot register {key!r} in the {self._name!r} registry: a name must be non-empty and "
                    "have no dot (get() reads 'scope.Name' and 'package.module.Name')"
                )
            existing = self._module_dict.get(key, _MISSING)
            if existing is not _MISSING and existing is not module and not force:
                raise AlreadyRegisteredError(
                    f"{key!r} is already registered in the {self._name!r} registry (scope {self._scope!r}) "
                    f"as {_describe(existing)}; pass force=True to replace it with {_describe(module)}"
                )
        for key in names:
            self._module_dict[key] = module

    # -- lookup and build --------------------------------------------------------------------
    def get(self, key: str, default: Any = _MISSING) -> Any:
        """Return the object registered as ``key``.

        ``key`` is ``'Name'`` (this registry, then its parents), ``'scope.Name'`` (the registry
        of this tree with that scope, then its parents) or a dotted import path
        ``'package.module.Name'`` (used when nothing registered matches).

        Args:
            key: What to look up.
            default: Returned when nothing matches. Without it a failed lookup raises.

        Raises:
            NotRegisteredError: (a KeyError) nothing matches and no default was given. The
                message names this registry and scope, close matches and where it searched.
        """
        if not isinstance(key, str) or not key:
            raise RegistryTypeError(f"a registry key must be a non-empty str, got {key!r}")
        obj, searched = self._get_with_trail(key)
        if obj is not NOT_FOUND:
            return obj
        if default is not _MISSING:
            return default
        raise not_registered_error(self, key, searched)

    def _get_with_trail(self, key: str) -> tuple[Any, list[Registry]]:
        """Look ``key`` up; return the object (or NOT_FOUND) and the registries searched."""
        searched: list[Registry] = []
        scope, real_key = self.split_scope_key(key)
        obj = NOT_FOUND
        if scope is None:
            obj = self._find(key, searched)
        else:
            target = self._registry_for_scope(scope)
            if target is not None:
                obj = target._find(real_key, searched)
            if obj is NOT_FOUND:
                found = get_object_from_string(key)
                if found is not None:
                    obj = found
        if obj is not NOT_FOUND:
            logger.debug("found %r in the %r registry of scope %r", key, self._name, self._scope)
        return obj, searched

    def _find(self, key: str, searched: list[Registry]) -> Any:
        registry: Registry | None = self
        while registry is not None:
            registry.import_from_location()
            searched.append(registry)
            if key in registry._module_dict:
                return registry._module_dict[key]
            registry = registry.parent
        return NOT_FOUND

    def build(self, cfg: Any, *args: Any, key_path: str | None = None, **kwargs: Any) -> Any:
        """Build an object from ``cfg`` with :attr:`build_func` (``build_from_cfg`` by default).

        Extra arguments go to the build function, e.g. ``default_args=dict(...)``.

        Args:
            cfg: The config to build.
            key_path: The config key ``cfg`` sits at (``'model'``, ``'custom_hooks.1'``),
                named by errors of this build and of the builds nested in it
                (``key 'model.backbone': failed to build ...``); relative to the build
                running around this one, if any. Same as
                ``with build_path(key_path, cfg=cfg):``.
        """
        if key_path is None:
            return self.build_func(cfg, *args, **kwargs, registry=self)
        with build_path(key_path, cfg=cfg):  # a list cfg (an nn.Sequential) gives 'model.0', ...
            return self.build_func(cfg, *args, **kwargs, registry=self)


def _describe(obj: Any) -> str:
    module = getattr(obj, "__module__", None)
    name = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None) or repr(obj)
    return f"{module}.{name}" if module else str(name)


def _import_scope_registry(scope: str) -> bool:
    """Import ``<scope>.registry`` (where a library declares its child registries) if it exists."""
    module_name = f"{scope}.registry"
    if module_name in sys.modules:
        return False
    try:
        importlib.import_module(module_name)
    except ImportError as err:
        missing = err.name or ""
        if missing and (missing == module_name or module_name.startswith(missing + ".")):
            logger.debug("no module %s to import for scope %r", module_name, scope)
            return False
        raise RegistryImportError(
            f"importing {module_name!r} to find the registries of scope {scope!r} failed: {type(err).__name__}: {err}",
            name=module_name,
        ) from err
    logger.debug("imported %s for scope %r", module_name, scope)
    return True
