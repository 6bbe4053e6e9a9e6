"""mme.config._merge: base/child merging and dotted-key overrides, case by case."""

from __future__ import annotations

import pytest
from mme.config import ConfigDict, ConfigError
from mme.config._merge import _describe, _has_delete, _is_index, merge_into, merge_options, strip_delete


def _problems(fn, *args, **kwargs):
    with pytest.raises(ConfigError) as info:
        fn(*args, **kwargs)
    return [(p.key, p.message) for p in info.value.problems]


def test_describe_shortens_long_values():
    assert _describe(3) == "int 3"
    assert _describe("a" * 38) == "str '" + "a" * 38 + "'"  # 40 characters: kept
    long = "b" * 39
    assert _describe(long) == "str '" + "b" * 36 + "..."  # 41 characters: 37 and an ellipsis
    assert len(_describe(list(range(30)))) == len("list ") + 40


def test_has_delete_and_strip_delete():
    assert not _has_delete({"a": [1, {"b": 2}]}) and not _has_delete("x")
    assert _has_delete({"a": [1, {"_delete_": True}]})
    assert _has_delete([({"_delete_": False},)])
    value = {"a": 1, "b": [2, {"c": 3}]}
    assert strip_delete(value) is value
    stripped = strip_delete({"_delete_": True, "a": ({"_delete_": True, "x": 1}, 2), "b": [{"_delete_": 1}], "c": 3})
    assert stripped == {"a": ({"x": 1}, 2), "b": [{}], "c": 3}
    assert type(stripped) is ConfigDict and type(stripped["a"]) is tuple and type(stripped["b"]) is list
    assert type(stripped["a"][0]) is ConfigDict


def test_is_index():
    assert _is_index("0") and _is_index("12") and _is_index("-1")
    assert not _is_index("--1") and not _is_index("1-")
    assert not _is_index("-") and not _is_index("a") and not _is_index("1a") and not _is_index("")
    assert not _is_index("-1-")


def test_merge_into_recurses_replaces_and_deletes():
    dst = {"a": {"x": 1, "y": {"z": 1}}, "b": 1, "l": [1]}
    merge_into(dst, {"a": {"y": {"w": 2}}, "b": {"_delete_": True, "n": 1}, "l": [2], "c": {"d": 1},
                     "_delete_": True})
    assert dst == {"a": {"x": 1, "y": {"z": 1, "w": 2}}, "b": {"n": 1}, "l": [2], "c": {"d": 1}}
    dst = {"a": {"x": 1}}
    merge_into(dst, {"a": {"_delete_": True, "y": 2}})
    assert dst == {"a": {"y": 2}}
    dst = {"a": {"x": 1}}
    merge_into(dst, {"a": {"_delete_": False, "y": 2}})
    assert dst == {"a": {"x": 1, "y": 2}}


def test_merge_into_a_non_dict_is_reported_with_its_path():
    dst = {"a": {"b": 3, "c": 1}, "d": "s"}
    problems = _problems(merge_into, dst, {"a": {"b": {"x": 1}, "c": {"y": 1}}, "d": {"z": 1}}, filename="f.py")
    assert [k for k, _ in problems] == ["a.b", "a.c", "d"]
    assert problems[0][1] == ("cannot merge a dict into int 3 inherited from the base; set _delete_=True in the "
                              "dict to replace the value instead")
    with pytest.raises(ConfigError) as info:
        merge_into({"a": 1}, {"a": {"x": 1}}, filename="f.py")
    assert info.value.problems[0].filename == "f.py"
    collected: list = []
    merge_into({"a": 1}, {"a": {"x": 1}}, problems=collected)  # appended, not raised
    assert [p.key for p in collected] == ["a"]


def test_merge_into_accepts_any_mapping():
    from types import MappingProxyType

    dst = {"a": {"x": 1}}
    merge_into(dst, MappingProxyType({"a": MappingProxyType({"y": 2})}))
    assert dst == {"a": {"x": 1, "y": 2}}


