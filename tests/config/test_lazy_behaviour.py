"""LazyObject and LazyAttr: paths, equality, what building imports, and the errors on the way."""

from __future__ import annotations

import pickle
import sys

import pytest

from mme.config import LazyAttr, LazyObject


def test_paths_reprs_and_equality_by_path():
    module = LazyObject("os.path")
    attr = LazyObject("os").path
    assert isinstance(attr, LazyAttr) and str(attr) == "os.path"
    assert repr(module) == "<LazyObject 'os.path'>" and repr(attr.join) == "<LazyAttr 'os.path.join'>"
    assert module == attr and hash(module) == hash(attr)
    assert module != "os.path" and LazyObject("os", "sep") != LazyObject("os", "linesep")
    assert str(LazyObject("os", "sep")) == "os.sep"
    assert pickle.loads(pickle.dumps(attr.join)) == attr.join


def test_attribute_names_with_underscores_chain_but_dunders_do_not():
    lazy = LazyObject("os")
    assert str(getattr(lazy, "_private__")) == "os._private__"
    assert str(getattr(lazy, "__private")) == "os.__private"
    with pytest.raises(AttributeError):
        getattr(lazy, "__wrapped__")


def test_calling_while_the_config_is_read_is_an_error():
    with pytest.raises(TypeError, match="os.path.join is a lazily imported object in a config"):
        LazyObject("os").path.join("a")


@pytest.mark.parametrize("module", ["", None])
def test_module_must_be_a_non_empty_string(module):
    with pytest.raises(TypeError, match="module must be a non-empty string"):
        LazyObject(module)


def test_build_imports_a_submodule_its_package_does_not_import(tmp_path, monkeypatch):
    pkg = tmp_path / "mme_lazy_pkg_beh"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "sub.py").write_text("VALUE = 7\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in ("mme_lazy_pkg_beh", "mme_lazy_pkg_beh.sub"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    assert LazyObject("mme_lazy_pkg_beh", "sub").build().VALUE == 7
    monkeypatch.delitem(sys.modules, "mme_lazy_pkg_beh.sub")
    assert LazyObject("mme_lazy_pkg_beh").sub.VALUE.build() == 7


def test_build_errors_name_the_lazy_object():
    with pytest.raises(ImportError, match="Failed to import 'mme_no_such_lazy_mod' for lazy config object"):
        LazyObject("mme_no_such_lazy_mod", "X").build()
    with pytest.raises(ImportError, match="cannot import name 'nope' from 'os' \\(lazy config object\\)"):
        LazyObject("os", "nope").build()
    with pytest.raises(ImportError, match="cannot resolve 'os.path.nope' \\(lazy config object\\)"):
        LazyObject("os").path.nope.build()


def test_an_attribute_of_a_non_module_that_is_missing_says_so():
    with pytest.raises(ImportError, match="cannot resolve 'os.sep.nope' \\(lazy config object\\): 'str' object has no"):
        LazyObject("os", "sep").nope.build()
