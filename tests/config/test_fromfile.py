"""Config.fromfile / fromstring: formats, inheritance, references and substitutions."""

from __future__ import annotations

import copy
import json
import os
import pickle
import sys
import tempfile

import pytest
from mme.config import Config, ConfigDict, ConfigError

PY = """
model = dict(type='ResNet', depth=50, norm=dict(type='BN', eps=1e-5), stages=(1, 2))
optimizer = dict(type='SGD', lr=0.1)
flags = [True, None, 'x']
"""
JSON = json.dumps(
    {
        "model": {"type": "ResNet", "depth": 50, "norm": {"type": "BN", "eps": 1e-5}, "stages": [1, 2]},
        "optimizer": {"type": "SGD", "lr": 0.1},
        "flags": [True, None, "x"],
    }
)
YAML = """
model:
  type: ResNet
  depth: 50
  norm: {type: BN, eps: 1.0e-05}
  stages: [1, 2]
optimizer: {type: SGD, lr: 0.1}
flags: [true, null, x]
"""


@pytest.mark.parametrize("name, text", [("c.py", PY), ("c.json", JSON), ("c.yaml", YAML), ("c.yml", YAML)])
def test_every_format_loads(write, name, text):
    path = write(name, text)
    cfg = Config.fromfile(path)
    assert cfg.model.depth == 50 and cfg.model.norm.eps == 1e-5 and list(cfg.model.stages) == [1, 2]
    assert cfg.optimizer.lr == 0.1 and cfg.flags == [True, None, "x"]
    assert isinstance(cfg.model, ConfigDict)
    assert cfg.filename == str(path) and "ResNet" in cfg.text


@pytest.mark.parametrize("fmt, text", [(".py", PY), ("json", JSON), (".yaml", YAML)])
def test_fromstring_matches_fromfile(write, fmt, text):
    cfg = Config.fromstring(text, fmt)
    assert cfg.model.depth == 50 and cfg.filename is None and cfg.text == text


def test_fromstring_leaves_no_temp_file(tmp_path, monkeypatch):
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmpdir))

    def forbidden(*args, **kwargs):
        raise AssertionError("fromstring must not create temporary files")

    for name in ("NamedTemporaryFile", "TemporaryFile", "mkstemp", "mkdtemp", "TemporaryDirectory"):
        monkeypatch.setattr(tempfile, name, forbidden)
    for fmt, text in ((".py", PY), (".json", JSON), (".yaml", YAML)):
        assert Config.fromstring(text, fmt).model.depth == 50
    with pytest.raises(ConfigError):
        Config.fromstring("a = (", ".py")
    assert list(tmpdir.iterdir()) == []


def test_constructor_and_reserved_keys(tmp_path):
    cfg = Config({"a": {"b": 1}}, filename=tmp_path / "x.py")
    assert cfg.a.b == 1 and cfg.filename == str(tmp_path / "x.py") and cfg.text == ""
    assert Config().to_dict() == {}
    with pytest.raises(ConfigError, match="filename"):
        Config({"filename": 1})
    with pytest.raises(TypeError):
        Config([1, 2])


def test_inheritance_merges_recursively(write):
    write(
        "configs/_base_/model.py", "model = dict(type='ResNet', depth=50, norm=dict(type='BN', eps=1e-5), out=[1, 2])\n"
    )
    write("configs/_base_/runtime.json", '{"runtime": {"seed": 1}, "work_dir": "w"}')
    write("configs/_base_/data.yaml", "data:\n  batch: 2\n")
    child = write(
        "configs/net/child.py",
        """
        _base_ = ['../_base_/model.py', '../_base_/runtime.json', '../_base_/data.yaml']
        model = dict(depth=101, norm=dict(eps=1e-3), out=[3])
        data = dict(workers=4)
        extra = 'new'
        """,
    )
    cfg = Config.fromfile(child)
    assert cfg.to_dict() == {
        "model": {"type": "ResNet", "depth": 101, "norm": {"type": "BN", "eps": 1e-3}, "out": [3]},
        "runtime": {"seed": 1},
        "work_dir": "w",
        "data": {"batch": 2, "workers": 4},
        "extra": "new",
    }
    # the text lists every file read, bases first
    assert cfg.text.index("model.py") < cfg.text.index("child.py")


