"""Errors raised by mme.config: one :class:`ConfigError` listing every problem found."""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["ConfigError", "ConfigFileNotFoundError", "ConfigProblem"]

_HEAPTYPE = 1 << 9  # Py_TPFLAGS_HEAPTYPE: a class made by a class statement, not a builtin


class ConfigProblem:
    """One problem in a config, with where it was found.

    Attributes:
        message: What is wrong.
        filename: The config file it was found in, if any.
        lineno: The line in that file, where one is known.
        key: The dotted key path it concerns (``model.backbone.depth``), where one is known.
    """

    __slots__ = ("filename", "key", "lineno", "message")

    def __init__(
        self, message: str, filename: str | None = None, lineno: int | None = None, key: str | None = None
    ) -> None:
        self.message = message
        self.filename = filename
        self.lineno = lineno
        self.key = key

    def _fields(self) -> tuple:
        return (self.message, self.filename, self.lineno, self.key)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ConfigProblem) and self._fields() == other._fields()

    def __hash__(self) -> int:
        return hash(self._fields())

    def __repr__(self) -> str:
        return f"ConfigProblem(message={self.message!r}, filename={self.filename!r}, lineno={self.lineno!r}, key={self.key!r})"

    def __reduce__(self):
        return (ConfigProblem, self._fields())

    def __str__(self) -> str:
        where = ""
        if self.filename is not None:
            where = self.filename if self.lineno is None else f"{self.filename}:{self.lineno}"
        elif self.lineno is not None:
            where = f"line {self.lineno}"
        parts = [p for p in (where, f"key '{self.key}'" if self.key else "") if p]
        return f"{', '.join(parts)}: {self.message}" if parts else self.message


class ConfigError(ValueError):
    """A config could not be parsed, merged or overridden.

    Every problem found in one step is collected and raised at once; ``problems`` lists
    them, and ``filename``/``lineno``/``key`` give the location of the first one.

    Examples:
        >>> err = ConfigError("bad value", filename="a.py", lineno=3, key="model.depth")
        >>> str(err)
        "a.py:3, key 'model.depth': bad value"
        >>> err.key
        'model.depth'
    """

    def __init__(
        self,
        problems: str | ConfigProblem | Iterable[ConfigProblem],
        *,
        filename: str | None = None,
        lineno: int | None = None,
        key: str | None = None,
    ) -> None:
        if isinstance(problems, str):
            items = [ConfigProblem(problems, filename, lineno, key)]
        elif isinstance(problems, ConfigProblem):
            items = [problems]
        else:
            items = list(problems)
        if not items:
            items = [ConfigProblem("invalid config", filename, lineno, key)]
        self.problems: list[ConfigProblem] = items
        super().__init__(self._render())

    @property
    def filename(self) -> str | None:
        """File of the first problem."""
        return self.problems[0].filename

    @property
    def lineno(self) -> int | None:
        """Line of the first problem."""
        return self.problems[0].lineno

    @property
    def key(self) -> str | None:
        """Dotted key path of the first problem."""
        return self.problems[0].key

    def _render(self) -> str:
        if len(self.problems) == 1:
            return str(self.problems[0])
        lines = [f"{len(self.problems)} problems in config:"]
        lines += [f"  - {p}" for p in self.problems]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self._render()

    def __reduce__(self):  # keep the problems through pickling (multiprocessing, logging)
        return (_rebuild_error, (type(self), self.problems))


def _rebuild_error(cls: type[ConfigError], problems: list[ConfigProblem]) -> ConfigError:
    # The builtin base that lays the instance out allocates it: `cls.__new__` would find
    # ValueError's, which refuses a class that is also an OSError (ConfigFileNotFoundError).
    base: type = cls
    while base.__flags__ & _HEAPTYPE:
        base = base.__base__
    err = base.__new__(cls)
    ConfigError.__init__(err, problems)
    return err


class ConfigFileNotFoundError(ConfigError, FileNotFoundError):
    """The config file itself does not exist (also a ``FileNotFoundError``, as in MMEngine)."""
