"""TimeCounter: the average running time of a function or a with-block, reported every few runs."""

from __future__ import annotations

import functools
import logging
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any, ClassVar

import torch

from mme.dist import get_rank

from ._errors import DLUtilsValueError


@dataclass
class _Stats:
    runs: int = 0
    timed_runs: int = 0
    total: float = 0.0


class TimeCounter:
    """Count the average running time of a function (as a decorator) or a block (as a context manager).

    Every ``log_interval``-th run reports ``[tag]-time per run averaged in the past N runs: T ms``,
    where N counts the runs timed so far and the first ``warmup_interval - 1`` runs are not
    timed. Counters with the same tag share their statistics, so ``with TimeCounter(tag=...)``
    inside a loop accumulates over the iterations. Only rank 0 reports.

    Args:
        log_interval: Report every this many runs.
        warmup_interval: Runs before timing starts, counting the first timed one (1: time
            from the first run).
        with_sync: Synchronize CUDA before reading the clock, so asynchronous kernels count.
        tag: Name in the report and key of the shared statistics. Defaults to the function's
            qualified name for a decorator and to ``file:line`` of the ``with`` statement.
        logger: Logger (such as an ``MMLogger``) or logger name to report to at INFO level;
            None prints to stdout.

    Examples:
        >>> @TimeCounter(log_interval=2, tag="doc_add")
        ... def add(a, b):
        ...     return a + b
        >>> add(1, 2)
        3
        >>> add(3, 4)  # doctest: +ELLIPSIS
        [doc_add]-time per run averaged in the past 2 runs: ... ms
        7
        >>> TimeCounter.reset("doc_add")
    """

    _stats: ClassVar[dict[str, _Stats]] = {}

    def __init__(
        self,
        log_interval: int = 1,
        warmup_interval: int = 1,
        with_sync: bool = True,
        tag: str | None = None,
        logger: logging.Logger | str | None = None,
    ) -> None:
        if not isinstance(log_interval, int) or log_interval < 1:
            raise DLUtilsValueError(f"log_interval must be a positive int, but got {log_interval!r}")
        if not isinstance(warmup_interval, int) or warmup_interval < 1:
            raise DLUtilsValueError(f"warmup_interval must be a positive int, but got {warmup_interval!r}")
        self.log_interval = log_interval
        self.warmup_interval = warmup_interval
        self.with_sync = with_sync
        self.tag = tag
        self.logger = logging.getLogger(logger) if isinstance(logger, str) else logger
        caller = sys._getframe(1)
        self._site = f"{os.path.basename(caller.f_code.co_filename)}:{caller.f_lineno}"
        self._start: list[float] = []  # a stack, so a counter may be re-entered

    @classmethod
    def reset(cls, tag: str | None = None) -> None:
        """Forget the statistics of ``tag``, or of every tag."""
        if tag is None:
            cls._stats.clear()
        else:
            cls._stats.pop(tag, None)

    def _sync(self) -> None:
        if self.with_sync and torch.cuda.is_available():
            torch.cuda.synchronize()

    def _begin(self) -> None:
        self._sync()
        self._start.append(time.perf_counter())

    def _end(self, tag: str) -> None:
        self._sync()
        elapsed = time.perf_counter() - self._start.pop()
        stats = self._stats.setdefault(tag, _Stats())
        stats.runs += 1
        if stats.runs >= self.warmup_interval:
            stats.timed_runs += 1
            stats.total += elapsed
        if stats.runs % self.log_interval == 0 and stats.timed_runs and get_rank() == 0:
            msg = (
                f"[{tag}]-time per run averaged in the past {stats.timed_runs} runs: "
                f"{stats.total / stats.timed_runs * 1000:.1f} ms"
            )
            if self.logger is None:
                print(msg, flush=True)
            else:
                self.logger.info(msg)

    def __call__(self, fn: Callable) -> Callable:
        """Wrap ``fn`` so that each call is timed."""
        tag = self.tag or fn.__qualname__

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            self._begin()
            try:
                return fn(*args, **kwargs)
            finally:
                self._end(tag)

        return wrapper

    def __enter__(self) -> TimeCounter:
        self._begin()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._end(self.tag or self._site)