def test_multi_level_chain_and_string_base(write):
    write("a.py", "x = dict(a=1, b=dict(c=1))\n")
    write("b.py", "_base_ = 'a.py'\nx = dict(b=dict(d=2))\n")
    write("c.yaml", "_base_: b.py\nx:\n  e: 3\n")
    d = write("d.json", '{"_base_": "c.yaml", "x": {"a": 10}}')
    assert Config.fromfile(d).to_dict() == {"x": {"a": 10, "b": {"c": 1, "d": 2}, "e": 3}}


def test_delete_replaces_instead_of_merging(write):
    write("base.py", "model = dict(type='A', norm=dict(type='BN', eps=1e-5), keep=1)\n")
    child = write("child.py", "_base_ = 'base.py'\nmodel = dict(norm=dict(_delete_=True, type='GN', groups=2))\n")
    cfg = Config.fromfile(child)
    assert cfg.model.to_dict() == {"type": "A", "norm": {"type": "GN", "groups": 2}, "keep": 1}
    child2 = write("child2.yaml", "_base_: base.py\nmodel:\n  _delete_: true\n  type: B\n")
    assert Config.fromfile(child2).model.to_dict() == {"type": "B"}


def test_delete_onto_non_dict_and_new_keys(write):
    write("base.py", "a = 1\n")
    child = write(
        "child.py",
        "_base_ = 'base.py'\na = dict(_delete_=True, x=1)\nb = dict(_delete_=True, y=dict(z=2, _delete_=True))\n",
    )
    assert Config.fromfile(child).to_dict() == {"a": {"x": 1}, "b": {"y": {"z": 2}}}


def test_base_references_in_text(write):
    write("base.py", "model = dict(depth=50, layers=[1, 2])\nname = 'r50'\n")
    py = write(
        "child.py",
        """
        _base_ = 'base.py'
        depth = '{{_base_.model.depth}}'
        layers = {{_base_.model.layers}}
        first = {{ _base_.model.layers.0 }}
        title = 'net-{{_base_.name}}'
        inline = _base_.model.depth * 2
        """,
    )
    cfg = Config.fromfile(py)
    assert cfg.depth == 50 and cfg.layers == [1, 2] and cfg.first == 1 and cfg.title == "net-r50" and cfg.inline == 100
    js = write("child.json", '{"_base_": "base.py", "depth": "{{_base_.model.depth}}", "m": "{{_base_.model}}"}')
    cfg = Config.fromfile(js)
    assert cfg.depth == 50 and cfg.m == {"depth": 50, "layers": [1, 2]} and isinstance(cfg.m, ConfigDict)
    ym = write("child.yaml", "_base_: base.py\nlayers: {{_base_.model.layers}}\nd: '{{_base_.model.depth}}'\n")
    cfg = Config.fromfile(ym)
    assert cfg.layers == [1, 2] and cfg.d == 50


def test_base_reference_is_a_copy(write):
    write("base.py", "model = dict(layers=[1, 2])\n")
    child = write(
        "child.py", "_base_ = 'base.py'\nm = {{_base_.model}}\nm['layers'].append(3)\n_base_.model.layers.append(4)\n"
    )
    cfg = Config.fromfile(child)
    # `m` is a copy; a change made through `_base_` changes the inherited value, as in MMEngine
    assert cfg.model.layers == [1, 2, 4] and cfg.m.layers == [1, 2, 3]


def test_predefined_variables_refer_to_their_own_file(write, tmp_path):
    write("sub/base.py", "base_dir = '{{ fileDirname }}'\nbase_name = '{{fileBasename}}'\n")
    child = write(
        "child.yaml",
        "_base_: sub/base.py\nmine: '{{ fileDirname }}/{{ fileBasenameNoExtension }}{{ fileExtname }}'\n",
    )
    cfg = Config.fromfile(child)
    assert cfg.base_dir == str(tmp_path / "sub").replace("\\", "/") and cfg.base_name == "base.py"
    assert cfg.mine == str(tmp_path / "child.yaml").replace("\\", "/")
    raw = Config.fromfile(child, use_predefined_variables=False)
    assert raw.mine == "{{ fileDirname }}/{{ fileBasenameNoExtension }}{{ fileExtname }}"


