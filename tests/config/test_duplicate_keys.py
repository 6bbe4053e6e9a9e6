"""A key written twice in one YAML or JSON mapping is a ConfigError naming file, line and key."""

from __future__ import annotations

import os

import pytest
from mme.config import Config, ConfigError

YAML = """\
lr: 0.1
model:
  type: ResNet
  depth: 50
  depth: 101
heads:
  - {type: A, n: 1, n: 2}
lr: 0.2
"""

JSON = """\
{
  "lr": 0.1,
  "model": {
    "type": "ResNet",
    "depth": 50,
    "depth": 101
  },
  "heads": [{"type": "A", "n": 1, "n": 2}],
  "lr": 0.2
}
"""

# (file line, key path) of each repeat, in line order
EXPECTED = {
    ".yaml": [(5, "model.depth"), (7, "heads.0.n"), (8, "lr")],
    ".json": [(6, "model.depth"), (8, "heads.0.n"), (9, "lr")],
}


@pytest.mark.parametrize(("suffix", "text"), [(".yaml", YAML), (".json", JSON)])
def test_fromfile_reports_every_duplicate_with_file_line_and_key(write, suffix, text):
    path = write(f"cfg{suffix}", text)
    with pytest.raises(ConfigError) as info:
        Config.fromfile(path)
    problems = info.value.problems
    assert [(p.lineno, p.key) for p in problems] == EXPECTED[suffix]
    assert all(p.filename == str(path) for p in problems)
    first = 2 if suffix == ".json" else 1
    assert problems[-1].message == f"duplicate key 'lr' (first defined on line {first} of the same mapping); remove one of the two"
    assert f"{path}:{EXPECTED[suffix][0][0]}, key 'model.depth': duplicate key 'depth'" in str(info.value)


@pytest.mark.parametrize(("suffix", "text"), [(".yaml", YAML), (".json", JSON)])
def test_fromstring_reports_duplicates_too(suffix, text):
    with pytest.raises(ConfigError) as info:
        Config.fromstring(text, suffix)
    assert [(p.lineno, p.key) for p in info.value.problems] == EXPECTED[suffix]
    assert os.path.basename(info.value.filename) == f"<string>{suffix}"


def test_duplicate_in_a_base_names_the_base(write):
    base = write("base.yaml", "a: 1\nb: 2\na: 3\n")
    child = write("child.py", "_base_ = 'base.yaml'\nc = 4\n")
    with pytest.raises(ConfigError) as info:
        Config.fromfile(child)
    assert (info.value.filename, info.value.lineno, info.value.key) == (str(base), 3, "a")


def test_same_key_in_different_mappings_is_fine():
    text = "a: {x: 1}\nb: {x: 2}\nc: [{x: 1}, {x: 2}]\n"
    assert Config.fromstring(text, ".yaml").to_dict() == {"a": {"x": 1}, "b": {"x": 2}, "c": [{"x": 1}, {"x": 2}]}
    js = '{"a": {"x": 1}, "b": {"x": 2}, "c": [{"x": 1}, {"x": 2}]}'
    assert Config.fromstring(js, ".json").to_dict() == {"a": {"x": 1}, "b": {"x": 2}, "c": [{"x": 1}, {"x": 2}]}


def test_yaml_merge_key_may_be_overridden():
    text = "base: &b {lr: 0.1, momentum: 0.9}\noptim:\n  <<: *b\n  lr: 0.2\n"
    assert Config.fromstring(text, ".yaml").optim.to_dict() == {"lr": 0.2, "momentum": 0.9}


def test_yaml_keys_compare_by_value():
    with pytest.raises(ConfigError) as info:
        Config.fromstring("sizes:\n  1: a\n  0x1: b\n", ".yaml")
    assert (info.value.lineno, info.value.key) == (3, "sizes.1")


def test_json_strings_with_brackets_quotes_and_keys_do_not_confuse_the_lines():
    text = '{\n  "s": "{\\"lr\\": [1,",\n  "t": "\\u007b lr",\n  "lr": 1,\n  "u": "]}",\n  "lr": 2\n}\n'
    with pytest.raises(ConfigError) as info:
        Config.fromstring(text, ".json")
    assert [(p.lineno, p.key) for p in info.value.problems] == [(6, "lr")]


def test_python_configs_may_reassign_names(write):
    path = write("c.py", "lr = 0.1\nlr = lr * 2\n")
    assert Config.fromfile(path).lr == 0.2
