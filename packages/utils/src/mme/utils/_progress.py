"""Progress bars with ETA: rich on a terminal when it is installed, plain lines otherwise."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, TextIO

from ._package_utils import is_installed


def _fmt_seconds(seconds: float) -> str:
    seconds = int(seconds + 0.5)
    hours, rem = divmod(seconds, 3600)
    minutes, secs = divmod(rem, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


class ProgressBar:
    """A progress bar with throughput and ETA.

    On a terminal it draws a rich progress bar when rich is installed, else a redrawn text bar;
    when the output is not a terminal (a log file, CI) it writes one plain line about every tenth
    of the work, so logs stay readable.

    Args:
        task_num: Number of tasks; 0 when unknown (only counts and throughput are shown).
        bar_width: Width of the text bar.
        start: Start timing on construction.
        file: Output stream, ``sys.stdout`` by default.
    """

    def __init__(self, task_num: int = 0, bar_width: int = 50, start: bool = True, file: TextIO | None = None) -> None:
        self.task_num = task_num
        self.bar_width = bar_width
        self.completed = 0
        self.file = file or sys.stdout
        self._is_tty = bool(getattr(self.file, "isatty", lambda: False)())
        self._rich: Any = None
        self._next_report = 0
        if start:
            self.start()

    def start(self) -> None:
        """Start timing and draw the empty bar."""
        self.start_time = time.perf_counter()
        if self._is_tty and is_installed("rich"):
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn, TimeRemainingColumn

            self._rich = Progress(
                BarColumn(bar_width=self.bar_width),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TimeRemainingColumn(),
                console=Console(file=self.file),
            )
            self._rich.start()
            self._task = self._rich.add_task("", total=self.task_num or None)
        elif self.task_num > 0 and not self._is_tty:
            self.file.write(f"[{'':{self.bar_width}}] 0/{self.task_num}, elapsed: 0s, ETA:\n")
            self.file.flush()

    def update(self, num_tasks: int = 1) -> None:
        """Mark ``num_tasks`` more tasks as done."""
        if num_tasks <= 0:
            raise ValueError(f"num_tasks must be positive, got {num_tasks}")
        self.completed += num_tasks
        if self._rich is not None:
            self._rich.update(self._task, completed=self.completed)
            if self.task_num and self.completed >= self.task_num:
                self._rich.stop()
            return
        elapsed = max(time.perf_counter() - self.start_time, 1e-9)
        fps = self.completed / elapsed
        if self.task_num > 0:
            done = self.completed >= self.task_num
            if not self._is_tty:
                step = max(self.task_num // 10, 1)
                if not done and self.completed < self._next_report:
                    return
                self._next_report = self.completed + step
            frac = min(self.completed / self.task_num, 1.0)
            eta = elapsed * (1 - frac) / frac if frac else 0.0
            mark = int(self.bar_width * frac)
            bar = ">" * mark + " " * (self.bar_width - mark)
            msg = (
                f"[{bar}] {self.completed}/{self.task_num}, {fps:.1f} task/s, "
                f"elapsed: {_fmt_seconds(elapsed)}, ETA: {_fmt_seconds(eta)}"
            )
        else:
            msg = f"completed: {self.completed}, elapsed: {_fmt_seconds(elapsed)}, {fps:.1f} tasks/s"
        if self._is_tty:
            end = "\n" if self.task_num and self.completed >= self.task_num else ""
            self.file.write("\r" + msg + end)
        else:
            self.file.write(msg + "\n")
        self.file.flush()


def _unpack_tasks(tasks: Iterable[Any] | tuple[Iterable[Any], int]) -> tuple[Iterable[Any], int]:
    if isinstance(tasks, tuple) and len(tasks) == 2 and isinstance(tasks[1], int) and isinstance(tasks[0], Iterable):
        return tasks[0], tasks[1]
    if isinstance(tasks, Sequence) or hasattr(tasks, "__len__"):
        return tasks, len(tasks)  # type: ignore[arg-type]
    raise TypeError('"tasks" must be a sized iterable or a tuple (iterable, number of tasks)')


def track_progress(func: Callable, tasks: Iterable[Any] | tuple[Iterable[Any], int], bar_width: int = 50,
                   file: TextIO | None = None, **kwargs: Any) -> list[Any]:
    """Call ``func`` on every task and show progress; returns the results in order."""
    items, task_num = _unpack_tasks(tasks)
    bar = ProgressBar(task_num, bar_width, file=file)
    results = []
    for task in items:
        results.append(func(task, **kwargs))
        bar.update()
    return results


def track_iter_progress(tasks: Iterable[Any] | tuple[Iterable[Any], int], bar_width: int = 50,
                        file: TextIO | None = None) -> Iterator[Any]:
    """Yield every task, showing progress as the loop advances."""
    items, task_num = _unpack_tasks(tasks)
    bar = ProgressBar(task_num, bar_width, file=file)
    for task in items:
        yield task
        bar.update()


def init_pool(process_num: int, initializer: Callable | None = None, initargs: tuple | None = None) -> Any:
    """A ``multiprocessing.Pool`` of ``process_num`` processes, each running ``initializer(*initargs)`` first."""
    from multiprocessing import Pool

    return Pool(process_num, initializer, initargs or ())


def track_parallel_progress(func: Callable, tasks: Iterable[Any] | tuple[Iterable[Any], int], nproc: int,
                            initializer: Callable | None = None, initargs: tuple | None = None,
                            bar_width: int = 50, chunksize: int = 1, skip_first: bool = False,
                            keep_order: bool = True, file: TextIO | None = None) -> list[Any]:
    """Run ``func`` over the tasks in a pool of ``nproc`` processes and show progress.

    Args:
        skip_first: Leave the first ``nproc`` results out of the throughput (pool start-up).
        keep_order: Return results in task order (``imap``) rather than completion order.
    """
    items, task_num = _unpack_tasks(tasks)
    pool = init_pool(nproc, initializer, initargs)
    start = not skip_first
    task_num -= nproc * chunksize * int(skip_first)
    bar = ProgressBar(task_num, bar_width, start, file=file)
    results = []
    gen = pool.imap(func, items, chunksize) if keep_order else pool.imap_unordered(func, items, chunksize)
    try:
        for result in gen:
            results.append(result)
            if skip_first:
                if len(results) < nproc * chunksize:
                    continue
                if len(results) == nproc * chunksize:
                    bar.start()
                    continue
            bar.update()
    finally:
        pool.close()
        pool.join()
    return results
