"""Text substitutions done before a classic config file is parsed.

``{{ fileDirname }}`` and friends, ``{{$ENV:default}}`` and ``{{_base_.a.b}}`` are replaced
in the raw text. Base references and missing environment variables become unique tokens,
found again in the parsed dict so that errors can name the dotted key they ended up in.
"""

from __future__ import annotations

import copy
import os
import re
from typing import Any

from ._errors import ConfigProblem

__all__ = ["Substituted", "find_tokens", "resolve_base_refs", "substitute"]

_PREDEFINED = re.compile(r"\{\{\s*(fileDirname|fileBasename|fileBasenameNoExtension|fileExtname)\s*\}\}")
_ENV = re.compile(r"\{\{\s*['\"]?\s*\$(\w+)\s*(?::\s*(.*?)\s*)?['\"]?\s*\}\}")
_BASE_REF = re.compile(r"(['\"]?)\{\{\s*_base_\.([\w.]+)\s*\}\}(['\"]?)")
BASE_REF_FUNC = "__mme_base_ref__"
# A token is written quoted where a value starts, bare where it is part of a longer text.
_VALUE_START = set(" \t\n=:,([{")


class Substituted:
    """The result of :func:`substitute`."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.env_variables: dict[str, str] = {}
        self.base_refs: dict[str, tuple[str, int]] = {}  # token -> (dotted path, line)
        self.missing_env: dict[str, tuple[str, int]] = {}  # token -> (variable, line)


def _lineno(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


def _token_for(
    text: str, start: int, end: int, token: str, quote_open: str = "", quote_close: str = "", call: str | None = None
) -> str:
    value = f'{call}("{token}")' if call else f'"{token}"'
    if quote_open and quote_open == quote_close:
        return value
    before = text[start - 1] if start > 0 else "\n"
    after = text[end] if end < len(text) else "\n"
    if before in _VALUE_START and (after in _VALUE_START or after in ",)]}\r#"):
        return quote_open + value + quote_close
    return quote_open + token + quote_close


def substitute(
    text: str, filename: str | None, use_predefined_variables: bool = True, python: bool = False
) -> Substituted:
    """Apply the predefined-variable, environment and base-reference substitutions.

    In Python text (``python=True``) a base reference in value position becomes a call of
    ``BASE_REF_FUNC``, which returns a deep copy of the base value while the file runs.
    """
    if use_predefined_variables and filename is not None:
        path = os.path.abspath(filename)
        stem, ext = os.path.splitext(os.path.basename(path))
        values = {
            "fileDirname": os.path.dirname(path),
            "fileBasename": os.path.basename(path),
            "fileBasenameNoExtension": stem,
            "fileExtname": ext,
        }
        text = _PREDEFINED.sub(lambda m: values[m.group(1)].replace("\\", "/"), text)

    result = Substituted(text)
    salt = os.urandom(4).hex()

    def env(match: re.Match) -> str:
        name, default = match.group(1), match.group(2)
        if name in os.environ:
            value = os.environ[name]
        elif default is not None:
            value = default
        else:
            token = f"_mme_missing_env_{salt}_{len(result.missing_env)}_"
            result.missing_env[token] = (name, _lineno(text, match.start()))
            return _token_for(text, match.start(), match.end(), token)
        result.env_variables[name] = value
        return value

    text = _ENV.sub(env, text)

    def base_ref(match: re.Match) -> str:
        token = f"_mme_base_ref_{salt}_{len(result.base_refs)}_"
        result.base_refs[token] = (match.group(2), _lineno(text, match.start()))
        call = BASE_REF_FUNC if python else None
        return _token_for(text, match.start(), match.end(), token, match.group(1), match.group(3), call)

    result.text = _BASE_REF.sub(base_ref, text)
    return result


def find_tokens(value: Any, tokens: dict[str, Any], path: str = "") -> list[tuple[str, str]]:
    """Return ``(token, dotted key)`` for every token that occurs in a string of ``value``."""
    found: list[tuple[str, str]] = []
    if isinstance(value, dict):
        for key, item in dict.items(value):
            found += find_tokens(item, tokens, f"{path}.{key}" if path else str(key))
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            found += find_tokens(item, tokens, f"{path}.{index}" if path else str(index))
    elif isinstance(value, str) and "_mme_" in value:
        found += [(token, path) for token in tokens if token in value]
    return found


def lookup(base: Any, dotted: str) -> Any:
    node = base
    for part in dotted.split("."):
        if isinstance(node, dict) and part in node:
            node = dict.__getitem__(node, part)
        elif isinstance(node, (list, tuple)) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            raise KeyError(part)
    return node


def resolve_base_refs(
    value: Any,
    refs: dict[str, tuple[str, int]],
    base: dict,
    filename: str,
    problems: list[ConfigProblem],
    path: str = "",
) -> Any:
    """Replace base-reference tokens in ``value`` by deep copies of the referenced base values."""
    if isinstance(value, dict):
        for key, item in list(dict.items(value)):
            dict.__setitem__(
                value,
                key,
                resolve_base_refs(item, refs, base, filename, problems, f"{path}.{key}" if path else str(key)),
            )
        return value
    if type(value) in (list, tuple):
        items = [
            resolve_base_refs(v, refs, base, filename, problems, f"{path}.{i}" if path else str(i))
            for i, v in enumerate(value)
        ]
        return type(value)(items)
    if not isinstance(value, str) or "_mme_base_ref_" not in value:
        return value
    for token, (dotted, line) in refs.items():
        if token not in value:
            continue
        try:
            target = lookup(base, dotted)
        except KeyError as err:
            problems.append(
                ConfigProblem(
                    f"{{{{_base_.{dotted}}}}} refers to '{err.args[0]}', which the bases do not define",
                    filename,
                    line,
                    path,
                )
            )
            return value
        if value == token:
            from ._config_dict import _convert

            return _convert(copy.deepcopy(target))
        value = value.replace(f'"{token}"', str(target)).replace(token, str(target))
    return value
