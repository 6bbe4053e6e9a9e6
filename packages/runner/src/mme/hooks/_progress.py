"""A live progress bar on the terminal, with the run's log lines printed above it (used by LoggerHook)."""

from __future__ import annotations

import io
import logging
import sys
from collections.abc import Sequence
from typing import Any, TextIO

__all__ = ["TerminalProgress"]


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):  # no isatty, or a closed stream
        return False


class _ConsoleWriter(io.TextIOBase):
    """The stream a logging handler writes to while the bar is shown: each complete line is printed
    through the rich console, which keeps the bar below it (redrawn with the latest counts)."""

    def __init__(self, progress: Any, original: TextIO) -> None:
        super().__init__()
        self._progress = progress
        self._original = original
        self._pending = ""

    def write(self, text: str) -> int:
        from rich.text import Text

        data = self._pending + text
        complete, newline, self._pending = data.rpartition("\n")
        if newline:
            self._progress.refresh()  # the bar is redrawn below the line as last refreshed: bring it up to date
            for line in complete.split("\n"):
                self._progress.console.print(Text.from_ansi(line), soft_wrap=True)
        return len(text)

    def flush(self) -> None:
        """Lines are printed as they complete; a partial line waits for its end."""

    def isatty(self) -> bool:
        return True

    def fileno(self) -> int:
        return self._original.fileno()

    def drain(self) -> None:
        """Write out a pending partial line to the original stream."""
        if self._pending:
            self._original.write(self._pending)
            self._original.flush()
            self._pending = ""


class TerminalProgress:
    """A rich progress display with one bar per running loop (train, val, test) and an ETA.

    While it is shown, the given logging handlers write through it, so their lines appear above
    the bars; ``print`` output and, when stderr is a terminal too, stderr are redirected the same
    way. :meth:`close` removes the bars from the screen and puts every stream back.

    Args:
        stream: The terminal to draw on.
        handlers: Logging handlers writing to that terminal.
    """

    def __init__(self, stream: TextIO, handlers: Sequence[logging.StreamHandler] = ()) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self._console = Console(file=stream)
        self._progress = Progress(
            TextColumn("{task.description}", markup=False),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("eta"),
            TimeRemainingColumn(),
            console=self._console,
            transient=True,
            refresh_per_second=5,
            redirect_stdout=_isatty(sys.stdout),
            redirect_stderr=_isatty(sys.stderr),
        )
        self._rerouted: list[tuple[logging.StreamHandler, TextIO, _ConsoleWriter]] = []
        for handler in handlers:
            writer = _ConsoleWriter(self._progress, handler.stream)
            self._rerouted.append((handler, handler.stream, writer))
        self._tasks: dict[str, Any] = {}
        self._progress.start()
        for handler, _, writer in self._rerouted:
            handler.setStream(writer)  # type: ignore[arg-type]

    @classmethod
    def for_logger(cls, logger: logging.Logger) -> TerminalProgress | None:
        """A display on the terminal ``logger`` prints to, or ``None`` when it prints to none."""
        handlers = [h for h in logger.handlers
                    if isinstance(h, logging.StreamHandler) and not isinstance(h, logging.FileHandler)
                    and _isatty(h.stream)]
        if not handlers:
            return None
        stream = handlers[0].stream
        return cls(stream, [h for h in handlers if h.stream is stream])

    @property
    def tasks(self) -> tuple[str, ...]:
        """Names of the bars shown."""
        return tuple(self._tasks)

    def add(self, name: str, description: str, total: int | None, completed: int = 0) -> None:
        """Show a bar called ``name`` (replacing one of that name)."""
        self.remove(name)
        self._tasks[name] = self._progress.add_task(description, total=total, completed=completed)

    def update(self, name: str, completed: int, description: str | None = None) -> None:
        """Move bar ``name`` to ``completed`` (and change its description)."""
        task = self._tasks.get(name)
        if task is None:
            return
        if description is None:
            self._progress.update(task, completed=completed)
        else:
            self._progress.update(task, completed=completed, description=description)

    def remove(self, name: str) -> None:
        """Take bar ``name`` off the display."""
        task = self._tasks.pop(name, None)
        if task is not None:
            self._progress.remove_task(task)

    def close(self) -> None:
        """Erase the bars and give the handlers and standard streams back their terminal."""
        self._tasks.clear()
        try:
            self._progress.stop()
        finally:
            for handler, original, writer in self._rerouted:
                if handler.stream is writer:
                    handler.setStream(original)
                writer.drain()
            self._rerouted = []
