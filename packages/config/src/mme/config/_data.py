"""Reading JSON and YAML config text, where a key written twice in one mapping is an error.

Both formats keep the last value of a repeated key without a word, so a forgotten earlier
``lr: 0.1`` three screens up silently loses to a later one. Here every repeat is reported
with its file, line and dotted key path, and the line of the first definition.
"""

from __future__ import annotations

from typing import Any

from ._errors import ConfigError, ConfigProblem

__all__ = ["load_json", "load_yaml"]


def _join(prefix: str, key: Any) -> str:
    return f"{prefix}.{key}" if prefix else str(key)


def _duplicate(filename: str, line: int, path: str, key: Any, first_line: int) -> ConfigProblem:
    return ConfigProblem(
        f"duplicate key {key!r} (first defined on line {first_line} of the same mapping); "
        "remove one of the two",
        filename,
        line,
        path,
    )


# -- JSON ---------------------------------------------------------------------------------------


def load_json(text: str, filename: str) -> Any:
    """Parse JSON text, raising a ConfigError listing every repeated key.

    Raises:
        json.JSONDecodeError: The text is not JSON.
        ConfigError: An object repeats a key.
    """
    import json

    repeated = False

    def pairs_hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        nonlocal repeated
        result = dict(pairs)
        if len(result) != len(pairs):
            repeated = True
        return result

    data = json.loads(text, object_pairs_hook=pairs_hook) if text.strip() else {}
    if repeated:  # the rare case: scan the text again to say where
        raise ConfigError(_json_duplicates(text, filename))
    return data


def _json_duplicates(text: str, filename: str) -> list[ConfigProblem]:
    """Find the repeated keys of valid JSON text, with their lines and key paths.

    A structural scan: strings are skipped whole (strict JSON strings hold no raw newline,
    so lines are counted outside them), brackets open and close containers, and in an
    object a string before ``:`` is a key.
    """
    from json.decoder import scanstring

    problems: list[ConfigProblem] = []
    # One entry per open container: [is_object, path, keys seen (key -> line), pending key or index]
    stack: list[list[Any]] = []
    line, pos, end = 1, 0, len(text)
    expect_key = False
    while pos < end:
        char = text[pos]
        if char == "\n":
            line += 1
        elif char == '"':
            value, pos = scanstring(text, pos + 1)
            if stack and stack[-1][0] and expect_key:
                top = stack[-1]
                first = top[2].get(value)
                if first is not None:
                    problems.append(_duplicate(filename, line, _join(top[1], value), value, first))
                else:
                    top[2][value] = line
                top[3] = value
                expect_key = False
            continue
        elif char in "{[":
            path = "" if not stack else _join(stack[-1][1], stack[-1][3])
            stack.append([char == "{", path, {}, 0])
            expect_key = char == "{"
        elif char in "}]":
            stack.pop()
            expect_key = False
        elif char == "," and stack:
            if stack[-1][0]:
                expect_key = True
            else:
                stack[-1][3] += 1
        pos += 1
    return problems


# -- YAML ---------------------------------------------------------------------------------------

_MERGE_TAG = "tag:yaml.org,2002:merge"


def load_yaml(text: str, filename: str) -> Any:
    """Parse YAML text safely, raising a ConfigError listing every repeated mapping key.

    Keys brought in by a ``<<: *anchor`` merge may be overridden (that is what the merge
    key is for); only keys written twice in one mapping are repeats.

    Raises:
        yaml.YAMLError: The text is not YAML.
        ConfigError: A mapping repeats a key.
    """
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        problems = _yaml_duplicates(loader, node, filename)
        if problems:
            raise ConfigError(problems)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _yaml_duplicates(loader: Any, root: Any, filename: str) -> list[ConfigProblem]:
    import yaml

    problems: list[ConfigProblem] = []
    seen: set[int] = set()  # aliases share nodes, and may even form cycles
    # Depth first in document order, so that a node shared through an alias is reported at the
    # path where it is written (an anchor always comes before its aliases), not at an alias.
    todo: list[tuple[Any, str]] = [(root, "")]
    while todo:
        node, path = todo.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        children: list[tuple[Any, str]] = []
        if isinstance(node, yaml.SequenceNode):
            children = [(item, _join(path, i)) for i, item in enumerate(node.value)]
        elif isinstance(node, yaml.MappingNode):
            first: dict[Any, int] = {}
            for key_node, value_node in node.value:
                if key_node.tag == _MERGE_TAG:
                    continue
                key = _yaml_key(loader, key_node)
                line = key_node.start_mark.line + 1
                try:
                    earlier = first.get(key)
                except TypeError:  # an unhashable key (a sequence); construction reports it
                    continue
                if earlier is not None:
                    problems.append(_duplicate(filename, line, _join(path, key), key, earlier))
                else:
                    first[key] = line
                children.append((value_node, _join(path, key)))
        todo.extend(reversed(children))
    problems.sort(key=lambda p: p.lineno or 0)
    return problems


def _yaml_key(loader: Any, node: Any) -> Any:
    """The value of a scalar key node (``1`` and ``0x1`` are the same key), else the node."""
    import yaml

    if isinstance(node, yaml.ScalarNode):
        try:
            return loader.construct_object(node)
        except yaml.YAMLError:
            return node.value
    return id(node)
