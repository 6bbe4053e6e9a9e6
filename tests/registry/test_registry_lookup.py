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


# -- the whole message of a failed lookup, which is what a user reads


def test_failed_lookup_message_in_full(tree):
    _, _, grandchild = tree
    with pytest.raises(NotRegisteredError) as info:
        grandchild.get("Atention")
    assert str(info.value) == (
        "'Atention' is not registered in the 'model' registry (scope 'lkgrand'); did you mean 'Attention'?\n"
        "searched:\n"
        "  - registry 'model' (scope 'lkgrand'): 1 registered\n"
        "  - registry 'model' (scope 'lkchild'): 1 registered\n"
        "  - registry 'model' (scope 'lkroot'): 2 registered\n"
        "registered names: Attention, Conv, Linear"
    )


def test_unknown_scope_message_in_full(tree):
    _, _, grandchild = tree
    with pytest.raises(NotRegisteredError) as info:
        grandchild.get("nosuchscope_xyz.Linear")
    assert str(info.value) == (
        "'nosuchscope_xyz.Linear' is not registered in the 'model' registry (scope 'lkgrand')\n"
        "searched:\n"
        "  - no 'model' registry has scope 'nosuchscope_xyz' (tried importing 'nosuchscope_xyz.registry');"
        " scopes in this tree: lkchild, lkgrand, lkroot\n"
        "  - dotted-path import of 'nosuchscope_xyz.Linear': there is no module 'nosuchscope_xyz' to import"
    )
    assert info.value.suggestions == ()


def test_a_known_scope_is_not_reported_missing(tree):
    _, _, grandchild = tree
    with pytest.raises(NotRegisteredError) as info:
        grandchild.get("lkroot.Missing")
    message = str(info.value)
    assert "no 'model' registry has scope" not in message
    assert "  - registry 'model' (scope 'lkroot'): 2 registered\n" in message
    assert message.endswith("\nregistered names: Conv, Linear")


def test_empty_registry_says_nothing_is_registered():
    reg = Registry("model", scope="lkempty")
    with pytest.raises(NotRegisteredError) as info:
        reg.get("Foo")
    assert str(info.value) == (
        "'Foo' is not registered in the 'model' registry (scope 'lkempty')\n"
        "searched:\n"
        "  - registry 'model' (scope 'lkempty'): 0 registered\n"
        "nothing is registered there yet; is the module that registers it imported?"
    )


def test_locations_are_listed_where_searched():
    reg = Registry("model", scope="lklocs", locations=["json", "string"])
    with pytest.raises(NotRegisteredError) as info:
        reg.get("Foo")
    assert "  - registry 'model' (scope 'lklocs'): 0 registered, locations imported: json, string\n" in str(info.value)


@pytest.mark.parametrize(("count", "tail"), [(30, ""), (31, " ... and 1 more"), (33, " ... and 3 more")])
def test_registered_names_are_listed_up_to_thirty(count, tail):
    reg = Registry("model", scope=f"lkmany{count}")
    names = [f"Name{i:02d}" for i in range(count)]
    for name in names:
        reg.register_module(name, module=dict)
    with pytest.raises(NotRegisteredError) as info:
        reg.get("Zzz")
    last = str(info.value).splitlines()[-1]
    assert last == "registered names: " + ", ".join(names[:30]) + tail


def test_at_most_three_suggestions_each_once():
    root = Registry("model", scope="lksugroot")
    child = Registry("model", parent=root, scope="lksugchild")
    grandchild = Registry("model", parent=child, scope="lksuggrand")
    for reg in (root, child, grandchild):  # the same name in three registries of the tree
        reg.register_module("Conv9", module=dict)
    for name in ("Conv1", "Conv2", "Conv3"):
        root.register_module(name, module=dict)
    with pytest.raises(NotRegisteredError) as info:
        grandchild.get("Conv")
    assert info.value.suggestions == ("Conv9", "Conv3", "Conv2")
    assert "did you mean 'Conv9', 'Conv3', 'Conv2'?" in str(info.value)


def test_a_case_insensitive_match_comes_first_and_once(tree):
    root, _, _ = tree
    with pytest.raises(NotRegisteredError) as info:
        root.get("linear")
    assert info.value.suggestions == ("Linear",)
    reg = Registry("model", scope="lkcase")
    reg.register_module("ResNet", module=dict)
    reg.register_module("ResNeXt", module=list)
    with pytest.raises(NotRegisteredError) as info:
        reg.get("RESNET")  # too far from 'ResNet' for difflib, but the same name in another case
    assert info.value.suggestions[0] == "ResNet"


@pytest.mark.parametrize(
    ("key", "why"),
    [
        ("os.nothing_here.Foo", "module 'os' imports but has no attribute 'nothing_here.Foo'"),
        ("os.path.nope.X", "module 'os.path' imports but has no attribute 'nope.X'"),
        ("lk_nosuch_pkg.sub.Thing", "there is no module 'lk_nosuch_pkg' to import"),
    ],
)
def test_dotted_path_explanation_names_the_longest_importable_module(tree, key, why):
    with pytest.raises(NotRegisteredError) as info:
        tree[0].get(key)
    assert str(info.value).endswith(f"  - dotted-path import of {key!r}: {why}")


def test_a_module_that_fails_to_import_a_name_is_reported(tmp_path, monkeypatch):
    pkg = tmp_path / "lk_raising_pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "bad.py").write_text("from os import lk_no_such_name\n")  # an ImportError, not ModuleNotFoundError
    monkeypatch.syspath_prepend(str(tmp_path))
    reg = Registry("model", scope="lkraising")
    with pytest.raises(NotRegisteredError) as info:
        reg.get("lk_raising_pkg.bad.Thing")
    assert (
        "  - dotted-path import of 'lk_raising_pkg.bad.Thing': importing module 'lk_raising_pkg.bad' failed:"
        " ImportError: cannot import name 'lk_no_such_name' from 'os'"
    ) in str(info.value)
