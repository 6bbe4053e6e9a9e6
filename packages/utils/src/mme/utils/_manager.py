"""Named global instances: ``ManagerMixin`` and its metaclass."""

from __future__ import annotations

import inspect
import logging
import threading
import weakref
from collections import OrderedDict
from typing import Any, TypeVar

logger = logging.getLogger(__name__)

_LOCK = threading.RLock()
_T = TypeVar("_T", bound="ManagerMixin")


class ManagerMeta(type):
    """Gives every managed class its own ordered table of named instances.

    The class's ``__init__`` must accept a ``name`` argument, which becomes the instance name.
    """

    _managed: weakref.WeakSet[ManagerMeta] = weakref.WeakSet()

    def __init__(cls, *args: Any) -> None:
        super().__init__(*args)
        cls._instance_dict: OrderedDict[str, Any] = OrderedDict()
        params = inspect.signature(cls.__init__).parameters  # type: ignore[misc]
        if "name" not in params:
            raise TypeError(f"{cls.__qualname__}.__init__ must accept a `name` argument to be managed")
        ManagerMeta._managed.add(cls)


class ManagerMixin(metaclass=ManagerMeta):
    """Gives a class named global instances.

    Every instance registers itself under its name when constructed, so the most recently created
    one is the *current* instance. Unlike MMEngine, creating a second instance with a name that is
    already taken replaces the old one instead of failing, which lets two Runners or Visualizers live
    in one process one after the other.

    Args:
        name: Name of the instance.

    Examples:
        >>> class Board(ManagerMixin):
        ...     def __init__(self, name: str = "", size: int = 1):
        ...         super().__init__(name)
        ...         self.size = size
        >>> b = Board.get_instance("main", size=3)
        >>> Board.get_current_instance() is b
        True
        >>> Board.get_instance("main").size
        3
        >>> Board.reset()
    """

    def __init__(self, name: str = "", **kwargs: Any) -> None:
        if not isinstance(name, str) or not name:
            raise ValueError(f"{type(self).__name__} needs a non-empty string name, got {name!r}")
        self._instance_name = name
        # as in MMEngine, a managed base class sees its subclasses' instances too (mmpretrain's
        # hooks call ``Visualizer.get_current_instance()`` to get the runner's UniversalVisualizer)
        managed = [c for c in type(self).__mro__ if isinstance(c, ManagerMeta) and c is not ManagerMixin]
        with _LOCK:
            for cls in managed:
                if name in cls._instance_dict:
                    logger.debug("replacing %s instance %r", cls.__name__, name)
                    del cls._instance_dict[name]
                cls._instance_dict[name] = self

    @classmethod
    def get_instance(cls: type[_T], name: str, **kwargs: Any) -> _T:
        """Return the instance called ``name``, creating it with ``kwargs`` if it does not exist.

        If an instance with that name exists and ``kwargs`` are given, a new instance is created
        from them and replaces the old one (MMEngine would silently return the stale instance).
        """
        if not isinstance(name, str) or not name:
            raise ValueError(f"{cls.__name__}.get_instance needs a non-empty string name, got {name!r}")
        with _LOCK:
            existing = cls._instance_dict.get(name)
            if existing is not None and not kwargs:
                cls._instance_dict.move_to_end(name)
                return existing
            return cls(name=name, **kwargs)

    @classmethod
    def get_current_instance(cls: type[_T]) -> _T:
        """Return the most recently created or requested instance."""
        with _LOCK:
            if not cls._instance_dict:
                raise RuntimeError(
                    f"no {cls.__name__} instance exists yet; create one or call "
                    f"{cls.__name__}.get_instance(name=...) first"
                )
            return next(reversed(cls._instance_dict.values()))

    @classmethod
    def check_instance_created(cls, name: str) -> bool:
        """Whether an instance called ``name`` exists."""
        return name in cls._instance_dict

    @classmethod
    def reset(cls) -> None:
        """Drop the instances of this class, or of every managed class when called on ManagerMixin."""
        with _LOCK:
            if cls is ManagerMixin:
                for managed in list(ManagerMeta._managed):
                    managed._instance_dict.clear()
            else:
                cls._instance_dict.clear()

    @property
    def instance_name(self) -> str:
        """The name this instance is registered under."""
        return self._instance_name
