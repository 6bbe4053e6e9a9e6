"""DictAction: ``--cfg-options a.b=1 c=[1,2] d=(1,2) e.0.f=x`` for argparse."""

from __future__ import annotations

import argparse
from typing import Any

from ._errors import ConfigError, ConfigProblem

__all__ = ["ConfigOptionError", "DictAction", "parse_option_value"]


class ConfigOptionError(ConfigError, argparse.ArgumentError):
    """A bad ``KEY=VALUE`` command-line option; argparse reports it as a usage error."""

    def __init__(self, problems: Any, argument: argparse.Action | None = None) -> None:
        ConfigError.__init__(self, problems)
        self.argument_name = (
            "/".join(argument.option_strings) if argument is not None and argument.option_strings else None
        )
        self.message = str(self)

    def __reduce__(self):  # keep argparse's argument_name too, not only the problems
        return (_rebuild_option_error, (type(self), self.problems, self.argument_name))


def _rebuild_option_error(cls: type[ConfigOptionError], problems: Any, argument_name: str | None) -> ConfigOptionError:
    err = cls(problems)
    err.argument_name = argument_name
    return err


def _scalar(text: str) -> Any:
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    if text == "None":
        return None
    return text


class _Parser:
    """A small recursive-descent parser for option values: scalars, [lists] and (tuples)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def error(self, message: str) -> ValueError:
        return ValueError(f"{message} at position {self.pos} of {self.text!r}")

    def skip_spaces(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def value(self) -> Any:
        self.skip_spaces()
        if self.pos < len(self.text) and self.text[self.pos] in "[(":
            return self.sequence()
        return self.scalar()

    def scalar(self) -> Any:
        start = self.pos
        if self.pos < len(self.text) and self.text[self.pos] in "'\"":
            quote = self.text[self.pos]
            end = self.text.find(quote, self.pos + 1)
            if end < 0:
                raise self.error(f"unclosed quote {quote}")
            self.pos = end + 1
            return self.text[start + 1 : end]
        while self.pos < len(self.text) and self.text[self.pos] not in ",[]()":
            self.pos += 1
        token = self.text[start : self.pos].strip()
        if not token:
            raise self.error("missing value")
        return _scalar(token)

    def sequence(self) -> list | tuple:
        opening = self.text[self.pos]
        closing = "]" if opening == "[" else ")"
        self.pos += 1
        items: list[Any] = []
        trailing_comma = False
        while True:
            self.skip_spaces()
            if self.pos >= len(self.text):
                raise self.error(f"missing closing {closing!r}")
            if self.text[self.pos] == closing:
                self.pos += 1
                break
            items.append(self.value())
            self.skip_spaces()
            trailing_comma = False
            if self.pos < len(self.text) and self.text[self.pos] == ",":
                self.pos += 1
                trailing_comma = True
            elif self.pos < len(self.text) and self.text[self.pos] != closing:
                raise self.error(f"expected ',' or {closing!r}, found {self.text[self.pos]!r}")
        del trailing_comma
        return items if opening == "[" else tuple(items)

    def top(self) -> Any:
        items = [self.value()]
        self.skip_spaces()
        while self.pos < len(self.text) and self.text[self.pos] == ",":
            self.pos += 1
            self.skip_spaces()
            if self.pos == len(self.text):
                break
            items.append(self.value())
            self.skip_spaces()
        if self.pos != len(self.text):
            raise self.error(f"unexpected {self.text[self.pos]!r}")
        return items[0] if len(items) == 1 and not self.text.rstrip().endswith(",") else items


def parse_option_value(text: str) -> Any:
    """Parse the value of a ``KEY=VALUE`` option.

    ``1`` is an int, ``1.5`` a float, ``true``/``false`` bools, ``None`` is None, ``[..]``
    a list, ``(..)`` a tuple (nested freely), ``a,b`` a list, and quotes keep a string as
    it is.

    Raises:
        ValueError: Unbalanced brackets or quotes, or stray characters.

    Examples:
        >>> parse_option_value("[1, (2, 'x,y'), None]")
        [1, (2, 'x,y'), None]
        >>> parse_option_value("a,b")
        ['a', 'b']
    """
    if text.strip() == "":
        return ""
    return _Parser(text).top()


class DictAction(argparse.Action):
    """argparse action collecting ``KEY=VALUE`` pairs into a dict of parsed values.

    Use with ``nargs="+"``; the dict is meant for :meth:`Config.merge_from_dict`, where
    dotted keys reach nested values and numeric parts index lists, and a key that looks like
    a typo of an existing one is an error unless written with a leading ``+``
    (``+randomnes.seed=3`` adds the key ``randomnes``).

    Examples:
        >>> import argparse
        >>> parser = argparse.ArgumentParser()
        >>> _ = parser.add_argument("--cfg-options", nargs="+", action=DictAction)
        >>> parser.parse_args(["--cfg-options", "a.b=1", "c=[1,2]", "d=(1,2)", "e.0.f=x"]).cfg_options
        {'a.b': 1, 'c': [1, 2], 'd': (1, 2), 'e.0.f': 'x'}
    """

    @staticmethod
    def parse_options(values: list[str] | str) -> dict[str, Any]:
        """Parse ``KEY=VALUE`` strings into a dict, raising one ConfigError for all bad ones."""
        if isinstance(values, str):
            values = [values]
        options: dict[str, Any] = {}
        problems: list[ConfigProblem] = []
        for item in values:
            key, sep, raw = item.partition("=")
            key = key.strip()
            if not sep or not key or any(not part for part in key.split(".")):
                problems.append(
                    ConfigProblem(f"option {item!r} is not of the form KEY=VALUE", "--cfg-options", None, key or None)
                )
                continue
            try:
                options[key] = parse_option_value(raw)
            except ValueError as err:
                problems.append(ConfigProblem(f"bad value {raw!r}: {err}", "--cfg-options", None, key))
        if problems:
            raise ConfigError(problems)
        return options

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        try:
            options = self.parse_options(values)
        except ConfigError as err:
            raise ConfigOptionError(err.problems, self) from err
        current = getattr(namespace, self.dest, None)
        merged = dict(current) if isinstance(current, dict) else {}
        merged.update(options)
        setattr(namespace, self.dest, merged)
