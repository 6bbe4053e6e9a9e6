"""``MMLogger``: a named, rank-aware logger, and ``print_log``."""

from __future__ import annotations

import inspect
import logging
import logging.handlers
import os
import sys
from typing import Any, TextIO

from mme.dist import get_rank, get_world_size, is_distributed
from mme.utils import ManagerMixin, mkdir_or_exist

from ._errors import LoggingTypeError, LoggingValueError

_FORMAT = "%(asctime)s - %(name)s{rank} - %(levelname)s - %(message)s"
_DATEFMT = "%Y/%m/%d %H:%M:%S"
_COLORS = {logging.WARNING: "\033[33m", logging.ERROR: "\033[31m", logging.CRITICAL: "\033[1;31m"}
_FILE_HANDLERS = ("FileHandler", "RotatingFileHandler", "TimedRotatingFileHandler", "WatchedFileHandler")


def _rank_info() -> tuple[int, int]:
    """Rank and world size, read from torchrun's variables when no process group exists yet."""
    if is_distributed():
        return get_rank(), get_world_size()
    try:
        return int(os.environ.get("RANK", "0")), int(os.environ.get("WORLD_SIZE", "1"))
    except ValueError:
        return 0, 1


def _to_level(level: int | str) -> int:
    if isinstance(level, int) and not isinstance(level, bool):
        return level
    if isinstance(level, str):
        value = logging.getLevelName(level.upper())
        if isinstance(value, int):
            return value
    raise LoggingValueError(f"unknown log level {level!r}; use DEBUG, INFO, WARNING, ERROR, CRITICAL or an int")


class FilterDuplicateWarning(logging.Filter):
    """Lets each distinct warning message through once; other levels always pass."""

    def __init__(self, name: str = "mme") -> None:
        super().__init__(name)
        self.seen: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno != logging.WARNING:
            return True
        message = record.getMessage()
        if message in self.seen:
            return False
        self.seen.add(message)
        return True


class _Formatter(logging.Formatter):
    def __init__(self, rank: int | None, color: bool) -> None:
        super().__init__(_FORMAT.format(rank=f" [rank{rank}]" if rank is not None else ""), _DATEFMT)
        self.color = color

    def format(self, record: logging.LogRecord) -> str:
        # The console and the log file format each record the same way: the text is made once.
        # It is kept on the record with this format string, so any other format makes its own.
        made = record.__dict__.get("_mme_formatted")
        if made is not None and made[0] == self._fmt and made[1] == self.datefmt:
            text = made[2]
        else:
            text = super().format(record)
            record._mme_formatted = (self._fmt, self.datefmt, text)
        if self.color and record.levelno in _COLORS:
            return f"{_COLORS[record.levelno]}{text}\033[0m"
        return text


