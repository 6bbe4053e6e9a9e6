"""DictAction parsing and Config.merge_from_dict."""

from __future__ import annotations

import argparse

import pytest
from mme.config import Config, ConfigDict, DictAction


def _parse(*options: str) -> dict:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cfg-options", nargs="+", action=DictAction)
    return parser.parse_args(["--cfg-options", *options]).cfg_options


def test_spec_example():
    assert _parse("a.b=1", "c=[1,2]", "d=(1,2)", "e.0.f=x") == {"a.b": 1, "c": [1, 2], "d": (1, 2), "e.0.f": "x"}


@pytest.mark.parametrize(
    "text, value",
    [
        ("1", 1),
        ("-3", -3),
        ("1.5", 1.5),
        ("1e-3", 1e-3),
        ("true", True),
        ("False", False),
        ("None", None),
        ("none", "none"),
        ("abc", "abc"),
        ("'1'", "1"),
        ('"a,b"', "a,b"),
        ("", ""),
        ("[]", []),
        ("()", ()),
        ("(1,)", (1,)),
        ("(1)", (1,)),
        ("[1, 2.5, x, None, true]", [1, 2.5, "x", None, True]),
        ("[(1,2),(3,4)]", [(1, 2), (3, 4)]),
        ("[[1,[2,3]],(4,[5])]", [[1, [2, 3]], (4, [5])]),
        ("1,2,3", [1, 2, 3]),
        ("a,", ["a"]),
        ("['a b', \"c,d\"]", ["a b", "c,d"]),
        ("/path/to/x.pth", "/path/to/x.pth"),
        ("a=b", "a=b"),
    ],
)
def test_value_parsing(text, value):
    parsed = _parse(f"k={text}")["k"]
    assert parsed == value and type(parsed) is type(value)


def test_repeated_option_flags_accumulate():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cfg-options", nargs="+", action=DictAction)
    args = parser.parse_args(["--cfg-options", "a=1", "--cfg-options", "b=2", "a=3"])
    assert args.cfg_options == {"a": 3, "b": 2}


def test_merge_from_dict_with_nested_keys_and_list_indices():
    cfg = Config(
        dict(
            model=dict(backbone=dict(depth=50, norm=dict(type="BN")), heads=[dict(type="A", n=1), dict(type="B")]),
            pipeline=[dict(type="Load"), dict(type="Resize", size=(1, 2))],
            pair=(dict(x=1), 2),
            lr=0.1,
        )
    )
    cfg.merge_from_dict(
        {
            "model.backbone.depth": 101,
            "model.backbone.norm": dict(eps=1e-3),
            "model.heads.1.n": 2,
            "model.heads.-1.type": "C",
            "pipeline.0": dict(type="LoadV2"),
            "pipeline.1.size": [3, 4],
            "pair.0.x": 5,
            "pair.1": 6,
            "new.deep.key": [1],
            "lr": None,
        }
    )
    assert cfg.to_dict() == {
        "model": {
            "backbone": {"depth": 101, "norm": {"type": "BN", "eps": 1e-3}},
            "heads": [{"type": "A", "n": 1}, {"type": "C", "n": 2}],
        },
        "pipeline": [{"type": "LoadV2"}, {"type": "Resize", "size": [3, 4]}],
        "pair": ({"x": 5}, 6),
        "new": {"deep": {"key": [1]}},
        "lr": None,
    }
    assert isinstance(cfg.new.deep, ConfigDict) and isinstance(cfg.pair[0], ConfigDict)


def test_replacing_a_list_element_by_index():
    cfg = Config(dict(stages=[1, 2, 3], pipes=[dict(a=1), dict(b=2)]))
    cfg.merge_from_dict({"stages.1": 20, "pipes.1": "gone", "pipes.0": dict(_delete_=True, c=3)})
    assert cfg.stages == [1, 20, 3] and cfg.pipes == [{"c": 3}, "gone"]
    cfg.merge_from_dict({"stages": {"0": 10, "2": 30}})
    assert cfg.stages == [10, 20, 30]


def test_delete_in_merge_from_dict_and_dict_onto_none():
    cfg = Config(dict(model=dict(norm=dict(type="BN", eps=1)), init=None))
    cfg.merge_from_dict({"model.norm": dict(_delete_=True, type="GN"), "init": dict(type="Pretrained")})
    assert cfg.to_dict() == {"model": {"norm": {"type": "GN"}}, "init": {"type": "Pretrained"}}


def test_cli_to_config_end_to_end(write):
    path = write("c.py", "model = dict(depth=50, layers=[dict(w=1), dict(w=2)])\nopt = dict(lr=0.1)\n")
    options = _parse("model.depth=101", "model.layers.1.w=5", "opt.betas=(0.9,0.99)", "opt.lr=1e-2")
    cfg = Config.fromfile(path)
    cfg.merge_from_dict(options)
    assert cfg.model.depth == 101 and cfg.model.layers[1].w == 5
    assert cfg.opt.betas == (0.9, 0.99) and cfg.opt.lr == 0.01
