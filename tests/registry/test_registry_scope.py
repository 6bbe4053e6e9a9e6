"""DefaultScope, init_default_scope, ``_scope_`` and switch_scope_and_registry."""

from __future__ import annotations

import logging

import pytest

from mme.registry import DefaultScope, NotRegisteredError, Registry, RegistryTypeError, init_default_scope


class Net:
    def __init__(self, depth=1):
        self.depth = depth


class ChildNet(Net):
    pass


@pytest.fixture()
def tree():
    root = Registry("model", scope="sctroot")
    child = Registry("model", parent=root, scope="sctchild")
    root.register_module("Net", module=Net)
    child.register_module("Net", module=ChildNet)
    child.register_module("OnlyInChild", module=ChildNet)
    return root, child


def test_no_default_scope_at_first():
    assert DefaultScope.get_current_instance() is None


def test_default_scope_instances():
    first = DefaultScope.get_instance("a", scope_name="one")
    assert DefaultScope.get_current_instance() is first
    assert first.scope_name == "one"
    second = DefaultScope("b", scope_name="two")
    assert DefaultScope.get_current_instance() is second
    assert repr(second) == "DefaultScope(name='b', scope_name='two')"
    with pytest.raises(RegistryTypeError):
        DefaultScope("c", scope_name=3)


def test_overwrite_default_scope_restores_the_previous_state():
    DefaultScope.get_instance("base", scope_name="one")
    with DefaultScope.overwrite_default_scope("two"):
        assert DefaultScope.get_current_instance().scope_name == "two"
        with DefaultScope.overwrite_default_scope(None):
            assert DefaultScope.get_current_instance().scope_name == "two"
    assert DefaultScope.get_current_instance().scope_name == "one"
    assert list(DefaultScope._instance_dict) == ["base"]


def test_overwrite_default_scope_restores_after_an_error():
    with pytest.raises(RuntimeError):
        with DefaultScope.overwrite_default_scope("two"):
            raise RuntimeError("inside")
    assert DefaultScope.get_current_instance() is None


def test_init_default_scope():
    init_default_scope("one")
    assert DefaultScope.get_current_instance().scope_name == "one"
    init_default_scope("two")
    assert DefaultScope.get_current_instance().scope_name == "two"
    init_default_scope("one")  # back to the existing instance
    assert DefaultScope.get_current_instance().scope_name == "one"
    assert sorted(DefaultScope._instance_dict) == ["one", "two"]
    with pytest.raises(RegistryTypeError):
        init_default_scope("")


def test_scope_key_in_cfg_switches_the_registry(tree):
    root, child = tree
    assert type(root.build(dict(type="Net"))) is Net
    assert type(root.build(dict(type="Net", _scope_="sctchild"))) is ChildNet
    assert type(child.build(dict(type="Net", _scope_="sctroot"))) is Net
    assert DefaultScope.get_current_instance() is None  # _scope_ holds only during the build


def test_default_scope_picks_the_registry(tree):
    root, child = tree
    init_default_scope("sctchild")
    assert type(root.build(dict(type="Net"))) is ChildNet
    assert type(root.build(dict(type="Net", _scope_="sctroot"))) is Net


def test_the_registry_passed_in_is_the_fallback(tree):
    root, child = tree
    init_default_scope("sctroot")
    # MMEngine would look only in the root registry here and fail.
    assert type(child.build(dict(type="OnlyInChild"))) is ChildNet


def test_fallback_failure_says_both_were_searched(tree):
    root, child = tree
    init_default_scope("sctroot")
    with pytest.raises(NotRegisteredError) as info:
        child.build(dict(type="Nowhere"))
    message = str(info.value)
    assert "the default scope 'sctroot' picked the 'model' registry of that scope" in message
    assert "registry 'model' (scope 'sctchild')" in message


def test_switch_scope_and_registry(tree, caplog):
    root, child = tree
    with root.switch_scope_and_registry(None) as registry:
        assert registry is root
    with root.switch_scope_and_registry("sctchild") as registry:
        assert registry is child
        assert DefaultScope.get_current_instance().scope_name == "sctchild"
    assert DefaultScope.get_current_instance() is None
    with caplog.at_level(logging.WARNING, logger="mme.registry"):
        with child.switch_scope_and_registry("sct_not_in_tree") as registry:
            assert registry is child
    assert "no 'model' registry with scope 'sct_not_in_tree'" in caplog.text
