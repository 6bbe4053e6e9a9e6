"""mme.config._data: JSON and YAML loading and the repeated-key scans, case by case."""

from __future__ import annotations

import pytest
from mme.config import ConfigError
from mme.config._data import load_json, load_yaml


def _repeats(load, text):
    with pytest.raises(ConfigError) as info:
        load(text, "f.txt")
    return [(p.lineno, p.key, p.message.split(" (")[0]) for p in info.value.problems]


def test_empty_texts():
    assert load_json("", "f.json") == {}
    assert load_json(" \n\t", "f.json") == {}
    assert load_yaml("", "f.yaml") is None
    assert load_yaml("# only a comment\n", "f.yaml") is None


def test_json_without_repeats_loads_as_is():
    text = '{"a": [1, {"b": "c"}], "c": {"b": 2}}'
    assert load_json(text, "f.json") == {"a": [1, {"b": "c"}], "c": {"b": 2}}
    assert load_json("[1, 2]", "f.json") == [1, 2]


def test_json_repeats_in_the_later_objects_of_a_list_have_the_index_in_their_path():
    text = '[\n {"a": 1},\n {"b": 1,\n  "b": 2},\n [0, {"c": 1, "c": 2}]\n]'
    assert _repeats(load_json, text) == [(4, "1.b", "duplicate key 'b'"), (5, "2.1.c", "duplicate key 'c'")]


def test_json_value_strings_are_not_keys():
    # "k" as a value and in a list of an object must not count as a key of that object
    text = '{"v": "k",\n "l": ["k", "k"],\n "k": 1,\n "k": 2}'
    problems = _repeats(load_json, text)
    assert problems == [(4, "k", "duplicate key 'k'")]
    with pytest.raises(ConfigError) as info:
        load_json(text, "f.json")
    assert "first defined on line 3 " in info.value.problems[0].message
    assert info.value.problems[0].filename == "f.json"


def test_json_keys_after_a_closed_container():
    text = '{"o": {"x": 1}, "x": 1,\n"l": [1, 2], "o": 2, "x": 3}'
    assert _repeats(load_json, text) == [(2, "o", "duplicate key 'o'"), (2, "x", "duplicate key 'x'")]


def test_json_three_times_is_reported_twice_against_the_first():
    text = '{"a": 1,\n"a": 2,\n"a": 3}'
    with pytest.raises(ConfigError) as info:
        load_json(text, "f.json")
    assert [(p.lineno, p.key) for p in info.value.problems] == [(2, "a"), (3, "a")]
    assert all("first defined on line 1 " in p.message for p in info.value.problems)


def test_yaml_repeats_sorted_by_line_with_paths():
    text = "a: 1\nl:\n  - x\n  - {k: 1, k: 2}\nm:\n  n: 1\n  n: 2\na: 3\n"
    assert _repeats(load_yaml, text) == [(4, "l.1.k", "duplicate key 'k'"), (7, "m.n", "duplicate key 'n'"),
                                         (8, "a", "duplicate key 'a'")]


def test_yaml_without_repeats_and_with_shared_or_cyclic_aliases():
    assert load_yaml("a: &x {k: 1}\nb: *x\nc: [*x, *x]\n", "f.yaml") == {"a": {"k": 1}, "b": {"k": 1},
                                                                         "c": [{"k": 1}, {"k": 1}]}
    data = load_yaml("a: &x [1, *x]\n", "f.yaml")
    assert data["a"][0] == 1 and data["a"][1] is data["a"]
    # a repeat inside an aliased mapping is reported once, at the path where it is written
    text = "a: &x\n  k: 1\n  k: 2\nb: *x\n"
    assert _repeats(load_yaml, text) == [(3, "a.k", "duplicate key 'k'")]
    text = "a:\n  deep: &x\n    k: 1\n    k: 2\nb: [*x]\nc: *x\n"
    assert _repeats(load_yaml, text) == [(4, "a.deep.k", "duplicate key 'k'")]


def test_yaml_merge_keys_are_not_repeats_but_a_repeated_merge_target_is_scanned():
    text = "b: &b {x: 1}\nc:\n  <<: *b\n  x: 2\n  y: 1\n  y: 2\n"
    assert _repeats(load_yaml, text) == [(6, "c.y", "duplicate key 'y'")]
    assert load_yaml("b: &b {x: 1}\nc:\n  <<: *b\n  x: 2\n", "f.yaml")["c"] == {"x": 2}


def test_yaml_keys_that_do_not_construct_compare_by_their_text():
    text = "m:\n  !foo abc: 1\n  !foo abc: 2\n"
    assert _repeats(load_yaml, text) == [(3, "m.abc", "duplicate key 'abc'")]


def test_yaml_complex_keys_are_never_repeats_of_each_other():
    # two flow-sequence keys with equal text: the scan treats non-scalar keys as distinct;
    # construction then refuses the unhashable key itself
    import yaml

    with pytest.raises(yaml.YAMLError, match="unhashable"):
        load_yaml("? [a]\n: 1\n? [a]\n: 2\n", "f.yaml")


def test_yaml_first_line_and_filename():
    with pytest.raises(ConfigError) as info:
        load_yaml("\n\nx: 1\ny: 0\nx: 2\n", "cfg.yaml")
    (problem,) = info.value.problems
    assert (problem.filename, problem.lineno, problem.key) == ("cfg.yaml", 5, "x")
    assert "first defined on line 3 of the same mapping" in problem.message


def test_yaml_several_merge_keys_in_one_mapping_are_not_repeats():
    text = "a: &a {x: 1}\nb: &b {y: 2}\nc:\n  <<: *a\n  <<: *b\n  z: 3\n"
    assert load_yaml(text, "f.yaml")["c"] == {"x": 1, "y": 2, "z": 3}


def test_yaml_scan_goes_on_after_an_alias_already_scanned():
    text = "a: &x {k: 1}\nb: *x\nc:\n  d: 1\n  d: 2\n"
    assert _repeats(load_yaml, text) == [(5, "c.d", "duplicate key 'd'")]


def test_yaml_repeats_inside_the_value_of_a_complex_key_are_reported():
    with pytest.raises(ConfigError) as info:
        load_yaml("? [a]\n: {k: 1,\n   k: 2}\n", "f.yaml")
    (problem,) = info.value.problems
    assert problem.lineno == 3 and problem.message.startswith("duplicate key 'k'")
