"""mme.config._format: the exact text of each kind of value, the line width and the round trip."""

from __future__ import annotations

import collections
import functools
import math
from types import MappingProxyType

import pytest
from mme.config import Config, ConfigError
from mme.config._format import WIDTH, _Formatter, _is_name, dotted_name, format_config, to_serializable


def test_dotted_name():
    assert dotted_name(collections.OrderedDict) == "collections.OrderedDict"
    assert dotted_name(len) == "builtins.len"
    assert dotted_name(test_dotted_name) == f"{__name__}.test_dotted_name"
    assert dotted_name(3) is None
    assert dotted_name(functools.partial(len)) is None


def test_to_serializable():
    Point = collections.namedtuple("Point", "x y")
    value = {"a": (1, [2, (3,)]), "c": collections.OrderedDict, "f": len, "m": MappingProxyType({"k": (1,)}),
             "p": Point(1, 2), "o": functools.partial(len), "s": "x", "n": None}
    out = to_serializable(value)
    assert out["a"] == (1, [2, (3,)]) and type(out["a"]) is tuple and type(out["a"][1][1]) is tuple
    assert out["c"] == "collections.OrderedDict" and out["f"] == "builtins.len"
    assert out["m"] == {"k": (1,)} and type(out["m"]) is dict
    assert out["p"] is value["p"]  # a tuple subclass stays as it is
    assert out["o"] is value["o"]  # a callable without a dotted name stays as it is
    assert out["s"] == "x" and out["n"] is None
    flat = to_serializable(value, tuples=False)
    assert flat["a"] == [1, [2, [3]]] and flat["m"] == {"k": [1]}


def test_to_serializable_lazy_objects():
    from mme.config._lazy import LazyObject

    lazy = LazyObject("collections")
    assert to_serializable([lazy]) == [str(lazy)]
    assert isinstance(to_serializable(lazy), str)


def test_is_name():
    assert _is_name("abc") and _is_name("_x1")
    assert not _is_name("1a") and not _is_name("a b") and not _is_name("class") and not _is_name(1)


@pytest.mark.parametrize(("value", "normal", "literal"), [
    (float("nan"), "float('nan')", "(1e999 - 1e999)"),
    (float("inf"), "float('inf')", "1e999"),
    (-float("inf"), "-float('inf')", "-1e999"),
    (1.5, "1.5", "1.5"),
    (-0.0, "-0.0", "-0.0"),
    ("a{{b}}", "'a{' '{b}}'", "'a{' '{b}}'"),
    ("{{{x", "'{' '{' '{x'", "'{' '{' '{x'"),
    ("{x}", "'{x}'", "'{x}'"),
    (b"x", "b'x'", "b'x'"),
    (True, "True", "True"),
    (3, "3", "3"),
    (None, "None", "None"),
    ((), "()", "()"),
    ((1,), "(1,)", "(1,)"),
    ((1, 2), "(1, 2)", "(1, 2)"),
    ([], "[]", "[]"),
    ([1, "a"], "[1, 'a']", "[1, 'a']"),
    ({}, "dict()", "{}"),
    ({"a": 1, "b": [2]}, "dict(a=1, b=[2])", "{'a': 1, 'b': [2]}"),
    ({"a": 1, "b c": 2}, "{'a': 1, 'b c': 2}", "{'a': 1, 'b c': 2}"),
    ({(1, 2): 3}, "{(1, 2): 3}", "{(1, 2): 3}"),
    ({1: 2}, "{1: 2}", "{1: 2}"),
    ({frozenset([1]): 1}, "{'frozenset({1})': 1}", "{'frozenset({1})': 1}"),
    ({3, 1, 2}, "set([1, 2, 3])", "{1, 2, 3}"),
    (set(), "set([])", "{*()}"),
    ([{"b", "a"}], "[set(['a', 'b'])]", "[{'a', 'b'}]"),
    (frozenset({"b", "a"}), "frozenset(['a', 'b'])", None),
    (frozenset({2, 1}), "frozenset([1, 2])", "frozenset([1, 2])"),
    (collections.OrderedDict, "'collections.OrderedDict'", "'collections.OrderedDict'"),
    (MappingProxyType({"k": 1}), "dict(k=1)", "{'k': 1}"),
])
def test_inline(value, normal, literal):
    assert _Formatter(frozenset()).inline(value) == normal
    if literal is not None:
        assert _Formatter(frozenset({"dict"})).inline(value) == literal


