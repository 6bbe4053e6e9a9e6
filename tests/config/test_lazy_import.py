"""The pure-Python config style: read_base() and lazily imported objects."""

from __future__ import annotations

import collections
import copy
import json
import os.path
import pickle

import pytest
from mme.config import Config, ConfigDict, ConfigError, LazyAttr, LazyObject, read_base


@pytest.fixture
def lazy_tree(write):
    write(
        "configs/_base_/model.py",
        """
        from collections import OrderedDict
        model = dict(type=OrderedDict, depth=50, norm=dict(type='BN'))
        """,
    )
    write("configs/_base_/runtime.py", "seed = 1\nwork_dir = './w'\n")
    return write(
        "configs/net/child.py",
        """
        from mme.config import read_base

        with read_base():
            from .._base_.model import *
            from .._base_.runtime import seed as base_seed

        import os.path as osp
        from json import decoder
        import collections.abc

        model.depth = 101
        model.norm.update(eps=1e-3)
        optim = dict(type=decoder.JSONDecoder, lr=0.1)
        joiner = osp.join
        mapping = collections.abc.Mapping
        seed = base_seed + 1
        """,
    )


def test_read_base_and_lazy_objects(lazy_tree):
    cfg = Config.fromfile(lazy_tree)
    assert set(cfg.keys()) == {"model", "base_seed", "optim", "joiner", "mapping", "seed"}
    assert cfg.model.depth == 101 and cfg.model.norm.to_dict() == {"type": "BN", "eps": 1e-3}
    assert cfg.seed == 2 and cfg.base_seed == 1
    raw = cfg.to_dict(keep_imported=True)
    assert isinstance(raw["optim"]["type"], LazyAttr) and str(raw["optim"]["type"]) == "json.decoder.JSONDecoder"
    # built on access
    assert cfg.optim.type is json.decoder.JSONDecoder
    assert cfg["joiner"] is os.path.join and cfg.get("mapping") is collections.abc.Mapping
    assert cfg.model.type is collections.OrderedDict
    # to_dict() imports nothing: lazy objects become their dotted path, as in MMEngine
    assert cfg.to_dict()["optim"]["type"] == "json.decoder.JSONDecoder"


def test_dump_writes_dotted_paths(lazy_tree, tmp_path):
    cfg = Config.fromfile(lazy_tree)
    text = cfg.pretty_text
    assert "type='json.decoder.JSONDecoder'" in text and "joiner = 'os.path.join'" in text
    assert "type='collections.OrderedDict'" in text
    out = tmp_path / "dumped.py"
    cfg.dump(out)
    again = Config.fromfile(out)
    assert again.optim.type == "json.decoder.JSONDecoder" and again.model.depth == 101
    data = json.loads(cfg.dump(tmp_path / "d.json") or (tmp_path / "d.json").read_text())
    assert data["mapping"] == "collections.abc.Mapping"


def test_lazy_config_copies_and_pickle(lazy_tree):
    cfg = Config.fromfile(lazy_tree)
    for other in (copy.deepcopy(cfg), pickle.loads(pickle.dumps(cfg))):
        assert other.to_dict(keep_imported=True) == cfg.to_dict(keep_imported=True)
        assert other.optim.type is json.decoder.JSONDecoder


def test_lazy_objects():
    obj = LazyObject("json")
    assert obj.build() is json and str(obj) == "json"
    attr = obj.decoder.JSONDecoder
    assert isinstance(attr, LazyAttr) and attr.build() is json.decoder.JSONDecoder
    assert LazyObject("os.path", "join").build() is os.path.join
    assert LazyObject("json", "decoder") == LazyObject("json").decoder
    with pytest.raises(ImportError, match="mme_no_such_mod"):
        LazyObject("mme_no_such_mod").build()
    with pytest.raises(ImportError, match="nothing"):
        LazyObject("json").nothing.build()
    with pytest.raises(TypeError, match="json.loads"):
        LazyObject("json").loads("1")
    with read_base():
        pass


def test_whole_file_import_and_forced_mode(write):
    write("base.py", "a = dict(x=1)\n")
    child = write(
        "child.py", "from mme.config import read_base\nwith read_base():\n    from . import base\nb = base.a.x + 1\n"
    )
    cfg = Config.fromfile(child)
    assert cfg.b == 2 and isinstance(cfg.base, ConfigDict) and cfg.base.a.x == 1
    plain = write("plain.py", "a = 1\n")
    assert Config.fromfile(plain, lazy_import=True).a == 1
    with pytest.raises(ConfigError, match="lazy_import") as info:
        Config.fromfile(child, lazy_import=False)
    assert info.value.lineno == 2


def test_package_config_import(write, tmp_path, monkeypatch):
    write("site/mme_lazy_pkg_demo/__init__.py", "")
    write("site/mme_lazy_pkg_demo/configs/base.py", "model = dict(depth=18)\n")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    child = write(
        "child.py",
        "from mme.config import read_base\nwith read_base():\n    from mme_lazy_pkg_demo.configs.base import *\nmodel.depth = 34\n",
    )
    assert Config.fromfile(child).model.depth == 34


def test_mixing_base_and_read_base_is_an_error(write):
    write("base.py", "a = 1\n")
    child = write(
        "child.py", "_base_ = 'base.py'\nfrom mme.config import read_base\nwith read_base():\n    from .base import *\n"
    )
    with pytest.raises(ConfigError, match=r"_base_ = \.\.\.` \(line 1\).*read_base") as info:
        Config.fromfile(child)
    assert info.value.filename == str(child) and info.value.lineno == 3


def test_read_base_errors(write):
    missing = write("missing.py", "from mme.config import read_base\nwith read_base():\n    from .nope import *\n")
    with pytest.raises(ConfigError, match="nope.py does not exist") as info:
        Config.fromfile(missing)
    assert info.value.lineno == 3
    write("base.py", "a = 1\n")
    undefined = write("undef.py", "from mme.config import read_base\nwith read_base():\n    from .base import b\n")
    with pytest.raises(ConfigError, match="does not define 'b'"):
        Config.fromfile(undefined)
    bad = write("bad.py", "from mme.config import read_base\nwith read_base():\n    x = 1\n")
    with pytest.raises(ConfigError, match="only `from ... import ...`"):
        Config.fromfile(bad)
    rel = write("rel.py", "import json\nfrom .base import a\n")
    with pytest.raises(ConfigError, match="relative imports"):
        Config.fromfile(rel)
    write("cyc_a.py", "from mme.config import read_base\nwith read_base():\n    from .cyc_b import *\n")
    cyc = write("cyc_b.py", "from mme.config import read_base\nwith read_base():\n    from .cyc_a import *\n")
    with pytest.raises(ConfigError, match="cyclic"):
        Config.fromfile(cyc)


def test_lazy_config_env_and_text_include_bases(write, monkeypatch):
    monkeypatch.setenv("MME_TEST_LAZY_ROOT", "/r")
    write("base.py", "root = '{{$MME_TEST_LAZY_ROOT}}'\nwhere = '{{ fileBasename }}'\n")
    child = write(
        "child.py", "from mme.config import read_base\nwith read_base():\n    from .base import *\nx = root + '/x'\n"
    )
    cfg = Config.fromfile(child)
    assert cfg.x == "/r/x" and cfg.where == "base.py"
    assert cfg.env_variables == {"MME_TEST_LAZY_ROOT": "/r"}
    assert "base.py" in cfg.text and "child.py" in cfg.text