class MMFormatter(logging.Formatter):
    """MMEngine's log-record format: ``time - logger - LEVEL - message``, the level name coloured.

    Errors and critical records also name where they were logged (``path - function - line``).
    Levels are coloured ANSI-style when ``color`` is true: debug green, info white, warning
    yellow, error and critical red, all underlined; warnings and errors blink, and so do debug
    and info records when ``blink`` is true.

    Args:
        color: Colour the level name.
        blink: Make debug and info level names blink too (needs ``color``).
        **kwargs: ``logging.Formatter``'s keyword arguments (``datefmt``, ...).

    Raises:
        ValueError: ``blink`` without ``color``.
    """

    _COLORS = {logging.DEBUG: 32, logging.INFO: 97, logging.WARNING: 33, logging.ERROR: 31, logging.CRITICAL: 31}

    def __init__(self, color: bool = True, blink: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if blink and not color:
            raise ValueError("MMFormatter: blink=True needs color=True (blinking is a colour attribute)")
        self.color = color
        self.blink = blink
        self.info_format = self.debug_format = self.warn_format = "%(asctime)s - %(name)s - %(levelname)s - %(message)s"
        self.error_format = (
            "%(asctime)s - %(name)s - %(levelname)s - %(pathname)s - %(funcName)s - %(lineno)d - %(message)s")

    def _level_name(self, levelno: int, name: str) -> str:
        code = self._COLORS.get(levelno)
        if not self.color or code is None:
            return name
        blink = self.blink or levelno >= logging.WARNING
        return f"{chr(27)}[5m{chr(27)}[4m{chr(27)}[{code}m{name}{chr(27)}[0m" if blink \
            else f"{chr(27)}[4m{chr(27)}[{code}m{name}{chr(27)}[0m"

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 (logging's name)
        fmt = self.error_format if record.levelno >= logging.ERROR else self.info_format
        shown = logging.makeLogRecord(record.__dict__)
        shown.levelname = self._level_name(record.levelno, record.levelname)
        return logging.PercentStyle(fmt).format(shown)

    def usesTime(self) -> bool:  # noqa: N802 (logging's name)
        return True


class MMLogger(logging.Logger, ManagerMixin):
    """A named global logger that knows about ranks.

    Rank 0 logs to the console at ``log_level``; other ranks show only errors there unless
    ``console_all_ranks`` is set. With ``log_file``, rank 0 writes to that file; with
    ``distributed=True`` every other rank ``r`` also writes its own ``<stem>_rank<r><suffix>`` next to
    it. Each distinct warning message is emitted once. The logger is not registered with the
    ``logging`` module's manager; set ``propagate=True`` to pass its records on to the root logger
    (for example to pytest's ``caplog``).

    Creating an instance with a name that is taken replaces the old instance and closes its handlers.

    Args:
        name: Instance name (``MMLogger.get_instance(name)``).
        logger_name: Name shown in each record.
        log_file: Path of the log file; no file by default.
        log_level: Level name or number.
        file_mode: ``'w'`` to truncate the file, ``'a'`` to append.
        distributed: Every rank writes its own file (by default only rank 0 writes ``log_file``).
        file_handler_cfg: Options of the file handler; ``type`` may be ``'FileHandler'``,
            ``'RotatingFileHandler'``, ``'TimedRotatingFileHandler'`` or ``'WatchedFileHandler'``.
        console_all_ranks: Every rank logs to the console at ``log_level``, prefixed by its rank.
        propagate: Pass records on to the root logger as well.
        stream: Console stream; ``sys.stdout`` by default.

    Examples:
        >>> logger = MMLogger.get_instance("demo", log_level="INFO")
        >>> logger.info("hello")  # doctest: +SKIP
        >>> MMLogger.get_current_instance() is logger
        True
        >>> logger.close(); MMLogger.reset()
    """

    def __init__(self, name: str, logger_name: str = "mme", log_file: str | os.PathLike[str] | None = None,
                 log_level: int | str = "INFO", file_mode: str = "w", distributed: bool = False,
                 file_handler_cfg: dict[str, Any] | None = None, console_all_ranks: bool = False,
                 propagate: bool = False, stream: TextIO | None = None) -> None:
        level = _to_level(log_level)
        if file_mode not in ("w", "a"):
            raise LoggingValueError(f"file_mode must be 'w' or 'a', got {file_mode!r}")
        logging.Logger.__init__(self, logger_name, level)
        old = type(self)._instance_dict.get(name) if isinstance(name, str) else None
        ManagerMixin.__init__(self, name)
        if old is not None and old is not self:
            old.close()
        self.parent = logging.getLogger()
        self.propagate = propagate
        self.addFilter(FilterDuplicateWarning(logger_name))
        rank, world_size = _rank_info()
        self.rank = rank
        self.log_file: str | None = None
        shown_rank = rank if world_size > 1 else None
        console = logging.StreamHandler(stream if stream is not None else sys.stdout)
        console.setFormatter(_Formatter(shown_rank if console_all_ranks else None,
                                        color=getattr(console.stream, "isatty", lambda: False)()))
        if rank != 0 and not console_all_ranks:
            console.setLevel(logging.ERROR)
        self.addHandler(console)
        if log_file is not None and (rank == 0 or (distributed and world_size > 1)):
            path = os.fspath(log_file)
            if rank != 0:
                stem, suffix = os.path.splitext(path)
                path = f"{stem}_rank{rank}{suffix}"
            mkdir_or_exist(os.path.dirname(os.path.abspath(path)))
            handler = _make_file_handler(path, file_mode, file_handler_cfg)
            handler.setFormatter(_Formatter(shown_rank, color=False))
            self.addHandler(handler)
            self.log_file = path

    @classmethod
    def get_current_instance(cls) -> MMLogger:
        """The latest logger; a default one called ``'mme'`` is created if none exists."""
        if not cls._instance_dict:
            cls.get_instance("mme")
        return super().get_current_instance()

    def setLevel(self, level: int | str) -> None:
        """Set the level and clear the enabled-level cache (this logger is not in logging's manager)."""
        super().setLevel(_to_level(level))
        self._cache.clear()  # type: ignore[attr-defined]

    def close(self) -> None:
        """Flush, close and remove every handler (files are released)."""
        for handler in list(self.handlers):
            self.removeHandler(handler)
            handler.close()


def _make_file_handler(path: str, file_mode: str, cfg: dict[str, Any] | None) -> logging.Handler:
    options = dict(cfg or {})
    kind = options.pop("type", "FileHandler")
    if kind not in _FILE_HANDLERS:
        raise LoggingValueError(f"file_handler_cfg type {kind!r} is not one of {', '.join(_FILE_HANDLERS)}")
    handler_cls = getattr(logging, kind, None) or getattr(logging.handlers, kind)
    if "mode" in inspect.signature(handler_cls).parameters:
        options.setdefault("mode", file_mode)
    options.setdefault("encoding", "utf-8")
    try:
        return handler_cls(path, **options)
    except TypeError as exc:
        raise LoggingTypeError(f"bad file_handler_cfg for {kind}: {exc}") from exc


def print_log(msg: Any, logger: logging.Logger | str | None = None, level: int = logging.INFO) -> None:
    """Log ``msg`` through ``logger``.

    Args:
        msg: The message.
        logger: ``None`` prints it; ``'silent'`` drops it; ``'current'`` uses the current
            :class:`MMLogger`; another string names an existing :class:`MMLogger` instance; a
            ``logging.Logger`` is used as is.
        level: Logging level.

    Raises:
        LoggingValueError: No MMLogger instance has the given name.
        LoggingTypeError: ``logger`` is of another type.
    """
    if logger is None:
        print(msg)
    elif isinstance(logger, logging.Logger):
        logger.log(level, msg)
    elif logger == "silent":
        return
    elif logger == "current":
        MMLogger.get_current_instance().log(level, msg)
    elif isinstance(logger, str):
        if not MMLogger.check_instance_created(logger):
            raise LoggingValueError(
                f"print_log: no MMLogger instance called {logger!r}; existing: {list(MMLogger._instance_dict)}"
            )
        MMLogger.get_instance(logger).log(level, msg)
    else:
        raise LoggingTypeError(
            "print_log: logger must be None, 'silent', 'current', an MMLogger name or a logging.Logger, "
            f"got {type(logger).__name__}"
        )