def test_environment_variables(write, monkeypatch):
    monkeypatch.setenv("MME_TEST_ROOT", "/data/x")
    monkeypatch.delenv("MME_TEST_UNSET", raising=False)
    write("base.yaml", "root: '{{$MME_TEST_ROOT:/default}}'\n")
    child = write(
        "child.py",
        """
        _base_ = 'base.yaml'
        batch = {{$MME_TEST_UNSET:8}}
        path = '{{ $MME_TEST_UNSET:/tmp/a }}/sub'
        """,
    )
    cfg = Config.fromfile(child)
    assert cfg.root == "/data/x" and cfg.batch == 8 and cfg.path == "/tmp/a/sub"
    assert cfg.env_variables["MME_TEST_ROOT"] == "/data/x"
    assert set(cfg.env_variables) == {"MME_TEST_ROOT", "MME_TEST_UNSET"}


def test_python_results_skip_modules_functions_and_dunders(write):
    path = write(
        "c.py",
        """
        import os
        from collections import OrderedDict
        __hidden__ = 1
        def helper():
            return 3
        value = helper()
        kind = OrderedDict
        _private = 2
        """,
    )
    cfg = Config.fromfile(path)
    assert set(cfg.keys()) == {"OrderedDict", "value", "kind", "_private"}
    assert cfg.value == 3


def test_package_base(tmp_path, monkeypatch, write):
    write("site/mme_cfgpkg_demo/__init__.py", "")
    write("site/mme_cfgpkg_demo/configs/base.py", "model = dict(depth=18, where='{{ fileBasename }}')\n")
    write("site/mme_mimpkg_demo/__init__.py", "")
    write("site/mme_mimpkg_demo/.mim/configs/runtime.py", "seed = 7\n")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    child = write(
        "child.py",
        "_base_ = ['mme_cfgpkg_demo::configs/base.py', 'mme_mimpkg_demo::runtime.py']\nmodel = dict(depth=34)\n",
    )
    cfg = Config.fromfile(child)
    assert cfg.to_dict() == {"model": {"depth": 34, "where": "base.py"}, "seed": 7}


def test_custom_imports(write, tmp_path, monkeypatch):
    write("mods/mme_custom_mod_demo.py", "import sys\nsys.modules[__name__].LOADED = True\n")
    monkeypatch.syspath_prepend(str(tmp_path / "mods"))
    monkeypatch.delitem(sys.modules, "mme_custom_mod_demo", raising=False)
    path = write("c.py", "custom_imports = dict(imports=['mme_custom_mod_demo'], allow_failed_imports=False)\n")
    Config.fromfile(path, import_custom_modules=False)
    assert "mme_custom_mod_demo" not in sys.modules
    cfg = Config.fromfile(path)
    assert sys.modules["mme_custom_mod_demo"].LOADED and cfg.custom_imports.imports == ["mme_custom_mod_demo"]
    monkeypatch.delitem(sys.modules, "mme_custom_mod_demo")

    missing = write("m.py", "custom_imports = dict(imports=['mme_no_such_module_xyz'])\n")
    with pytest.raises(ImportError, match="mme_no_such_module_xyz"):
        Config.fromfile(missing)
    allowed = write("ok.py", "custom_imports = dict(imports=['mme_no_such_module_xyz'], allow_failed_imports=True)\n")
    with pytest.warns(UserWarning, match="mme_no_such_module_xyz"):
        Config.fromfile(allowed)


def test_deprecation_warning(write):
    write("old.py", "_deprecation_ = dict(expected='new.py', reference='https://example.org')\na = 1\n")
    child = write("child.py", "_base_ = 'old.py'\nb = 2\n")
    with pytest.warns(DeprecationWarning, match="new.py"):
        cfg = Config.fromfile(child)
    assert cfg.to_dict() == {"a": 1, "b": 2}