def test_inline_of_other_objects_is_their_repr_as_a_string():
    class Thing:
        def __repr__(self):
            return "Thing{{1}}"

    assert _Formatter(frozenset()).inline(Thing()) == "'Thing{' '{1}}'"
    assert _Formatter(frozenset()).inline(functools.partial(len)) == "'functools.partial(<built-in function len>)'"


def test_block_breaks_at_the_width():
    fmt = _Formatter(frozenset())
    value = ["x" * 10] * 6  # inline: 6 * 12 + 2 * 5 + 2 = 84 characters
    text = fmt.inline(value)
    assert fmt.block(value, "", WIDTH - len(text)) == text
    assert fmt.block(value, "", WIDTH - len(text) + 1) == "[\n" + "    'xxxxxxxxxx',\n" * 6 + "]"
    assert fmt.block(tuple(value), "  ", 10) == "(\n" + "      'xxxxxxxxxx',\n" * 6 + "  )"
    assert fmt.block([], "", 200) == "[]" and fmt.block({}, "", 200) == "dict()" and fmt.block("s", "", 200) == "'s'"


def test_block_of_dicts():
    fmt = _Formatter(frozenset())
    value = {"a": "x" * 40, "b": {"c": "y" * 80, "d": 1}}
    assert fmt.block(value, "", 0) == (
        "dict(\n"
        f"    a='{'x' * 40}',\n"
        "    b=dict(\n"
        f"        c='{'y' * 80}',\n"
        "        d=1,\n"
        "    ),\n"
        ")")
    value = {"a b": "x" * 40, 1: {"c": "y" * 40, "d": 1}}
    assert fmt.block(value, "", 0) == (
        "{\n"
        f"    'a b': '{'x' * 40}',\n"
        f"    1: dict(c='{'y' * 40}', d=1),\n"
        "}")
    literal = _Formatter(frozenset({"dict"}))
    assert literal.block({"a": "x" * 50, "b": "y" * 40}, "", 0) == (
        "{\n"
        f"    'a': '{'x' * 50}',\n"
        f"    'b': '{'y' * 40}',\n"
        "}")


def test_block_nested_widths_count_the_key():
    fmt = _Formatter(frozenset())
    # at indent 4 with key 'k' the value starts at column 4 + 1 + 1 = 6
    inner = ["z" * 10] * 6  # 84 characters inline
    out = fmt.block({"k": inner, "pad": "p" * 80}, "", 0)
    assert out.splitlines()[1] == "    k=["
    inner = ["z" * 10] * 5 + ["z" * 5]  # 77 characters inline: fits after '    k='
    out = fmt.block({"k": inner, "pad": "p" * 80}, "", 0)
    assert out.splitlines()[1] == f"    k={fmt.inline(inner)},"
    out = fmt.block({"kk b": inner + ["zz"], "pad b": "p" * 80}, "", 0)
    assert out.splitlines()[1] == "    'kk b': ["


def test_format_config_names_shadowed_keys_and_other_keys():
    cfg = {"a": {"x": 1}, "dict": 2, "b c": 3, "1": 4}
    text = format_config(cfg)
    assert text == "globals().update({'b c': 3, '1': 4})\na = {'x': 1}\ndict = 2\n"
    assert Config.fromstring(text, ".py").to_dict() == cfg
    assert format_config({"a": {"x": 1}}) == "a = dict(x=1)\n"
    for shadowed in ("float", "set", "frozenset", "globals"):
        assert format_config({"a": {"x": 1}, shadowed: 1}).startswith("a = {'x': 1}\n")


