from __future__ import annotations

import os
import warnings

import pytest

from mme.utils import (
    deprecated_api_warning,
    digit_version,
    get_object_from_string,
    import_modules_from_strings,
    is_list_of,
    is_method_overridden,
    is_seq_of,
    is_str,
    is_tuple_of,
    mkdir_or_exist,
    requires_package,
    scandir,
)


def test_type_checks():
    assert is_str("a") and not is_str(b"a")
    assert is_seq_of([1, 2], int) and not is_seq_of([1, "2"], int)
    assert is_seq_of((1.0,), float, seq_type=tuple)
    assert is_list_of([1], int) and not is_list_of((1,), int)
    assert is_tuple_of((1,), int) and not is_tuple_of([1], int)
    assert not is_seq_of(3, int)


def test_is_method_overridden():
    class Base:
        def f(self):
            pass

    class Child(Base):
        def f(self):
            pass

    class Same(Base):
        pass

    assert is_method_overridden("f", Base, Child)
    assert is_method_overridden("f", Base, Child())
    assert not is_method_overridden("f", Base, Same)
    with pytest.raises(TypeError, match="not a subclass"):
        is_method_overridden("f", Base, int)


def test_import_modules_from_strings():
    import os.path as osp

    assert import_modules_from_strings("os.path") is osp
    assert import_modules_from_strings(["os", "os.path"]) == [os, osp]
    assert import_modules_from_strings(None) is None
    with pytest.raises(ImportError):
        import_modules_from_strings("no_such_module_xyz")
    with pytest.warns(UserWarning, match="no_such_module_xyz"):
        assert import_modules_from_strings(["no_such_module_xyz"], allow_failed_imports=True) == [None]
    with pytest.raises(TypeError, match="not a module name"):
        import_modules_from_strings([3])


def test_get_object_from_string():
    assert get_object_from_string("os.path.join") is os.path.join
    assert get_object_from_string("collections.OrderedDict.fromkeys") is not None
    assert get_object_from_string("os.nope") is None
    assert get_object_from_string("no_such_module_xyz.a") is None


def test_digit_version_orders_like_pep440():
    order = ["1.0.0a1", "1.0.0b2", "1.0.0rc1", "1.0.0", "1.0.0.post1", "1.0.1", "1.1", "2.0.0"]
    versions = [digit_version(v) for v in order]
    assert versions == sorted(versions)
    assert digit_version("2.13.0+cpu") == (2, 13, 0, 0, 0, 0)
    assert digit_version("1.2.0dev1") < digit_version("1.2.0")
    with pytest.raises(ValueError, match="invalid version"):
        digit_version("not-a-version")


def test_mkdir_and_scandir(tmp_path):
    mkdir_or_exist(tmp_path / "a" / "b")
    mkdir_or_exist(tmp_path / "a" / "b")
    (tmp_path / "a" / "x.py").write_text("")
    (tmp_path / "a" / "b" / "y.PY").write_text("")
    (tmp_path / "a" / "b" / "z.txt").write_text("")
    root = tmp_path / "a"
    assert sorted(scandir(root)) == ["x.py"]
    assert sorted(scandir(root, ".py", recursive=True)) == ["x.py"]
    assert sorted(scandir(root, ".py", recursive=True, case_sensitive=False)) == [os.path.join("b", "y.PY"), "x.py"]
    assert sorted(scandir(str(root), (".txt", ".py"), recursive=True)) == [os.path.join("b", "z.txt"), "x.py"]
    with pytest.raises(TypeError):
        list(scandir(3))


def test_requires_package_names_the_extra():
    @requires_package("no_such_module_xyz", extra="mme-fileio[s3]")
    def f():
        return 1

    @requires_package(["os", "json"])
    def g():
        return 2

    with pytest.raises(ImportError, match=r"pip install 'mme-fileio\[s3\]'"):
        f()
    assert g() == 2


def test_deprecated_api_warning_renames_arguments():
    @deprecated_api_warning({"old": "new"}, cls_name="Thing")
    def f(new=0):
        return new

    with pytest.warns(DeprecationWarning, match='"old" is deprecated in `Thing.f`'):
        assert f(old=3) == 3
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert f(new=4) == 4
    with pytest.raises(TypeError, match="both"):
        f(old=1, new=2)
