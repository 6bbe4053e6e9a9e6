"""ConfigProblem and ConfigError: how a problem's location reads, equality, pickling, several problems."""

from __future__ import annotations

import pickle

import pytest

from mme.config import ConfigError, ConfigProblem
from mme.config._errors import ConfigFileNotFoundError


@pytest.mark.parametrize(
    ("kwargs", "text"),
    [
        ({}, "bad"),
        ({"filename": "a.py"}, "a.py: bad"),
        ({"filename": "a.py", "lineno": 3}, "a.py:3: bad"),
        ({"lineno": 3}, "line 3: bad"),
        ({"key": "model.depth"}, "key 'model.depth': bad"),
        ({"filename": "a.py", "lineno": 3, "key": "m"}, "a.py:3, key 'm': bad"),
        ({"lineno": 0}, "line 0: bad"),
    ],
)
def test_problem_text_names_where(kwargs, text):
    assert str(ConfigProblem("bad", **kwargs)) == text


def test_problem_equality_hash_repr_and_pickle():
    a = ConfigProblem("bad", "a.py", 3, "k")
    assert a == ConfigProblem("bad", "a.py", 3, "k")
    assert a != ConfigProblem("bad", "a.py", 4, "k")
    assert a != ("bad", "a.py", 3, "k")
    assert len({a, ConfigProblem("bad", "a.py", 3, "k")}) == 1
    assert repr(a) == "ConfigProblem(message='bad', filename='a.py', lineno=3, key='k')"
    assert pickle.loads(pickle.dumps(a)) == a


def test_error_with_several_problems_lists_them_and_locates_the_first():
    problems = [ConfigProblem("first", "a.py", 1, "x"), ConfigProblem("second", "b.py", 2)]
    err = ConfigError(problems)
    assert str(err) == "2 problems in config:\n  - a.py:1, key 'x': first\n  - b.py:2: second"
    assert err.args == (str(err),)
    assert (err.filename, err.lineno, err.key) == ("a.py", 1, "x")
    again = pickle.loads(pickle.dumps(err))
    assert type(again) is ConfigError and again.problems == problems and str(again) == str(err)


def test_error_from_one_problem_or_none():
    problem = ConfigProblem("only", "c.py")
    assert ConfigError(problem).problems == [problem]
    err = ConfigError([], filename="d.py", lineno=2, key="k")
    assert str(err) == "d.py:2, key 'k': invalid config"
    err = ConfigError("msg", filename="e.py", key="k")
    assert err.problems == [ConfigProblem("msg", "e.py", None, "k")]


def test_file_not_found_is_both_and_pickles_as_itself():
    err = ConfigFileNotFoundError("gone.py: config file does not exist")
    assert isinstance(err, FileNotFoundError) and isinstance(err, ConfigError)
    again = pickle.loads(pickle.dumps(err))
    assert type(again) is ConfigFileNotFoundError and str(again) == str(err)


def test_an_option_error_pickles_with_its_argument():
    import argparse

    from mme.config import DictAction
    from mme.config._dict_action import ConfigOptionError

    action = DictAction(option_strings=["--cfg-options"], dest="cfg_options")
    err = ConfigOptionError("bad value", argument=action)
    again = pickle.loads(pickle.dumps(err))
    assert type(again) is ConfigOptionError and isinstance(again, argparse.ArgumentError)
    assert (again.argument_name, again.message, str(again)) == ("--cfg-options", "bad value", "bad value")
