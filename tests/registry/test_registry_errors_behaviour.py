"""What mme.registry's exceptions carry and how they survive pickling (for errors sent between processes)."""

from __future__ import annotations

import pickle

import pytest

from mme.registry import BuildError, NotRegisteredError, Registry, RegistryError


class ConfigProblem(BuildError):
    """A library's own BuildError subclass, raised by a constructor."""


@pytest.fixture()
def reg():
    reg = Registry("thing", scope="errbeh")

    @reg.register_module()
    class Bad:
        def __init__(self, exc: str = "value"):
            if exc == "value":
                raise ValueError("no good")
            raise ConfigProblem("bad config")

    return reg


def test_str_is_the_plain_message_or_empty():
    assert str(RegistryError()) == ""
    assert str(RegistryError("plain")) == "plain"
    err = NotRegisteredError("'X' is not registered")
    assert str(err) == "'X' is not registered"  # not quoted as KeyError would
    assert err.args == ("'X' is not registered",)


def test_not_registered_error_defaults():
    err = NotRegisteredError("message")
    assert (err.key, err.registry_name, err.scope, err.suggestions, err.searched) == ("", "", "", (), ())


def test_the_same_original_type_gives_the_same_error_class(reg):
    errors = []
    for _ in range(2):
        with pytest.raises(ValueError) as info:  # noqa: PT011
            reg.build(dict(type="Bad"))
        errors.append(info.value)
    assert type(errors[0]) is type(errors[1])
    assert type(errors[0]).__name__ == "BuildError[ValueError]"
    again = pickle.loads(pickle.dumps(errors[0]))
    assert type(again) is type(errors[0])  # `except type(err)` works on an error from another process
    assert again.original.args == ("no good",)


def test_a_build_error_subclass_keeps_its_type_through_pickling(reg):
    with pytest.raises(ConfigProblem) as info:
        reg.build(dict(type="Bad", exc="config"))
    again = pickle.loads(pickle.dumps(info.value))
    assert type(again) is ConfigProblem
    assert str(again) == str(info.value)
    assert again.path == info.value.path == (("Bad", "thing", "errbeh"),)


def test_a_plain_build_error_pickles():
    again = pickle.loads(pickle.dumps(BuildError("plain", path=(("A", "thing", "s"),), key_path="model")))
    assert type(again) is BuildError
    assert str(again) == "plain"
    assert again.original is None and again.path == (("A", "thing", "s"),) and again.key_path == "model"
