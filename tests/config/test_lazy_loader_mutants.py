"""mme.config._lazy_loader: which .py files are pure-Python (lazy) configs, and where bases are."""

from __future__ import annotations

import ast
import os

import pytest
from mme.config import ConfigError
from mme.config._lazy_loader import _module_file, is_lazy_config


def _lazy(text, lazy_import=None, prefer_lazy=False):
    return is_lazy_config(ast.parse(text), "c.py", lazy_import, prefer_lazy)


@pytest.mark.parametrize(("text", "expected"), [
    ("a = 1\n", False),
    ("import os\nimport os.path\nfrom collections import OrderedDict\n", False),
    ("import torch\n", True),
    ("import os, torch\n", True),
    ("from torch import nn\n", True),
    ("from . import x\n", True),
    ("from .base import x\n", True),
    ("from mme.config import read_base\n", False),
    ("from mmengine.config import read_base\n", False),
    ("from mmengine import Config\n", False),
    ("from mme.registry import MODELS\n", True),
    ("with read_base():\n    from .base import *\n", True),
    ("with mme.config.read_base():\n    from .base import *\n", True),
    ("with open('x'):\n    pass\n", False),
    ("with other():\n    pass\n", False),
    ("_base_ = 'b.py'\nimport torch\n", False),
    ("x = _base_ = 'b.py'\nimport torch\n", False),
    ("_base_.a = 1\nimport torch\n", True),
    ("def f():\n    import torch\n", False),
])
def test_style_is_told_by_the_top_level_statements(text, expected):
    assert _lazy(text) is expected


def test_prefer_lazy_and_explicit_choices():
    assert _lazy("a = 1\n", prefer_lazy=True) is True
    assert _lazy("_base_ = 'b.py'\n", prefer_lazy=True) is False
    assert _lazy("import torch\n", lazy_import=False) is False
    assert _lazy("a = 1\n", lazy_import=True) is True


def test_contradictions_are_errors_with_their_line():
    with pytest.raises(ConfigError) as info:
        _lazy("x = 1\n_base_ = 'b.py'\nwith read_base():\n    from .b import *\n")
    assert info.value.lineno == 3 and "(line 2)" in str(info.value) and "(line 3)" in str(info.value)
    with pytest.raises(ConfigError, match="needs lazy_import=None or True") as info:
        _lazy("\nwith read_base():\n    from .b import *\n", lazy_import=False)
    assert info.value.lineno == 2 and info.value.filename == "c.py"
    with pytest.raises(ConfigError, match="cannot be loaded with lazy_import=True") as info:
        _lazy("\n\n_base_ = 'b.py'\n", lazy_import=True)
    assert info.value.lineno == 3


def _import(text):
    return ast.parse(text).body[0]


def test_module_file_of_relative_imports(tmp_path):
    f = str(tmp_path / "a" / "b" / "c.py")
    assert _module_file(_import("from .base import x"), f, None) == str(tmp_path / "a" / "b" / "base.py")
    assert _module_file(_import("from ..base import x"), f, None) == str(tmp_path / "a" / "base.py")
    assert _module_file(_import("from ...p.q import x"), f, None) == str(tmp_path / "p" / "q.py")
    assert _module_file(_import("from . import base"), f, "base") == str(tmp_path / "a" / "b" / "base.py")


def test_module_file_of_package_imports():
    import mme.config

    root = list(mme.config.__path__)[0]
    assert _module_file(_import("from mme.config._data import x"), "c.py", None) == os.path.join(root, "_data.py")
    with pytest.raises(FileNotFoundError, match="package 'no_such_pkg_mme' is not installed"):
        _module_file(_import("from no_such_pkg_mme.x import y"), "c.py", None)


def test_module_file_in_a_namespace_package_looks_in_every_portion(tmp_path, monkeypatch):
    import importlib

    for portion in ("p1", "p2"):
        (tmp_path / portion / "nsmme_lazy_t" / "cfgs").mkdir(parents=True)
    (tmp_path / "p2" / "nsmme_lazy_t" / "cfgs" / "base.py").write_text("a = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path / "p2"))
    monkeypatch.syspath_prepend(str(tmp_path / "p1"))
    importlib.invalidate_caches()
    found = _module_file(_import("from nsmme_lazy_t.cfgs.base import a"), "c.py", None)
    assert found == str(tmp_path / "p2" / "nsmme_lazy_t" / "cfgs" / "base.py")
    # a file in no portion: the first portion's path, for the error message
    missing = _module_file(_import("from nsmme_lazy_t.cfgs.other import a"), "c.py", None)
    assert missing == str(tmp_path / "p1" / "nsmme_lazy_t" / "cfgs" / "other.py")
