"""``build_from_cfg``: construct an object from a ``dict(type=..., **kwargs)`` config."""

from __future__ import annotations

import inspect
import logging
from collections.abc import Mapping
from typing import Any

from mme.config._lazy import build_lazy
from mme.utils import ManagerMixin

from ._build_path import BuildFrame, current_build_path, outermost_build, push_frame
from ._errors import BuildError, MissingTypeError, RegistryError, RegistryTypeError, make_build_error
from ._lookup import not_registered_error
from ._registry import NOT_FOUND, Registry

__all__ = ["build_from_cfg"]

logger = logging.getLogger(__name__)


def build_from_cfg(cfg: Any, registry: Registry, default_args: Any = None) -> Any:
    """Build an object from a config.

    ``cfg['type']`` (or ``default_args['type']``) names what to build: a key the registry
    resolves (``'Name'``, ``'scope.Name'``, ``'package.module.Name'``) or the class or callable
    itself. The other keys, completed by ``default_args``, are its keyword arguments. A
    ``ManagerMixin`` subclass is created with ``get_instance(name=cfg['name'], ...)``.

    ``_scope_`` in ``cfg`` makes that scope the default scope while building, which picks the
    registry of the tree with that scope. When the registry chosen by the default scope lacks
    the type, the registry passed in (and its parents) is searched as well.

    Errors name the config key being built when it is known (``key 'model.backbone': ...``):
    the key given to :func:`~mme.registry.build_path` around the build, and for builds nested
    in a constructor, the argument their cfg came from.

    Args:
        cfg: A dict, ConfigDict, Config or any other mapping.
        registry: The registry to resolve the type in.
        default_args: Arguments used where ``cfg`` does not set them.

    Returns:
        The built object.

    Raises:
        MissingTypeError: neither ``cfg`` nor ``default_args`` has ``type`` (a KeyError).
        NotRegisteredError: the type is not found (a KeyError).
        BuildError: the constructor raised. The error is also an instance of the original
            exception's type, names the config key, the type being built and the registry,
            and is chained to the original with ``from``.
        RegistryTypeError: a bad argument type (a TypeError).

    Examples:
        >>> from mme.registry import Registry
        >>> SHAPES = Registry('shape', scope='demo')
        >>> @SHAPES.register_module()
        ... class Square:
        ...     def __init__(self, side):
        ...         self.side = side
        >>> build_from_cfg(dict(type='Square'), SHAPES, default_args=dict(side=2)).side
        2
    """
    frame = BuildFrame(cfg)
    with push_frame(frame):
        try:
            return _build(cfg, registry, default_args, frame)
        except BuildError:
            raise
        except RegistryError as err:  # this build's own lookup or argument error
            _add_key_path(err)
            raise


def _build(cfg: Any, registry: Registry, default_args: Any, frame: BuildFrame) -> Any:
    args = _as_dict(cfg, "cfg")
    defaults = _as_dict(default_args, "default_args") if default_args is not None else {}
    if not isinstance(registry, Registry):
        raise RegistryTypeError(f"registry must be a mme.registry.Registry, got {type(registry).__name__}")
    if "type" not in args and "type" not in defaults:
        raise MissingTypeError(
            f"a config built by the {registry.name!r} registry (scope {registry.scope!r}) needs a 'type' key "
            f"(in the config or default_args); got keys {sorted(map(str, args))}"
        )
    for key, value in defaults.items():
        args.setdefault(key, value)
    frame.args = args
    scope = args.pop("_scope_", None)
    with registry.switch_scope_and_registry(scope) as switched:
        # A class imported by a pure-Python config arrives lazy when the cfg is a plain dict.
        obj_type = build_lazy(args.pop("type"))
        if isinstance(obj_type, str):
            obj_cls = _resolve(obj_type, switched, registry)
            type_name = obj_type
        elif callable(obj_type):
            obj_cls = obj_type
            type_name = getattr(obj_type, "__qualname__", None) or repr(obj_type)
        else:
            raise RegistryTypeError(
                f"'type' in a config built by the {registry.name!r} registry must be a str or a class/callable, "
                f"got {type(obj_type).__name__} {obj_type!r}"
            )
        try:
            if inspect.isclass(obj_cls) and issubclass(obj_cls, ManagerMixin):
                if "name" not in args:
                    raise TypeError(
                        f"{obj_cls.__name__} is a ManagerMixin and is built with get_instance(name=...); "
                        "its config needs a 'name' key"
                    )
                obj = obj_cls.get_instance(**args)
            else:
                obj = obj_cls(**args)
        except Exception as err:
            raise _wrap(err, type_name, switched) from err
    logger.debug("built %s with the %r registry of scope %r", type_name, switched.name, switched.scope)
    return obj


def _as_dict(cfg: Any, what: str) -> dict[str, Any]:
    """A shallow, mutable copy of a mapping-like config.

    The copy goes through the config's own ``items()`` (a ``ConfigDict`` resolves lazily
    imported objects there), or ``keys()`` and ``[]`` for objects that only have those.
    """
    if isinstance(cfg, Mapping) or (callable(getattr(cfg, "items", None)) and hasattr(cfg, "__getitem__")):
        return dict(cfg.items())
    if callable(getattr(cfg, "keys", None)) and hasattr(cfg, "__getitem__"):
        return {key: cfg[key] for key in cfg.keys()}
    raise RegistryTypeError(f"{what} must be a dict, ConfigDict or Config, got {type(cfg).__name__} {cfg!r}")


def _resolve(key: str, switched: Registry, registry: Registry) -> Any:
    """Find ``key`` in the registry of the default scope, then in the registry passed in."""
    obj, searched = switched._get_with_trail(key)
    notes: list[str] = []
    if obj is NOT_FOUND and switched is not registry:
        notes.append(
            f"the default scope {switched.scope!r} picked the {switched.name!r} registry of that scope; "
            f"then the registry passed to build (scope {registry.scope!r}) was searched"
        )
        obj, more = registry._get_with_trail(key)
        searched += [reg for reg in more if reg not in searched]
    if obj is NOT_FOUND:
        raise not_registered_error(switched, key, searched, notes)
    return obj


def _add_key_path(err: RegistryError) -> None:
    """Tell ``err``, raised by the running build itself, which config key was being built.

    The key is kept as ``err.key_path``; for a top-level build it also starts the message
    (a nested build's error is wrapped by the build around it, whose message names it).
    """
    if getattr(err, "key_path", None) is not None:
        return
    key_path = current_build_path()
    err.key_path = key_path  # type: ignore[attr-defined]
    if key_path and outermost_build() and err.args and isinstance(err.args[0], str):
        err.args = (f"key '{key_path}': {err.args[0]}", *err.args[1:])


def _wrap(err: Exception, type_name: str, registry: Registry) -> BuildError:
    """The BuildError for ``err`` raised while building ``type_name``."""
    step = (type_name, registry.name, registry.scope)
    if isinstance(err, BuildError):
        path = (step, *err.path)
        original: BaseException = err.original if err.original is not None else err
        key_path = err.key_path
    else:
        path = (step,)
        original = err
        key_path = getattr(err, "key_path", None) if isinstance(err, RegistryError) else None
    if key_path is None:
        key_path = current_build_path()
    route = " -> ".join(f"{name!r} (registry {reg!r}, scope {scope!r})" for name, reg, scope in path)
    message = f"failed to build {route}: {type(original).__name__}: {original}"
    if key_path:
        message = f"key '{key_path}': {message}"
    error = make_build_error(type(original), message, original, path, key_path)
    for attr, value in vars(original).items():
        error.__dict__.setdefault(attr, value)
    return error
