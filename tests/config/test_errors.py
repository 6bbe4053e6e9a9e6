"""Every parse or merge problem is a ConfigError naming the file, the line and the key."""

from __future__ import annotations

import argparse
import pickle

import pytest
from mme.config import Config, ConfigError, ConfigProblem, DictAction


def test_config_error_is_a_value_error_and_pickles():
    err = ConfigError([ConfigProblem("a", "f.py", 1, "x.y"), ConfigProblem("b", "g.py", None, None)])
    assert isinstance(err, ValueError)
    assert str(err).splitlines() == ["2 problems in config:", "  - f.py:1, key 'x.y': a", "  - g.py: b"]
    again = pickle.loads(pickle.dumps(err))
    assert again.problems == err.problems and str(again) == str(err)
    assert (err.filename, err.lineno, err.key) == ("f.py", 1, "x.y")


@pytest.mark.parametrize(
    "name, text, line",
    [
        ("bad.py", "a = 1\nb = dict(x=1,\nc = 3\n)\n)\n", 5),
        ("bad.json", '{\n  "a": 1,\n  "b": \n}\n', 4),
        ("bad.yaml", "a: 1\nb: [1, 2\nc: 3\n", 3),
    ],
)
def test_syntax_error_names_file_and_line(write, name, text, line):
    path = write(name, text)
    with pytest.raises(ConfigError) as info:
        Config.fromfile(path)
    assert info.value.filename == str(path)
    assert info.value.lineno == line
    assert f"{path}:{line}" in str(info.value)
    assert info.value.__cause__ is not None


def test_syntax_error_in_a_base_names_the_base(write):
    base = write("base.py", "x = 1\ny = [\n")
    child = write("child.py", "_base_ = 'base.py'\n")
    with pytest.raises(ConfigError) as info:
        Config.fromfile(child)
    assert info.value.filename == str(base) and info.value.lineno is not None


def test_runtime_error_names_file_and_line(write):
    path = write("c.py", "a = 1\nb = undefined_name + 1\n")
    with pytest.raises(ConfigError, match="NameError.*undefined_name") as info:
        Config.fromfile(path)
    assert info.value.lineno == 2 and info.value.filename == str(path)


def test_missing_bases_are_listed_together(write):
    path = write("child.py", "x = 1\n_base_ = ['nope1.py', './dir/nope2.yaml', 'mme_no_such_pkg_xyz::a.py']\n")
    with pytest.raises(ConfigError) as info:
        Config.fromfile(path)
    problems = info.value.problems
    assert len(problems) == 3
    assert all(p.filename == str(path) and p.lineno == 2 and p.key == "_base_" for p in problems)
    text = str(info.value)
    assert "nope1.py" in text and "nope2.yaml" in text and "mme_no_such_pkg_xyz" in text


def test_missing_file_and_bad_suffix(tmp_path, write):
    with pytest.raises(ConfigError, match="does not exist") as info:
        Config.fromfile(tmp_path / "absent.py")
    assert isinstance(info.value, FileNotFoundError)
    with pytest.raises(ConfigError, match="unsupported config format"):
        Config.fromfile(write("c.toml", "a = 1\n"))
    with pytest.raises(ConfigError, match="unsupported config format"):
        Config.fromstring("a = 1", ".ini")


def test_cyclic_base(write):
    a = write("a.py", "_base_ = 'b.yaml'\nx = 1\n")
    write("b.yaml", "_base_: c.py\ny: 2\n")
    write("c.py", "_base_ = ['a.py']\nz = 3\n")
    with pytest.raises(ConfigError, match="cyclic") as info:
        Config.fromfile(a)
    text = str(info.value)
    assert "a.py -> " in text and "b.yaml -> " in text and text.rstrip().endswith("a.py")
    self_ref = write("self.py", "_base_ = 'self.py'\n")
    with pytest.raises(ConfigError, match="cyclic"):
        Config.fromfile(self_ref)


def test_key_duplicated_across_bases(write):
    one = write("one.py", "model = dict(a=1)\nlr = 0.1\nseed = 1\n")
    two = write("two.yaml", "model: {b: 2}\nlr: 0.2\nother: 1\n")
    child = write("child.py", "_base_ = ['one.py', 'two.yaml']\n")
    with pytest.raises(ConfigError) as info:
        Config.fromfile(child)
    problems = info.value.problems
    assert [p.key for p in problems] == ["model", "lr"]
    assert all(p.filename == str(child) and p.lineno == 1 for p in problems)
    assert str(one) in problems[0].message and str(two) in problems[0].message