def test_config_copies_and_pickle(write):
    cfg = Config.fromfile(write("c.py", PY))
    for other in (copy.deepcopy(cfg), pickle.loads(pickle.dumps(cfg)), copy.copy(cfg), cfg.copy()):
        assert isinstance(other, Config) and other == cfg
        assert other.filename == cfg.filename and other.text == cfg.text
    deep = copy.deepcopy(cfg)
    deep.model.depth = 1
    assert cfg.model.depth == 50


def test_config_mapping_access(write):
    cfg = Config.fromfile(write("c.py", PY))
    assert "model" in cfg and len(cfg) == 3 and list(cfg) == ["model", "optimizer", "flags"]
    assert cfg["model"]["depth"] == 50 and cfg.get("missing", 1) == 1
    cfg.new = dict(a=1)
    cfg["other"] = 2
    assert cfg.new.a == 1 and cfg.other == 2
    del cfg["other"]
    assert "other" not in cfg
    with pytest.raises(AttributeError, match="'nope'"):
        _ = cfg.nope
    assert dict(cfg)["model"]["depth"] == 50
    assert "Config (path:" in repr(cfg)


def test_dump_every_format(write, tmp_path):
    cfg = Config.fromfile(write("c.py", PY))
    for suffix in (".py", ".json", ".yaml", ".yml"):
        out = tmp_path / f"out{suffix}"
        cfg.dump(out)
        back = Config.fromfile(out)
        expected = cfg.to_dict()
        if suffix != ".py":
            expected["model"]["stages"] = [1, 2]
        assert back.to_dict() == expected
    assert cfg.dump() == cfg.pretty_text
    assert json.loads(Config.fromfile(write("c.json", JSON)).dump())["model"]["depth"] == 50
    assert "depth: 50" in Config.fromfile(write("c.yaml", YAML)).dump()


def test_diff(write):
    a = Config(dict(model=dict(depth=50), lr=0.1))
    b = Config(dict(model=dict(depth=101), lr=0.1))
    text = Config.diff(a, b)
    assert "-model = dict(depth=50)" in text and "+model = dict(depth=101)" in text
    assert Config.diff(a, dict(model=dict(depth=50), lr=0.1)) == ""
    path = write("c.py", "model = dict(depth=50)\nlr = 0.1\n")
    assert Config.diff(str(path), a) == ""
    assert os.fspath(path) in Config.diff(path, b)


def test_fromstring_bases_are_relative_to_the_working_directory(write, tmp_path, monkeypatch):
    write("base.py", "model = dict(depth=50, w=1)\n")
    monkeypatch.chdir(tmp_path)
    cfg = Config.fromstring("_base_ = 'base.py'\nmodel = dict(depth=101)\n", ".py")
    assert cfg.model.to_dict() == {"depth": 101, "w": 1}
    kept = Config.fromstring("where = '{{ fileDirname }}'\n", ".py")
    assert kept.where == "{{ fileDirname }}"


def test_config_is_a_mapping(write):
    from collections.abc import Mapping

    cfg = Config(dict(a=1, b=dict(c=2)))
    assert isinstance(cfg, Mapping) and dict(cfg) == {"a": 1, "b": {"c": 2}}
    assert dict(cfg.items()) == {"a": 1, "b": {"c": 2}} and sorted(cfg.keys()) == ["a", "b"]
    assert cfg == {"a": 1, "b": {"c": 2}} and cfg == Config(dict(a=1, b=dict(c=2)))


def test_env_default_may_contain_colons(write, monkeypatch):
    monkeypatch.delenv("MME_TEST_URL", raising=False)
    cfg = Config.fromfile(write("c.yaml", "url: '{{$MME_TEST_URL:http://host:80/x}}'\n"))
    assert cfg.url == "http://host:80/x" and cfg.env_variables == {"MME_TEST_URL": "http://host:80/x"}


def test_config_dict_merge(write):
    cfg = ConfigDict(model=dict(depth=50, norm=dict(type="BN")))
    cfg.merge(dict(model=dict(norm=dict(_delete_=True, type="GN"), width=2)))
    assert cfg.to_dict() == {"model": {"depth": 50, "norm": {"type": "GN"}, "width": 2}}
    with pytest.raises(ConfigError, match="model.depth"):
        cfg.merge(dict(model=dict(depth=dict(x=1))))