def test_merge_options_basic_paths():
    cfg = ConfigDict(a={"b": 1}, l=[{"x": 1}, 2], t=({"x": 1}, 5))
    merge_options(cfg, {"a.b": 2, "a.c.d": 3, "l.0.x": 4, "l.-1": 6, "t.0.x": 7, "t.1": 8, "n": {"_delete_": True, "k": 1}})
    assert cfg.to_dict() == {"a": {"b": 2, "c": {"d": 3}}, "l": [{"x": 4}, 6], "t": ({"x": 7}, 8), "n": {"k": 1}}
    assert type(cfg["t"]) is tuple and isinstance(cfg["a"]["c"], ConfigDict)


def test_merge_options_dict_values():
    cfg = ConfigDict(a={"b": 1}, l=[1, 2], n=None, s=3)
    merge_options(cfg, {"a": {"c": 2}, "l": {"1": 5}, "n": {"x": 1}})
    assert cfg.to_dict() == {"a": {"b": 1, "c": 2}, "l": [1, 5], "n": {"x": 1}, "s": 3}
    merge_options(cfg, {"a": {"_delete_": True, "z": 0}})
    assert cfg.to_dict()["a"] == {"z": 0}
    merge_options(cfg, {"l": [9]})
    assert cfg["l"] == [9]
    merge_options(cfg, {"t": ({"x": 1},)})  # a new key
    assert cfg["t"] == ({"x": 1},)
    cfg["tu"] = (1, {"a": 1})
    merge_options(cfg, {"tu": {"1": {"b": 2}}})
    assert cfg["tu"] == (1, {"a": 1, "b": 2}) and type(cfg["tu"]) is tuple
    cfg["tu"] = (1, None)
    merge_options(cfg, {"tu": {"1": {"b": 2}}})
    assert cfg["tu"] == (1, {"b": 2}) and isinstance(cfg["tu"][1], ConfigDict)
    cfg["li"] = [None, 2]
    merge_options(cfg, {"li.0": {"b": 2}})
    assert cfg["li"] == [{"b": 2}, 2] and isinstance(cfg["li"][0], ConfigDict)


def test_merge_options_errors():
    cfg = ConfigDict(l=[1, 2], t=(1,), s=3, d={"k": 1})
    problems = _problems(merge_options, cfg, {"l.x": 1, "l.2": 1, "l.-3": 1, "t.1": 0, "s.a": 1, "s": {"x": 1},
                                             "l": {"a": 1}, "l.0.z": 1, "": 1, "a..b": 1, "++x": 1, 3: 1})
    assert problems == [
        ("l.x", "'x' is not an index into the list at 'l'"),
        ("l.2", "index 2 is out of range for the list of length 2 at 'l'"),
        ("l.-3", "index -3 is out of range for the list of length 2 at 'l'"),
        ("t.1", "index 1 is out of range for the tuple of length 1 at 't'"),
        ("s", "cannot set 'a' inside int 3"),
        ("s", "cannot merge a dict into int 3; set _delete_=True to replace it"),
        ("l", "cannot merge a dict into list [1, 2]; set _delete_=True to replace it"),
        ("l.0", "cannot set 'z' inside int 1"),
        ("", "invalid option key ''"),
        ("a..b", "invalid option key 'a..b'"),
        ("++x", "invalid option key '++x'"),
        ("3", "invalid option key 3"),
    ]
    assert cfg.to_dict() == {"l": [1, 2], "t": (1,), "s": 3, "d": {"k": 1}}  # nothing applied
    problems = _problems(merge_options, ConfigDict(l=[{"a": 1}]), {"l.0.a": 2}, allow_list_keys=False)
    assert problems == [("l.0", "'l' is a list; list keys are not allowed here")]
    cfg = ConfigDict(l=(1,))
    merge_options(cfg, {"l": {"0": 2}}, allow_list_keys=False)  # a dict of indices is always allowed
    assert cfg.l == (2,)


def test_merge_options_good_ones_apply_even_when_others_fail():
    cfg = ConfigDict(a=1, b=[1])
    with pytest.raises(ConfigError):
        merge_options(cfg, {"a": 2, "b.5": 1})
    assert cfg.a == 2


