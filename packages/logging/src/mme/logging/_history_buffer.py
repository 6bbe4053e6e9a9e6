"""``HistoryBuffer``: the recent values of one scalar, with windowed statistics."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Sequence
from itertools import islice
from typing import Any, ClassVar

import numpy as np

from ._errors import LoggingKeyError, LoggingValueError
from ._values import to_number


def checked_count(count: Any, what: str) -> int:
    """``count`` as an int, or an error naming ``what`` unless it is a non-negative integer."""
    if type(count) is int and count >= 0:
        return count
    n = to_number(count, what)
    if n != int(n) or n < 0:
        raise LoggingValueError(f"{what} must be a non-negative integer, got {count!r}")
    return int(n)


class HistoryBuffer:
    """Keeps the history of one logged scalar and computes statistics over its latest values.

    Each update stores a value and a count; ``mean`` over a window is the sum of the values
    divided by the sum of the counts (so a value can stand for the sum of ``count`` samples).

    Args:
        log_history: Initial values.
        count_history: Initial counts, one per value.
        max_length: Oldest entries are dropped beyond this many.

    Examples:
        >>> buf = HistoryBuffer()
        >>> for v in (1, 2, 3, 4):
        ...     buf.update(v)
        >>> buf.mean(2), buf.max(), buf.min(3), buf.current()
        (3.5, 4.0, 2.0, 4.0)
        >>> buf.statistics("mean")
        2.5
    """

    _statistics_methods: ClassVar[dict[str, Callable[..., Any]]] = {}

    def __init__(self, log_history: Sequence[Any] = (), count_history: Sequence[Any] = (),
                 max_length: int = 1_000_000) -> None:
        if not isinstance(max_length, int) or isinstance(max_length, bool) or max_length < 1:
            raise LoggingValueError(f"max_length must be a positive int, got {max_length!r}")
        log_history, count_history = list(log_history), list(count_history)
        if len(log_history) != len(count_history):
            raise LoggingValueError(
                f"log_history and count_history must have the same length, got {len(log_history)} "
                f"and {len(count_history)}"
            )
        self.max_length = max_length
        self._log: deque[float] = deque(maxlen=max_length)
        self._count: deque[int] = deque(maxlen=max_length)
        for value, count in zip(log_history, count_history):
            self.update(value, count)

    @classmethod
    def register_statistics(cls, method: Callable[..., Any]) -> Callable[..., Any]:
        """Register ``method(self, *args)`` as a statistic callable through :meth:`statistics`.

        Use it as a decorator; the statistic is named after the function. ``self.data`` gives the
        history as numpy arrays.

        Examples:
            >>> @HistoryBuffer.register_statistics
            ... def total(self):
            ...     return float(self.data[0].sum())
            >>> HistoryBuffer([1, 2], [1, 1]).statistics("total")
            3.0
        """
        if not callable(method):
            raise LoggingValueError(f"register_statistics expects a function, got {method!r}")
        cls._statistics_methods[method.__name__] = method
        return method

    def update(self, log_val: Any, count: Any = 1) -> None:
        """Append a value (a number, numpy scalar or one-element tensor) and its count."""
        self._push(float(to_number(log_val, "log_val")), checked_count(count, "count"))

    def _push(self, value: float, count: int) -> None:
        """Append a value and count already converted and checked (the per-iteration path)."""
        self._log.append(value)
        self._count.append(count)

    @property
    def data(self) -> tuple[np.ndarray, np.ndarray]:
        """The values and counts as numpy arrays (copies)."""
        return np.array(self._log, dtype=np.float64), np.array(self._count, dtype=np.int64)

    def __len__(self) -> int:
        return len(self._log)

    def _window(self, history: deque[Any], window_size: int | None) -> Iterable[Any]:
        """The latest ``window_size`` entries (all for None), in no set order: callers sum or compare them."""
        if window_size is None:
            return history
        if not isinstance(window_size, int) or isinstance(window_size, bool) or window_size < 1:
            raise LoggingValueError(f"window_size must be a positive int or None, got {window_size!r}")
        return islice(reversed(history), window_size)

    def _require(self, what: str) -> None:
        if not self._log:
            raise LoggingValueError(f"cannot take the {what} of an empty HistoryBuffer")

    def mean(self, window_size: int | None = None) -> float:
        """Sum of the latest ``window_size`` values (all by default) divided by the sum of their counts."""
        self._require("mean")
        total_count = sum(self._window(self._count, window_size))
        total = sum(self._window(self._log, window_size))
        return total / total_count if total_count else float("nan")

    def max(self, window_size: int | None = None) -> float:
        """Largest of the latest ``window_size`` values (all by default)."""
        self._require("max")
        return max(self._window(self._log, window_size))

    def min(self, window_size: int | None = None) -> float:
        """Smallest of the latest ``window_size`` values (all by default)."""
        self._require("min")
        return min(self._window(self._log, window_size))

    def current(self) -> float:
        """The latest value."""
        self._require("current value")
        return self._log[-1]

    def statistics(self, method_name: str, *args: Any, **kwargs: Any) -> Any:
        """Compute a statistic by name: ``mean``, ``max``, ``min``, ``current`` or a registered one."""
        method = self._statistics_methods.get(method_name)
        if method is None:
            raise LoggingKeyError(
                f"unknown statistic {method_name!r}; available: {', '.join(sorted(self._statistics_methods))}"
            )
        return method(self, *args, **kwargs)

    def state_dict(self) -> dict[str, Any]:
        """The history as plain data: ``{'log_history': [...], 'count_history': [...], 'max_length': n}``."""
        return {"log_history": list(self._log), "count_history": list(self._count), "max_length": self.max_length}

    @classmethod
    def from_state_dict(cls, state: dict[str, Any]) -> HistoryBuffer:
        """Rebuild a buffer from :meth:`state_dict`'s output."""
        try:
            return cls(state["log_history"], state["count_history"], state.get("max_length", 1_000_000))
        except (KeyError, TypeError) as exc:
            raise LoggingValueError(f"not a HistoryBuffer state dict: {state!r:.200}") from exc

    def __repr__(self) -> str:
        tail = ", ".join(f"{v:g}" for v in islice(reversed(self._log), 3))
        return f"HistoryBuffer(len={len(self)}, latest=[{tail}])"


for _name in ("mean", "max", "min", "current"):
    HistoryBuffer._statistics_methods[_name] = getattr(HistoryBuffer, _name)
