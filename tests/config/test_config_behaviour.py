"""Config's own behaviour: reserved keys, constructor checks, fromstring, text of files with bases, dumps."""

from __future__ import annotations

import sys

import pytest

from mme.config import Config, ConfigError


@pytest.mark.parametrize("key", ["filename", "text", "pretty_text", "env_variables"])
def test_reserved_keys_are_refused(key):
    with pytest.raises(ConfigError, match=f"'{key}' is reserved"):
        Config({key: 1})


def test_a_non_mapping_is_refused():
    with pytest.raises(TypeError, match="cfg_dict must be a dict, got list"):
        Config([("a", 1)])


def test_fromstring_names_the_string_in_errors():
    with pytest.raises(ConfigError, match=r"^<string>: unsupported config format '\.txt'"):
        Config.fromstring("a = 1", ".txt")


def test_fromstring_imports_custom_modules(tmp_path, monkeypatch):
    (tmp_path / "mme_fromstring_custom_mod.py").write_text("LOADED = True\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "mme_fromstring_custom_mod", raising=False)
    Config.fromstring("custom_imports = dict(imports=['mme_fromstring_custom_mod'])\n", ".py")
    assert sys.modules["mme_fromstring_custom_mod"].LOADED
    monkeypatch.delitem(sys.modules, "mme_fromstring_custom_mod")


def test_text_of_a_file_with_a_base_lists_each_file_then_its_source(write):
    base = write("base.py", "a = 1\n")
    child = write("child.py", "_base_ = ['base.py']\nb = 2\n")
    cfg = Config.fromfile(child)
    assert cfg.text == f"{base}\na = 1\n\n{child}\n_base_ = ['base.py']\nb = 2\n"


def test_attribute_access_reaches_keys_with_underscores_but_not_dunders():
    cfg = Config({"__private": 1, "trailing__": 2, "__dunder__": 3})
    assert getattr(cfg, "__private") == 1
    assert getattr(cfg, "trailing__") == 2
    assert cfg["__dunder__"] == 3
    with pytest.raises(AttributeError):
        getattr(cfg, "__dunder__")  # protocol probes (copy, pickle, inspect) never see config keys


class _Obj:
    def __repr__(self) -> str:
        return "_Obj()"


def test_yaml_dump_keeps_plain_keys_and_writes_other_objects_as_repr(tmp_path):
    cfg = Config({"a": {(1, 2): "tuple key", 3: "int", None: "none", 1.5: "float", True: "bool"}, "o": _Obj()})
    cfg.dump(str(tmp_path / "c.yaml"))
    assert (tmp_path / "c.yaml").read_text() == (
        "a:\n  (1, 2): tuple key\n  3: int\n  null: none\n  1.5: float\n  true: bool\no: _Obj()\n"
    )


@pytest.mark.parametrize("how", ["pickle", "copy", "deepcopy"])
def test_copies_keep_filename_text_and_env_variables(tmp_path, how):
    import copy
    import pickle

    cfg = Config({"a": {"b": 1}}, cfg_text="a = dict(b=1)\n", filename=str(tmp_path / "c.py"),
                 env_variables={"DATA": "/data"})
    other = {"pickle": lambda c: pickle.loads(pickle.dumps(c)), "copy": copy.copy, "deepcopy": copy.deepcopy}[how](cfg)
    assert type(other) is Config and other == cfg
    assert (other.filename, other.text, other.env_variables) == (str(tmp_path / "c.py"), "a = dict(b=1)\n",
                                                                 {"DATA": "/data"})


def test_deepcopy_keeps_a_config_that_holds_itself_one_object():
    import copy

    cfg = Config({"a": 1})
    cfg.me = cfg
    other = copy.deepcopy(cfg)
    assert other is not cfg and other.me is other


def test_dump_without_a_file_name_or_suffix_writes_python(tmp_path):
    cfg = Config({"a": 1})
    assert cfg.dump() == "a = 1\n"
    cfg.dump(str(tmp_path / "no_suffix"))
    assert (tmp_path / "no_suffix").read_text() == "a = 1\n"


def test_a_copy_of_an_unpickled_config_can_be_copied_and_pickled_again():
    import copy
    import pickle

    cfg = pickle.loads(pickle.dumps(Config({"a": {"b": 1}}, filename="x.py")))
    for other in (copy.copy(cfg), copy.deepcopy(cfg), pickle.loads(pickle.dumps(cfg))):
        assert other == cfg and other.filename == "x.py"


def test_json_and_yaml_dumps_keep_non_ascii_text_and_json_is_indented_by_four(tmp_path):
    cfg = Config({"name": "café", "sizes": (1, 2)})
    cfg.dump(str(tmp_path / "c.json"))
    assert (tmp_path / "c.json").read_text(encoding="utf-8") == (
        '{\n    "name": "café",\n    "sizes": [\n        1,\n        2\n    ]\n}\n')
    cfg = Config({"name": "café", "sizes": (1, 2), "axis": 0})  # the config's key order, not sorted
    cfg.dump(str(tmp_path / "c.yaml"))
    assert (tmp_path / "c.yaml").read_text(encoding="utf-8") == "name: café\nsizes:\n- 1\n- 2\naxis: 0\n"


def test_diff_of_mappings_files_and_configs(write):
    assert Config.diff({"a": 1, "b": 2}, {"a": 1, "b": 3}) == (
        "--- cfg1\n+++ cfg2\n@@ -1,2 +1,2 @@\n a = 1\n-b = 2\n+b = 3\n")
    assert Config.diff({"a": 1}, Config({"a": 1})) == ""
    path = write("c.py", "a = 1\n")
    assert Config.diff(str(path), {"a": 2}).startswith(f"--- {path}\n+++ cfg2\n")


@pytest.mark.parametrize(
    ("text", "error", "message"),
    [
        ("custom_imports = 3", ConfigError, "key 'custom_imports': custom_imports must be a dict with an 'imports' list"),
        ("custom_imports = dict(modules=['json'])", ConfigError, "must be a dict with an 'imports' list"),
        ("custom_imports = dict(imports=['json'], extra=1)", ConfigError, "unknown custom_imports fields: ['extra']"),
        ("custom_imports = dict(imports=['mme_no_such_mod_zz'])", ImportError,
         "<string>: custom_imports failed: No module named 'mme_no_such_mod_zz'"),
        ("custom_imports = dict(imports=[3])", ConfigError,
         "key 'custom_imports.imports': invalid custom_imports: custom import 3 is a int"),
    ],
)
def test_bad_custom_imports(text, error, message):
    with pytest.raises(error) as info:
        Config.fromstring(text, ".py")
    assert message in str(info.value)


@pytest.mark.parametrize("form", ["{!r}", "[{!r}]", "({!r},)"])
def test_custom_imports_as_a_name_or_a_list(tmp_path, monkeypatch, form):
    (tmp_path / "mme_custom_form_mod.py").write_text("LOADED = True\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "mme_custom_form_mod", raising=False)
    Config.fromstring(f"custom_imports = {form.format('mme_custom_form_mod')}\n", ".py")
    assert sys.modules["mme_custom_form_mod"].LOADED
    monkeypatch.delitem(sys.modules, "mme_custom_form_mod")


def test_unknown_package_attribute_is_an_attribute_error():
    import mme.config

    with pytest.raises(AttributeError, match="module 'mme.config' has no attribute 'NoSuchThing'"):
        mme.config.NoSuchThing  # noqa: B018


def test_config_of_a_config_is_a_copy_and_reads_the_file_text(tmp_path):
    inner = Config({"a": {"b": 1}, "steps": [1]})
    outer = Config(inner)
    assert outer == inner
    outer.a.b = 5
    outer.steps.append(2)
    assert inner.to_dict() == {"a": {"b": 1}, "steps": [1]}
    path = tmp_path / "c.py"
    path.write_text("a = dict(b=1)  # é\n", encoding="utf-8")
    assert Config({"a": {"b": 1}}, filename=path).text == "a = dict(b=1)  # é\n"
    assert Config({"a": 1}, filename=tmp_path / "missing.py").text == ""


def test_delete_by_attribute_and_comparisons_return_bools():
    cfg = Config({"a": 1, "b": 2})
    del cfg.b
    assert "b" not in cfg and cfg == {"a": 1}
    assert (cfg == 3) is False and (cfg != 3) is True


def test_lazy_dict_keeps_lazy_objects():
    from mme.config import LazyObject

    cfg = Config({"opt": {"type": LazyObject("torch.optim", "SGD")}})
    lazy = cfg._to_lazy_dict()  # what MMEngine's Runner calls on a pure-Python config
    assert type(lazy["opt"]) is dict and lazy["opt"]["type"] == LazyObject("torch.optim", "SGD")
    assert cfg.to_dict(keep_imported=True) == lazy

