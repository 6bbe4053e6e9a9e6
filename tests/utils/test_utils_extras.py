"""package2module, find_vcs_root and init_pool."""

from __future__ import annotations

import importlib.metadata
import os

import pytest
from mme.utils import find_vcs_root, init_pool, package2module


def test_package2module(tmp_path, monkeypatch):
    # a distribution whose name is not its module's (as PyYAML's is yaml), installed in tmp_path
    info = tmp_path / "Some_Dist-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: Some-Dist\nVersion: 1.0\n")
    (info / "top_level.txt").write_text("some_module\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert package2module("Some-Dist") == "some_module"
    assert package2module("pytest") in ("pytest", "_pytest", "py")
    with pytest.raises(importlib.metadata.PackageNotFoundError, match="no installed distribution named 'no-such-dist'"):
        package2module("no-such-dist")


def test_find_vcs_root(tmp_path):
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    (tmp_path / "repo" / "a" / "b").mkdir(parents=True)
    (tmp_path / "repo" / "a" / "f.py").write_text("")
    assert find_vcs_root(tmp_path / "repo" / "a" / "b") == str(tmp_path / "repo")
    assert find_vcs_root(str(tmp_path / "repo" / "a" / "f.py")) == str(tmp_path / "repo")
    assert find_vcs_root(tmp_path / "repo" / "a", markers=("f.py",)) == str(tmp_path / "repo" / "a")
    (tmp_path / "plain").mkdir()
    assert find_vcs_root(tmp_path / "plain", markers=(".no-such-marker",)) is None


def _init(value):
    os.environ["MME_INIT_POOL_TEST"] = value


def _read(_):
    return os.environ.get("MME_INIT_POOL_TEST")


def test_init_pool_runs_the_initializer():
    with init_pool(2, _init, ("set",)) as pool:
        assert pool.map(_read, range(4)) == ["set"] * 4
    with init_pool(1) as pool:
        assert pool.map(abs, [-1, -2]) == [1, 2]
