"""Timers."""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO


class TimerError(RuntimeError):
    """Raised when a stopped timer is read."""


class Timer:
    """A wall-clock timer, usable as a context manager.

    Args:
        start: Start on construction.
        print_tmpl: Template with one ``{}`` for the elapsed seconds, written to ``file`` when a
            ``with`` block ends; defaults to ``"{:.3f}"``.
        file: Where the context manager writes.

    Examples:
        >>> t = Timer()
        >>> t.since_start() >= 0
        True
    """

    def __init__(self, start: bool = True, print_tmpl: str | None = None, file: TextIO | None = None) -> None:
        self._is_running = False
        self.print_tmpl = print_tmpl or "{:.3f}"
        self.file = file
        if start:
            self.start()

    @property
    def is_running(self) -> bool:
        """Whether the timer runs."""
        return self._is_running

    def __enter__(self) -> Timer:
        self.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        print(self.print_tmpl.format(self.since_last_check()), file=self.file or sys.stdout)
        self._is_running = False

    def start(self) -> None:
        """Start the timer (again)."""
        if not self._is_running:
            self._t_start = time.perf_counter()
            self._is_running = True
        self._t_last = time.perf_counter()

    def since_start(self) -> float:
        """Seconds since the timer started; also marks a check."""
        if not self._is_running:
            raise TimerError("timer is not running")
        self._t_last = time.perf_counter()
        return self._t_last - self._t_start

    def since_last_check(self) -> float:
        """Seconds since the last check (or the start)."""
        if not self._is_running:
            raise TimerError("timer is not running")
        now = time.perf_counter()
        dur = now - self._t_last
        self._t_last = now
        return dur


_g_timers: dict[str, Timer] = {}


def check_time(timer_id: str) -> float:
    """Seconds since the previous call with the same ``timer_id``; 0 on the first call."""
    if timer_id not in _g_timers:
        _g_timers[timer_id] = Timer()
        return 0.0
    return _g_timers[timer_id].since_last_check()