def test_typos_of_new_keys():
    cfg = ConfigDict(randomness={"seed": 1}, model={"backbone": {"depth": 50}})
    problems = _problems(merge_options, cfg, {"randomnes.seed": 3, "model.backbon.depth": 1})
    assert problems[0] == ("randomnes.seed", "'randomnes' is not a key of the config; did you mean "
                           "'randomness.seed'? To add it as a new key, write '+randomnes.seed' (or pass "
                           "force_new_keys=True)")
    assert problems[1] == ("model.backbon.depth", "'backbon' is not a key of 'model'; did you mean "
                           "'model.backbone.depth'? To add it as a new key, write '+model.backbon.depth' (or "
                           "pass force_new_keys=True)")
    merge_options(cfg, {"+randomnes.seed": 3})
    merge_options(cfg, {"model.backbon": 2}, force_new_keys=True)
    assert cfg.randomnes.seed == 3 and cfg.model.backbon == 2
    cfg = ConfigDict(model={"backbone": {"depth": 50}})
    problems = _problems(merge_options, cfg, {"model": {"backbon": {"depth": 1}}})
    assert problems[0][0] == "model.backbon"
    assert "did you mean 'model.backbone'?" in problems[0][1]
    merge_options(cfg, {"+model": {"backbon": 1}})
    assert cfg.model.backbon == 1
    cfg = ConfigDict({1: {"a": 1}, "x": 2})
    merge_options(cfg, {"y": 1})  # not close to anything: added
    assert cfg.y == 1


def test_typo_message_lists_every_close_key_and_the_whole_rest_of_the_option():
    cfg = ConfigDict(model={"backbone": {"depth": {"x": 1}}, "backbond": 1})
    problems = _problems(merge_options, cfg, {"model.backbon.depth.x": 2})
    assert problems == [("model.backbon.depth.x", "'backbon' is not a key of 'model'; did you mean "
                         "'model.backbone.depth.x' or 'model.backbond.depth.x'? To add it as a new key, write "
                         "'+model.backbon.depth.x' (or pass force_new_keys=True)")]


def test_every_typo_in_a_dict_value_is_reported_and_the_rest_applied():
    cfg = ConfigDict(model={"backbone": 1, "detector": 1, "head": 1})
    problems = _problems(merge_options, cfg, {"model": {"backbon": 2, "detecter": 2, "head": 3}})
    assert [k for k, _ in problems] == ["model.backbon", "model.detecter"]
    assert cfg.model.to_dict() == {"backbone": 1, "detector": 1, "head": 3}


def test_list_index_edges():
    cfg = ConfigDict(l=[1, 2])
    merge_options(cfg, {"l.-2": 5})
    assert cfg.l == [5, 2]
    problems = _problems(merge_options, cfg, {"l.X1": 1, "l.1-": 1})
    assert problems == [("l.X1", "'X1' is not an index into the list at 'l'"),
                        ("l.1-", "'1-' is not an index into the list at 'l'")]
    assert cfg.l == [5, 2]


def test_a_refused_list_key_leaves_the_list_alone():
    cfg = ConfigDict(l=[{"a": 1}], t=({"a": 1},))
    with pytest.raises(ConfigError):
        merge_options(cfg, {"l.0.a": 2, "t.0.a": 2}, allow_list_keys=False)
    assert cfg.to_dict() == {"l": [{"a": 1}], "t": ({"a": 1},)}


def test_dicts_put_into_lists_of_a_plain_dict_become_config_dicts():
    cfg = {"li": [None], "tu": (None,)}
    merge_options(cfg, {"li.0": {"b": 2}, "tu.0": {"c": 3}})
    assert type(cfg["li"][0]) is ConfigDict and type(cfg["tu"][0]) is ConfigDict
    existing = ConfigDict(b=1)
    cfg = {"li": [existing]}
    merge_options(cfg, {"li.0": {"b": 2}})
    assert cfg["li"][0] is existing and existing.b == 2  # merged in place, not copied


def test_errors_of_a_dict_of_indices_name_the_full_path():
    cfg = ConfigDict({"aXX": {"XXb": [1, 2]}})
    problems = _problems(merge_options, cfg, {"aXX.XXb": {"5": 1}})
    assert problems == [("aXX.XXb.5", "index 5 is out of range for the list of length 2 at 'aXX.XXb'")]
