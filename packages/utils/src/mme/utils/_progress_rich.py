"""track_progress_rich: run a function over tasks, in one process or a pool, under a rich progress bar."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TextIO

from ._package_utils import is_installed
from ._progress import ProgressBar


class _Call:
    """Picklable wrapper: ``func(*task)`` for a tuple or list task, ``func(task)`` otherwise; keeps the index."""

    def __init__(self, func: Callable) -> None:
        self.func = func

    def __call__(self, indexed: tuple[Any, int]) -> tuple[Any, int]:
        task, idx = indexed
        if isinstance(task, (tuple, list)):
            return self.func(*task), idx
        return self.func(task), idx


class _Bar:
    """A rich progress bar when rich is installed, else mme's ProgressBar."""

    def __init__(self, total: int, description: str, color: str, file: TextIO | None) -> None:
        self._rich: Any = None
        if is_installed("rich"):
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskProgressColumn, TextColumn
            from rich.progress import TimeRemainingColumn

            self._rich = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TaskProgressColumn(show_speed=True),
                TimeRemainingColumn(),
                console=Console(file=file) if file is not None else None,
            )
            self._task = self._rich.add_task(f"[{color}]{description}", total=total)
            self._rich.start()
        else:
            stream = file if file is not None else sys.stdout
            stream.write(f"{description}\n")
            self._plain = ProgressBar(total, file=stream)

    def advance(self) -> None:
        if self._rich is not None:
            self._rich.advance(self._task)
        else:
            self._plain.update()

    def close(self) -> None:
        if self._rich is not None:
            self._rich.stop()


def track_progress_rich(
    func: Callable,
    tasks: Iterable[Any] = (),
    task_num: int | None = None,
    nproc: int = 1,
    chunksize: int = 1,
    description: str = "Processing",
    color: str = "blue",
    file: TextIO | None = None,
) -> list[Any]:
    """Call ``func`` on every task with a progress bar, in this process or a pool of ``nproc``.

    A task that is a tuple or list is unpacked into positional arguments (``func(*task)``);
    any other task is passed as the one argument. Results come back in task order.

    Args:
        func: The function; with ``nproc > 1`` it must be picklable (a module-level function).
        tasks: The tasks.
        task_num: Number of tasks for the bar, needed when ``tasks`` has no length (a generator).
        nproc: Number of worker processes; 1 runs in this process.
        chunksize: Tasks handed to a worker at a time.
        description: Label shown before the bar.
        color: Rich color of the label.
        file: Stream to draw on (the terminal by default).

    Examples:
        >>> import io
        >>> track_progress_rich(pow, [(2, 3), (3, 2)], file=io.StringIO())
        [8, 9]
    """
    if not callable(func):
        raise TypeError(f"func must be callable, but got {func!r}")
    if nproc < 1:
        raise ValueError(f"nproc must be >= 1, but got {nproc}")
    if chunksize < 1:
        raise ValueError(f"chunksize must be >= 1, but got {chunksize}")
    if task_num is None:
        if not hasattr(tasks, "__len__"):
            raise ValueError("tasks has no length (a generator?): pass task_num")
        task_num = len(tasks)  # type: ignore[arg-type]
    if task_num < 0:
        raise ValueError(f"task_num must be >= 0, but got {task_num}")

    call = _Call(func)
    indexed: Iterator[tuple[Any, int]] = ((task, idx) for idx, task in enumerate(tasks))
    bar = _Bar(task_num, description, color, file)
    results: list[tuple[Any, int]] = []
    try:
        if nproc == 1:
            for item in indexed:
                results.append(call(item))
                bar.advance()
        else:
            from multiprocessing import Pool

            with Pool(nproc) as pool:
                for result in pool.imap_unordered(call, indexed, chunksize):
                    results.append(result)
                    bar.advance()
    finally:
        bar.close()
    results.sort(key=lambda r: r[1])
    return [r[0] for r in results]
