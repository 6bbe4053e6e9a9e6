"""``get`` by name, scope.Name and dotted path, and what a failed lookup says."""

from __future__ import annotations

import os.path
import pickle

import pytest

from mme.registry import NotRegisteredError, Registry, RegistryTypeError


@pytest.fixture()
def tree():
    root = Registry("model", scope="lkroot")
    child = Registry("model", parent=root, scope="lkchild")
    grandchild = Registry("model", parent=child, scope="lkgrand")
    root.register_module("Linear", module=dict)
    root.register_module("Conv", module=list)
    child.register_module("Conv", module=tuple)
    grandchild.register_module("Attention", module=set)
    return root, child, grandchild


def test_plain_name_searches_self_then_parents(tree):
    root, child, grandchild = tree
    assert grandchild.get("Attention") is set
    assert grandchild.get("Conv") is tuple  # nearest wins
    assert grandchild.get("Linear") is dict
    assert root.get("Conv") is list


def test_scope_name_from_anywhere_in_the_tree(tree):
    root, child, grandchild = tree
    assert root.get("lkgrand.Attention") is set
    assert root.get("lkchild.Conv") is tuple
    assert grandchild.get("lkroot.Conv") is list
    assert child.get("lkchild.Linear") is dict  # a scoped lookup walks up from that scope
    assert grandchild.get("lkchild.Conv") is tuple


def test_hierarchy_properties(tree):
    root, child, grandchild = tree
    assert grandchild.root is root and child.root is root
    assert root.children == {"lkchild": child}
    assert child.parent is root
    assert Registry.split_scope_key("a.b.C") == ("a", "b.C")
    assert Registry.split_scope_key("C") == (None, "C")


def test_dotted_path_imports_when_nothing_is_registered(tree):
    root, _, _ = tree
    assert root.get("os.path.join") is os.path.join
    assert "os.path.join" in root


def test_default_and_contains(tree):
    root, _, _ = tree
    assert root.get("Missing", None) is None
    assert root.get("Missing", default=7) == 7
    assert "Missing" not in root
    assert "Linear" in root
    assert 3 not in root


def test_non_string_key(tree):
    with pytest.raises(RegistryTypeError):
        tree[0].get(3)


def test_failed_lookup_names_registry_scope_key_matches_and_where(tree):
    _, _, grandchild = tree
    with pytest.raises(NotRegisteredError) as info:
        grandchild.get("Atention")
    err = info.value
    assert isinstance(err, KeyError)
    message = str(err)
    assert message.startswith("'Atention' is not registered in the 'model' registry (scope 'lkgrand')")
    assert "did you mean 'Attention'?" in message
    for scope in ("lkgrand", "lkchild", "lkroot"):
        assert f"registry 'model' (scope '{scope}')" in message
    assert "registered names: Attention, Conv, Linear" in message
    assert err.key == "Atention" and err.registry_name == "model" and err.scope == "lkgrand"
    assert err.suggestions == ("Attention",)
    assert len(err.searched) == 3


def test_case_insensitive_suggestion(tree):
    with pytest.raises(NotRegisteredError, match="did you mean 'Linear'"):
        tree[0].get("linear")


def test_unknown_scope_and_bad_dotted_path_are_explained(tree):
    root, _, _ = tree
    with pytest.raises(NotRegisteredError) as info:
        root.get("nosuchscope_xyz.Linear")
    message = str(info.value)
    assert "no 'model' registry has scope 'nosuchscope_xyz'" in message
    assert "scopes in this tree: lkchild, lkgrand, lkroot" in message
    assert "there is no module 'nosuchscope_xyz' to import" in message

    with pytest.raises(NotRegisteredError, match="module 'os.path' imports but has no attribute 'nothing_here'"):
        root.get("os.path.nothing_here")


def test_a_dotted_path_whose_module_fails_to_import_says_why(tmp_path, monkeypatch):
    pkg = tmp_path / "lk_broken_pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "mod.py").write_text("import lk_dependency_that_is_missing\nclass Thing: pass\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    reg = Registry("model", scope="lkbroken")
    with pytest.raises(NotRegisteredError) as info:
        reg.get("lk_broken_pkg.mod.Thing")
    assert "importing module 'lk_broken_pkg.mod' failed" in str(info.value)
    assert "lk_dependency_that_is_missing" in str(info.value)


def test_lookup_error_pickles(tree):
    with pytest.raises(NotRegisteredError) as info:
        tree[0].get("Nope")
    again = pickle.loads(pickle.dumps(info.value))
    assert str(again) == str(info.value)
    assert again.key == "Nope"


def test_duplicate_child_scope_is_refused():
    root = Registry("model", scope="dupc_root")
    Registry("model", parent=root, scope="dupc")
    with pytest.raises(ValueError, match="already has a child with scope 'dupc'"):
        Registry("model", parent=root, scope="dupc")
    with pytest.raises(ValueError, match="needs a scope other than its parent's"):
        Registry("model", parent=root, scope="dupc_root")