def test_format_config_width_of_top_level_assignments():
    value = ["x" * 10] * 6  # 84 characters inline
    assert format_config({"ab": value}) == "ab = [\n" + "    'xxxxxxxxxx',\n" * 6 + "]\n"  # 5 + 84 > 88
    assert format_config({"a": value}) == f"a = {value!r}\n"  # 4 + 84 <= 88
    long = {f"k{i}": "v" * 20 for i in range(4)}
    text = format_config({"a b": 1, **{"c d": long}})
    assert text.startswith("globals().update({\n    'a b': 1,\n    'c d': dict(\n")


def test_format_config_round_trips_special_floats_and_braces():
    cfg = {"n": float("nan"), "i": float("inf"), "m": -float("inf"), "s": "{{ fileDirname }}", "t": (1,),
           "set": {1, 2}}
    back = Config.fromstring(format_config(cfg), ".py").to_dict()
    assert math.isnan(back["n"]) and back["i"] == math.inf and back["m"] == -math.inf
    assert back["s"] == "{{ fileDirname }}" and back["t"] == (1,)
    assert back["set"] == {1, 2}


@pytest.mark.parametrize("cfg", [
    {"set": {1, 2}, "s": {3}, "e": set(), "f": frozenset([4]), "n": [{5}, frozenset()]},
    {"dict": 1, "s": set(), "f": frozenset({1, 2})},
    {"s": {1}, "set": 2, "t": {"a", "b"}},  # the key that rebinds set comes after a set value, and before one
])
def test_sets_round_trip_when_a_key_rebinds_a_builtin(cfg):
    back = Config.fromstring(format_config(cfg), ".py").to_dict()
    assert back == cfg and [type(v) for v in back.values()] == [type(v) for v in cfg.values()]


def test_a_frozenset_in_a_config_that_rebinds_frozenset_is_an_error():
    with pytest.raises(ConfigError, match=r"cannot write the frozenset frozenset\(\{1\}\) as Python: the config "
                                          r"rebinds the name 'frozenset' \(a top-level key\); rename that key, or dump "
                                          r"to \.json or \.yaml"):
        format_config({"frozenset": 1, "f": frozenset([1])})


def test_a_dotted_name_with_braces_is_split_too():
    cls = type("A{{b}}", (), {})
    assert _Formatter(frozenset()).inline(cls) == f"'{__name__}.A{{' '{{b}}}}'"


@pytest.mark.parametrize(("n", "fits"), [(77, True), (78, False)])
def test_width_of_a_value_after_a_name_key(n, fits):
    # '    k=' + value + ',' must fit in 88 columns: the value may take 88 - 7 = 81
    fmt = _Formatter(frozenset())
    value = ["z" * n]  # inline: n + 4 characters
    out = fmt.block({"k": value, "pad": "p" * 90}, "", 0).splitlines()
    assert (out[1] == f"    k={fmt.inline(value)},") is fits


@pytest.mark.parametrize(("n", "fits"), [(72, True), (73, False)])
def test_width_of_a_value_after_a_quoted_key(n, fits):
    # "    'k b': " + value + ',' must fit in 88 columns: the value may take 88 - 12 = 76
    fmt = _Formatter(frozenset())
    value = ["z" * n]
    out = fmt.block({"k b": value, "pad b": "p" * 90}, "", 0).splitlines()
    assert (out[1] == f"    'k b': {fmt.inline(value)},") is fits


@pytest.mark.parametrize(("n", "fits"), [(79, True), (80, False)])
def test_width_of_a_list_item(n, fits):
    # '    ' + item + ',' must fit in 88 columns: the item may take 88 - 5 = 83
    fmt = _Formatter(frozenset())
    item = ["z" * n]
    out = fmt.block([item, "p" * 90], "", 0).splitlines()
    assert (out[1] == f"    {fmt.inline(item)},") is fits


@pytest.mark.parametrize(("n", "fits"), [(59, True), (60, False)])
def test_width_of_the_globals_update_statement(n, fits):
    # 'globals().update(' + dict + ')' must fit in 88 columns: the dict may take 88 - 18 = 70
    text = format_config({"a b": "x" * n})
    assert (text == f"globals().update({{'a b': '{'x' * n}'}})\n") is fits
