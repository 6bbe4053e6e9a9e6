"""Every form of ``register_module`` and what it refuses."""

from __future__ import annotations

import functools

import pytest

from mme.registry import AlreadyRegisteredError, Registry, RegistryTypeError, RegistryValueError


@pytest.fixture()
def reg():
    return Registry("thing", scope="regtest")


def test_decorator_with_parentheses_uses_the_class_name(reg):
    @reg.register_module()
    class Alpha:
        pass

    assert reg.get("Alpha") is Alpha
    assert reg.module_dict == {"Alpha": Alpha}
    assert len(reg) == 1


def test_bare_decorator(reg):
    @reg.register_module
    class Beta:
        pass

    assert reg.get("Beta") is Beta


def test_decorator_with_a_name_and_with_a_list_of_names(reg):
    @reg.register_module("Renamed")
    class Gamma:
        pass

    @reg.register_module(name=["D1", "D2"])
    def delta():
        return "d"

    assert reg.get("Renamed") is Gamma
    assert "Gamma" not in reg.module_dict
    assert reg.get("D1") is delta and reg.get("D2") is delta


def test_call_form_returns_the_module(reg):
    def fn():
        return 1

    assert reg.register_module(module=fn) is fn
    assert reg.register_module("other_fn", module=fn) is fn
    assert reg.get("fn") is fn and reg.get("other_fn") is fn


def test_duplicate_name_raises_a_key_error_naming_both_objects(reg):
    @reg.register_module()
    class Epsilon:
        pass

    class Epsilon2:
        pass

    with pytest.raises(AlreadyRegisteredError) as info:
        reg.register_module("Epsilon", module=Epsilon2)
    assert isinstance(info.value, KeyError)
    message = str(info.value)
    assert "'Epsilon' is already registered in the 'thing' registry (scope 'regtest')" in message
    assert "Epsilon2" in message and "force=True" in message
    assert reg.get("Epsilon") is Epsilon


def test_force_replaces(reg):
    reg.register_module("Zeta", module=int)
    reg.register_module("Zeta", module=float, force=True)
    assert reg.get("Zeta") is float


def test_same_object_twice_is_a_no_op(reg):
    reg.register_module(module=int)
    reg.register_module(module=int)
    assert reg.get("int") is int


def test_a_clash_in_a_list_registers_nothing(reg):
    reg.register_module("B", module=int)
    with pytest.raises(AlreadyRegisteredError):
        reg.register_module(["A", "B"], module=float)
    assert "A" not in reg.module_dict


@pytest.mark.parametrize("bad", [3, ["ok", 3], {"a": 1}])
def test_bad_name_type(reg, bad):
    with pytest.raises(RegistryTypeError, match="name must be None, a str or a sequence of str"):
        reg.register_module(name=bad, module=int)


def test_bad_force_type(reg):
    with pytest.raises(TypeError, match="force must be a bool"):
        reg.register_module(force=1)


def test_non_callable_is_refused(reg):
    with pytest.raises(RegistryTypeError, match="only classes and functions can be registered in the 'thing'"):
        reg.register_module("x", module=42)


def test_object_without_name_needs_an_explicit_name(reg):
    part = functools.partial(int, base=2)
    with pytest.raises(RegistryTypeError, match="has no __name__"):
        reg.register_module(module=part)
    reg.register_module("binary", module=part)
    assert reg.get("binary")("101") == 5


@pytest.mark.parametrize("bad", ["", "a.b"])
def test_empty_or_dotted_name_is_refused(reg, bad):
    with pytest.raises(RegistryValueError, match="non-empty and have no dot"):
        reg.register_module(bad, module=int)


def test_constructor_arguments_are_checked():
    with pytest.raises(RegistryTypeError):
        Registry("")
    with pytest.raises(RegistryTypeError, match="parent"):
        Registry("x", parent="not a registry", scope="s")
    with pytest.raises(RegistryValueError, match="without dots"):
        Registry("x", scope="a.b")
    with pytest.raises(RegistryTypeError, match="locations"):
        Registry("x", scope="s", locations=[1])
    with pytest.raises(RegistryTypeError, match="build_func"):
        Registry("x", scope="s", build_func=3)


def test_scope_is_inferred_from_the_calling_module():
    reg = Registry("inferred")
    assert reg.scope == __name__.split(".")[0]
    assert Registry.infer_scope() == __name__.split(".")[0]


def test_a_subclass_init_still_infers_the_callers_scope():
    class MyRegistry(Registry):
        def __init__(self, name, **kwargs):
            super().__init__(name, **kwargs)

    assert MyRegistry("sub").scope == __name__.split(".")[0]


def test_repr_lists_the_registered_names(reg):
    reg.register_module("Eta", module=int)
    text = repr(reg)
    assert "Registry(name='thing', scope='regtest', items=1)" in text
    assert "Eta: builtins.int" in text
