"""The default scope: which registry of a registry tree builds when a config gives no scope."""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from mme.utils import ManagerMixin

from ._errors import RegistryTypeError

__all__ = ["DefaultScope", "init_default_scope"]

logger = logging.getLogger(__name__)

_OVERWRITE_IDS = itertools.count()


class DefaultScope(ManagerMixin):
    """Names the scope (``'mme'``, ``'mmdet'``, ...) that registries build from by default.

    The current instance (the most recently created or requested one) decides: when a root
    registry such as ``mme.registry.MODELS`` builds a config, it looks the type up in the child
    registry whose scope is the current ``scope_name`` (falling back to itself), so a
    downstream library that calls ``init_default_scope('mylib')`` finds its own modules under
    their plain names.

    Args:
        name: Name of the instance.
        scope_name: The scope, normally the top-level package of a library.

    Examples:
        >>> scope = DefaultScope.get_instance("task", scope_name="mme")
        >>> DefaultScope.get_current_instance().scope_name
        'mme'
        >>> with DefaultScope.overwrite_default_scope("mylib"):
        ...     DefaultScope.get_current_instance().scope_name
        'mylib'
        >>> DefaultScope.get_current_instance().scope_name
        'mme'
        >>> DefaultScope.reset()
    """

    def __init__(self, name: str, scope_name: str) -> None:
        if not isinstance(scope_name, str) or not scope_name:
            raise RegistryTypeError(f"DefaultScope scope_name must be a non-empty str, got {scope_name!r}")
        super().__init__(name)
        self._scope_name = scope_name

    @property
    def scope_name(self) -> str:
        """The scope this instance names."""
        return self._scope_name

    @classmethod
    def get_current_instance(cls) -> DefaultScope | None:  # type: ignore[override]
        """Return the current default scope, or None when none has been created."""
        if not cls._instance_dict:
            return None
        return super().get_current_instance()

    @classmethod
    @contextmanager
    def overwrite_default_scope(cls, scope_name: str | None) -> Iterator[None]:
        """Make ``scope_name`` the current default scope inside a ``with`` block.

        ``None`` leaves the current scope as it is. On exit the instances that existed before are
        restored, in their order, and the temporary one is dropped.
        """
        if scope_name is None:
            yield
            return
        saved: list[tuple[str, Any]] = list(cls._instance_dict.items())
        cls.get_instance(f"overwrite-{scope_name}-{next(_OVERWRITE_IDS)}", scope_name=scope_name)
        try:
            yield
        finally:
            cls._instance_dict.clear()
            cls._instance_dict.update(saved)

    def __repr__(self) -> str:
        return f"DefaultScope(name={self.instance_name!r}, scope_name={self._scope_name!r})"


def init_default_scope(scope: str) -> None:
    """Make ``scope`` the current default scope, creating an instance named after it if needed.

    Args:
        scope: The scope, e.g. ``'mme'`` or a downstream library's top-level package name.
    """
    if not isinstance(scope, str) or not scope:
        raise RegistryTypeError(f"init_default_scope needs a non-empty str scope, got {scope!r}")
    current = DefaultScope.get_current_instance()
    if current is not None and current.scope_name != scope:
        logger.info("switching the default scope from %r to %r", current.scope_name, scope)
    if DefaultScope.check_instance_created(scope):
        existing = DefaultScope.get_instance(scope)  # also makes it the current instance
        if existing.scope_name == scope:
            return
    DefaultScope.get_instance(scope, scope_name=scope)
