"""mme.config._dict_action: option values, their errors, and how argparse reports them."""

from __future__ import annotations

import argparse
import pickle

import pytest
from mme.config import ConfigError
from mme.config._dict_action import ConfigOptionError, DictAction, _scalar, parse_option_value


@pytest.mark.parametrize(("text", "value"), [
    ("'", "'"), ('"', '"'), ("''", ""), ("'ab'", "ab"), ('"x y"', "x y"), ("'ab\"", "'ab\""), ("ab'", "ab'"),
    ("'a", "'a"), ("a", "a"), ("XabX", "XabX"), ("'a\"", "'a\""), ("a'", "a'"), ("TRUE", True), ("fAlse", False),
    ("NONE", "NONE"), ("0x10", "0x10"), ("1_0", 10), ("inf", float("inf")), (" 1", 1),
])
def test_scalars(text, value):
    got = _scalar(text)
    assert got == value and type(got) is type(value)


@pytest.mark.parametrize(("text", "value"), [
    ("  [ 1 , 2 ]  ", [1, 2]),
    ("[ ]", []),
    ("( 1 , )", (1,)),
    ("[1,]", [1]),
    ("[ 'a]' , \"(\" ]", ["a]", "("]),
    ("a b", "a b"),
    (" x ", "x"),
    ("1 , 2 ,", [1, 2]),
    ("1 ,", [1]),
    ("a, ", ["a"]),
    ("1,[2,3] , (4)", [1, [2, 3], (4,)]),
    ("'x'", "x"),
    ("'a,b',c", ["a,b", "c"]),
    ("   ", ""),
    ("[[]]", [[]]),
    ("[()]", [()]),
    ("''", ""),
    ("[''", None),
    ("Xab", "Xab"),
    ("XabX", "XabX"),
    ("[XabX, 'Y']", ["XabX", "Y"]),
])
def test_values(text, value):
    if value is None:  # an unclosed list after an empty quoted string
        with pytest.raises(ValueError, match="missing closing"):
            parse_option_value(text)
        return
    got = parse_option_value(text)
    assert got == value and type(got) is type(value)


@pytest.mark.parametrize(("text", "message"), [
    ("'abc", "unclosed quote ' at position 0 of \"'abc\""),
    ("[1, \"x", "unclosed quote \" at position 4 of '[1, \"x'"),
    ("[1, 2", "missing closing ']' at position 5 of '[1, 2'"),
    ("(1", "missing closing ')' at position 2 of '(1'"),
    ("(", "missing closing ')' at position 1 of '('"),
    ("[1 2]x", "unexpected 'x' at position 5 of '[1 2]x'"),
    ("[1 (2)]", "expected ',' or ']', found '(' at position 3 of '[1 (2)]'"),
    ("(1]", "expected ',' or ')', found ']' at position 2 of '(1]'"),
    ("[1,,2]", "missing value at position 3 of '[1,,2]'"),
    (",1", "missing value at position 0 of ',1'"),
    ("1]", "unexpected ']' at position 1 of '1]'"),
    ("1 )", "unexpected ')' at position 2 of '1 )'"),
    ("'a' b", "unexpected 'b' at position 4 of \"'a' b\""),
    ("1,,", "missing value at position 2 of '1,,'"),
])
def test_value_errors(text, message):
    with pytest.raises(ValueError) as info:
        parse_option_value(text)
    assert str(info.value) == message


def test_parse_options_takes_a_string_and_strips_keys():
    assert DictAction.parse_options("a.b=1") == {"a.b": 1}
    assert DictAction.parse_options([" a = [1] ", "b="]) == {"a": [1], "b": ""}
    assert DictAction.parse_options([]) == {}


def test_parse_options_reports_every_bad_option():
    with pytest.raises(ConfigError) as info:
        DictAction.parse_options(["ok=1", "novalue", "=1", "a..b=1", ".a=1", "a.=1", "c=[1", " =2"])
    problems = info.value.problems
    assert [(p.key, p.filename, p.lineno) for p in problems] == [
        ("novalue", "--cfg-options", None), (None, "--cfg-options", None), ("a..b", "--cfg-options", None),
        (".a", "--cfg-options", None), ("a.", "--cfg-options", None), ("c", "--cfg-options", None),
        (None, "--cfg-options", None)]
    assert problems[0].message == "option 'novalue' is not of the form KEY=VALUE"
    assert problems[5].message == "bad value '[1': missing closing ']' at position 2 of '[1'"


def _parser():
    parser = argparse.ArgumentParser(prog="p", exit_on_error=False)
    parser.add_argument("--cfg-options", "-o", nargs="+", action=DictAction)
    return parser


def test_argparse_reports_a_bad_option_as_an_argument_error():
    with pytest.raises(ConfigOptionError) as info:
        _parser().parse_args(["-o", "a=1", "b"])
    err = info.value
    assert isinstance(err, argparse.ArgumentError) and isinstance(err, ConfigError)
    assert err.argument_name == "--cfg-options/-o"
    assert err.message == str(err) and "option 'b' is not of the form KEY=VALUE" in err.message
    assert isinstance(err.__cause__, ConfigError)


def test_option_error_without_an_argument_and_pickling():
    from mme.config._errors import ConfigProblem

    problem = ConfigProblem("bad", "--cfg-options", None, "k")
    err = ConfigOptionError([problem])
    assert err.argument_name is None and err.message == str(err)
    positional = argparse.Action(option_strings=[], dest="opts")
    assert ConfigOptionError([problem], positional).argument_name is None
    named = argparse.Action(option_strings=["--o"], dest="o")
    err = ConfigOptionError([problem], named)
    copy = pickle.loads(pickle.dumps(err))
    assert type(copy) is ConfigOptionError and copy.argument_name == "--o"
    assert [(p.message, p.key) for p in copy.problems] == [("bad", "k")] and str(copy) == str(err)


def test_options_merge_into_an_earlier_dict_and_replace_anything_else():
    parser = _parser()
    ns = argparse.Namespace(cfg_options={"x": 1, "a": 0})
    parser.parse_args(["-o", "a=2"], namespace=ns)
    assert ns.cfg_options == {"x": 1, "a": 2}
    ns = argparse.Namespace(cfg_options="not a dict")
    parser.parse_args(["-o", "a=2"], namespace=ns)
    assert ns.cfg_options == {"a": 2}
    assert parser.parse_args([]).cfg_options is None
