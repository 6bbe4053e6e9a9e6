"""Hook priorities: named levels and their integer values."""

from __future__ import annotations

from enum import Enum

from ._errors import HookConfigError

__all__ = ["Priority", "get_priority"]


class Priority(Enum):
    """Named hook priorities; a smaller value runs earlier.

    ====================  =====
    name                  value
    ====================  =====
    HIGHEST               0
    VERY_HIGH             10
    HIGH                  30
    ABOVE_NORMAL          40
    NORMAL                50
    BELOW_NORMAL          60
    LOW                   70
    VERY_LOW              90
    LOWEST                100
    ====================  =====
    """

    HIGHEST = 0
    VERY_HIGH = 10
    HIGH = 30
    ABOVE_NORMAL = 40
    NORMAL = 50
    BELOW_NORMAL = 60
    LOW = 70
    VERY_LOW = 90
    LOWEST = 100


def get_priority(priority: int | str | Priority) -> int:
    """Return the integer value of a priority given as an int, a name or a ``Priority``.

    Examples:
        >>> get_priority("LOW"), get_priority(Priority.HIGH), get_priority(42)
        (70, 30, 42)
    """
    if isinstance(priority, Priority):
        return priority.value
    if isinstance(priority, bool):
        raise HookConfigError(f"priority must be an int in [0, 100], a name or a Priority, got {priority!r}")
    if isinstance(priority, int):
        if not 0 <= priority <= 100:
            raise HookConfigError(f"priority must be in [0, 100], got {priority}")
        return priority
    if isinstance(priority, str):
        try:
            return Priority[priority.upper()].value
        except KeyError:
            names = ", ".join(p.name for p in Priority)
            raise HookConfigError(f"unknown priority {priority!r}; expected one of {names}") from None
    raise HookConfigError(f"priority must be an int, a str or a Priority, got {type(priority).__name__}")
