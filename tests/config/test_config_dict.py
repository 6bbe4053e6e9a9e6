"""ConfigDict: attribute access, conversion, copies."""

from __future__ import annotations

import copy
import pickle

import addict
import pytest
from mme.config import ConfigDict


def test_is_a_dict_with_attribute_access():
    cfg = ConfigDict(model=dict(type="ResNet", depth=50), layers=[dict(a=1), 2], pair=(dict(b=2),))
    assert isinstance(cfg, dict) and isinstance(cfg, addict.Dict)
    assert cfg.model.depth == 50 and cfg["model"]["type"] == "ResNet"
    assert isinstance(cfg.model, ConfigDict)
    assert isinstance(cfg.layers[0], ConfigDict) and cfg.layers[0].a == 1
    assert isinstance(cfg.pair, tuple) and cfg.pair[0].b == 2
    cfg.model.depth = 101
    cfg.new = {"x": {"y": 1}}
    assert cfg.model.depth == 101 and cfg.new.x.y == 1 and isinstance(cfg.new.x, ConfigDict)
    del cfg.new
    assert "new" not in cfg


def test_missing_key_names_the_key():
    cfg = ConfigDict(model=dict(depth=50))
    with pytest.raises(AttributeError, match="'width'"):
        _ = cfg.model.width
    with pytest.raises(KeyError, match="width"):
        _ = cfg.model["width"]
    assert not hasattr(cfg, "width")
    assert cfg.get("width") is None and cfg.get("width", 3) == 3
    with pytest.raises(AttributeError, match="'nothing'"):
        del cfg.nothing


def test_dict_methods_are_read_only_attributes():
    cfg = ConfigDict()
    with pytest.raises(AttributeError, match="read-only"):
        cfg.update = 1
    cfg["update"] = 1  # as an item it is fine
    assert cfg["update"] == 1


def test_update_merges_nested_dicts():
    cfg = ConfigDict(model=dict(depth=50, norm=dict(type="BN")))
    cfg.update(model=dict(norm=dict(eps=1e-5)), lr=0.1)
    assert cfg.to_dict() == {"model": {"depth": 50, "norm": {"type": "BN", "eps": 1e-5}}, "lr": 0.1}
    assert cfg.setdefault("lr", 1) == 0.1 and cfg.setdefault("wd", {"a": 1}).a == 1


def test_to_dict_gives_plain_containers():
    cfg = ConfigDict(a=dict(b=[dict(c=1)], t=(dict(d=2),)))
    plain = cfg.to_dict()
    assert type(plain) is dict and type(plain["a"]) is dict
    assert type(plain["a"]["b"][0]) is dict and type(plain["a"]["t"]) is tuple and type(plain["a"]["t"][0]) is dict
    assert plain == cfg


def test_copies_and_pickle():
    cfg = ConfigDict(model=dict(depth=50, layers=[1, 2]))
    deep = copy.deepcopy(cfg)
    deep.model.layers.append(3)
    assert cfg.model.layers == [1, 2] and isinstance(deep, ConfigDict)
    shallow = copy.copy(cfg)
    assert shallow.model is cfg.model and isinstance(shallow, ConfigDict)
    assert cfg.copy() == cfg
    restored = pickle.loads(pickle.dumps(cfg))
    assert restored == cfg and isinstance(restored.model, ConfigDict) and restored.model.depth == 50


def test_or_operators():
    cfg = ConfigDict(a=1)
    assert (cfg | {"b": 2}) == {"a": 1, "b": 2}
    assert isinstance({"b": 2} | cfg, ConfigDict)
    cfg |= {"c": 3}
    assert cfg.c == 3


def test_items_and_values_and_pop():
    cfg = ConfigDict(a=1, b=dict(c=2))
    assert dict(cfg.items()) == {"a": 1, "b": {"c": 2}}
    assert cfg.values()[0] == 1 and len(cfg.items()) == 2
    assert cfg.pop("a") == 1 and cfg.pop("zz", None) is None
    with pytest.raises(KeyError):
        cfg.pop("zz")


def test_or_merges_nested_dicts_and_refuses_non_dicts():
    cfg = ConfigDict(a=dict(x=1))
    merged = cfg | {"a": {"y": 2}}
    assert type(merged) is ConfigDict and merged == {"a": {"x": 1, "y": 2}}
    assert cfg == {"a": {"x": 1}}
    left = {"a": ConfigDict(y=2), "b": 0}
    merged = left | cfg
    assert type(merged) is ConfigDict and merged == {"a": {"y": 2, "x": 1}, "b": 0}
    assert left == {"a": {"y": 2}, "b": 0} and cfg == {"a": {"x": 1}}  # neither operand changes
    with pytest.raises(TypeError):
        cfg | 3
    with pytest.raises(TypeError):
        3 | cfg


def test_update_replaces_a_dict_by_a_non_dict_and_a_non_dict_by_a_dict():
    cfg = ConfigDict(a=dict(x=1), n=1)
    cfg.update(a=5, n={"y": 2})
    assert cfg == {"a": 5, "n": {"y": 2}} and isinstance(cfg.n, ConfigDict)


def test_constructor_copies_and_frozen_state():
    with pytest.raises(TypeError, match="at most 1 positional argument, got 2"):
        ConfigDict({"a": 1}, {"b": 2})
    cfg = ConfigDict(a=dict(b=[1]))
    deep = cfg.deepcopy()
    deep.a.b.append(2)
    assert type(deep) is ConfigDict and cfg.a.b == [1]
    with pytest.raises(NotImplementedError, match="cannot be frozen"):
        cfg.freeze()
    with pytest.raises(NotImplementedError, match="cannot be frozen"):
        cfg.unfreeze()