def test_type_clash_without_delete(write):
    write("base.py", "model = dict(backbone=dict(depth=50, norm='BN'), neck=[1, 2])\nlr = 0.1\n")
    child = write(
        "child.py",
        "_base_ = 'base.py'\nmodel = dict(backbone=dict(depth=dict(value=101), norm=dict(type='GN')), neck=dict(a=1))\nlr = dict(x=1)\n",
    )
    with pytest.raises(ConfigError) as info:
        Config.fromfile(child)
    keys = [p.key for p in info.value.problems]
    assert keys == ["model.backbone.depth", "model.backbone.norm", "model.neck", "lr"]
    assert all(p.filename == str(child) for p in info.value.problems)
    assert [p.lineno for p in info.value.problems] == [2, 2, 2, 3]
    assert "_delete_=True" in str(info.value)
    yaml_child = write("child.yaml", "_base_: base.py\nlr:\n  x: 1\n")
    with pytest.raises(ConfigError, match="float 0.1") as info:
        Config.fromfile(yaml_child)
    assert info.value.key == "lr" and info.value.filename == str(yaml_child)


def test_unknown_env_variable_without_default(write, monkeypatch):
    monkeypatch.delenv("MME_TEST_NOPE", raising=False)
    monkeypatch.delenv("MME_TEST_NOPE2", raising=False)
    path = write(
        "c.py",
        "model = dict(backbone=dict(depth={{$MME_TEST_NOPE}}))\nroot = 'x'\ndata = dict(path='{{$MME_TEST_NOPE2}}/train')\n",
    )
    with pytest.raises(ConfigError) as info:
        Config.fromfile(path)
    problems = info.value.problems
    assert [(p.lineno, p.key) for p in problems] == [(1, "model.backbone.depth"), (3, "data.path")]
    assert all(p.filename == str(path) for p in problems)
    assert "MME_TEST_NOPE" in str(info.value)
    yaml_path = write("c.yaml", "a:\n  b: {{$MME_TEST_NOPE}}\n")
    with pytest.raises(ConfigError, match="MME_TEST_NOPE") as info:
        Config.fromfile(yaml_path)
    assert info.value.key == "a.b" and info.value.lineno == 2
    used = write("used.py", "x = {{$MME_TEST_NOPE}} + 1\n")
    with pytest.raises(ConfigError, match="MME_TEST_NOPE") as info:
        Config.fromfile(used)
    assert info.value.lineno == 1


def test_unknown_base_reference(write):
    write("base.py", "model = dict(depth=50)\n")
    child = write("child.py", "_base_ = 'base.py'\n\nx = '{{_base_.model.width}}'\n")
    with pytest.raises(ConfigError, match="'width'") as info:
        Config.fromfile(child)
    assert info.value.lineno == 3 and info.value.filename == str(child)
    js = write("child.json", '{"_base_": "base.py",\n "y": {"z": "{{_base_.nothing}}"}}')
    with pytest.raises(ConfigError, match="'nothing'") as info:
        Config.fromfile(js)
    assert info.value.key == "y.z" and info.value.lineno == 2


def test_bad_base_value(write):
    path = write("c.py", "_base_ = 1\n")
    with pytest.raises(ConfigError, match="_base_ must be"):
        Config.fromfile(path)
    computed = write("d.py", "_base_ = ['a' + 'b']\n")
    with pytest.raises(ConfigError, match="literal") as info:
        Config.fromfile(computed)
    assert info.value.lineno == 1
    top = write("list.yaml", "- 1\n- 2\n")
    with pytest.raises(ConfigError, match="mapping"):
        Config.fromfile(top)


def test_bad_cfg_options_value():
    with pytest.raises(ConfigError) as info:
        DictAction.parse_options(["a.b=[1,2", "noequals", "c=(1,2", "d='x", "e=[1]]", "ok=1"])
    keys = [p.key for p in info.value.problems]
    assert keys == ["a.b", "noequals", "c", "d", "e"]
    assert all(p.filename == "--cfg-options" for p in info.value.problems)

    parser = argparse.ArgumentParser(exit_on_error=False)
    parser.add_argument("--cfg-options", nargs="+", action=DictAction)
    with pytest.raises(ConfigError, match="model.depth"):
        parser.parse_args(["--cfg-options", "model.depth=[1"])


def test_bad_cfg_options_exits_like_argparse(capsys):
    parser = argparse.ArgumentParser(prog="train")
    parser.add_argument("--cfg-options", nargs="+", action=DictAction)
    with pytest.raises(SystemExit) as info:
        parser.parse_args(["--cfg-options", "model.depth=(1"])
    assert info.value.code == 2
    assert "model.depth" in capsys.readouterr().err


def test_merge_from_dict_errors_are_collected():
    cfg = Config(dict(model=dict(layers=[dict(a=1), dict(a=2)], depth=50), lr=0.1))
    with pytest.raises(ConfigError) as info:
        cfg.merge_from_dict(
            {"model.layers.5.a": 1, "model.depth.x": 2, "model.layers.x": 3, "lr": dict(a=1), "a..b": 1}
        )
    keys = [p.key for p in info.value.problems]
    assert keys == ["model.layers.5", "model.depth", "model.layers.x", "lr", "a..b"]
    assert "out of range" in str(info.value)
    with pytest.raises(ConfigError, match="list keys are not allowed"):
        cfg.merge_from_dict({"model.layers.0.a": 5}, allow_list_keys=False)
