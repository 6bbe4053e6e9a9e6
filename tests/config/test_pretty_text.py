"""pretty_text: mme's own deterministic formatter, which always parses back to an equal config."""

from __future__ import annotations

import collections
import keyword
import math
import random

import pytest
from mme.config import Config

GOLDEN_CFG = {
    "model": {
        "type": "ResNet",
        "depth": 50,
        "norm_cfg": {"type": "BN", "requires_grad": True, "eps": 1e-05},
        "stages": (1, 2, 3, 4),
        "init_cfg": None,
        "out_indices": [0, 1, 2, 3],
        "long_description": "a string long enough to push this dict over the width limit",
    },
    "lr": 0.1,
    "names": {"a-b": 1, 2: "two"},
}
GOLDEN_TEXT = """\
model = dict(
    type='ResNet',
    depth=50,
    norm_cfg=dict(type='BN', requires_grad=True, eps=1e-05),
    stages=(1, 2, 3, 4),
    init_cfg=None,
    out_indices=[0, 1, 2, 3],
    long_description='a string long enough to push this dict over the width limit',
)
lr = 0.1
names = {'a-b': 1, 2: 'two'}
"""


def test_golden_output():
    assert Config(GOLDEN_CFG).pretty_text == GOLDEN_TEXT


def _canon(value):
    """A type-tagged form: equality of _canon also checks bool/int/float and list/tuple."""
    if isinstance(value, dict):
        return ("dict", sorted(((_canon(k), _canon(v)) for k, v in value.items()), key=repr))
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, [_canon(v) for v in value])
    if isinstance(value, float) and math.isnan(value):
        return ("float", "nan")
    return (type(value).__name__, value)


STRINGS = [
    "",
    "plain",
    "it's",
    'say "hi"',
    "both ' and \"",
    "back\\slash",
    "new\nline\ttab",
    "ünïcødé ✓",
    "{{ fileDirname }}",
    "{{$HOME}}",
    "{{$NOPE_NOT_SET}}",
    "{{_base_.a.b}}",
    "{{{x}}}",
    "}}{{",
    "{",
    "#comment",
    "a" * 120,
    "x = 1",
    "_mme_",
    "dict(a=1)",
]
SCALARS = [
    0,
    1,
    -7,
    10**30,
    True,
    False,
    None,
    0.1,
    -2.5,
    1e-300,
    1e300,
    float("inf"),
    float("-inf"),
    float("nan"),
] + STRINGS


def _key(rng: random.Random, top: bool):
    choices = ["a", "b_c", "type", "dict", "lr", "match", "class", "with space", "a-b", "1x", "_x", "float", "set"]
    if not top:
        choices += [1, 2.5, None, True, (1, "a"), "é"]
    return rng.choice(choices)


def _value(rng: random.Random, depth: int):
    kind = rng.random()
    if depth > 3 or kind < 0.45:
        return rng.choice(SCALARS)
    if kind < 0.65:
        return {_key(rng, False): _value(rng, depth + 1) for _ in range(rng.randint(0, 5))}
    if kind < 0.85:
        return [_value(rng, depth + 1) for _ in range(rng.randint(0, 5))]
    return tuple(_value(rng, depth + 1) for _ in range(rng.randint(0, 3)))


def _random_config(seed: int) -> dict:
    rng = random.Random(seed)
    return {_key(rng, True): _value(rng, 0) for _ in range(rng.randint(1, 8))}


@pytest.mark.parametrize("seed", range(300))
def test_round_trip_random_configs(seed):
    data = _random_config(seed)
    cfg = Config(data)
    text = cfg.pretty_text
    assert text == Config(data).pretty_text  # deterministic
    back = Config.fromstring(text, ".py")
    assert _canon(back.to_dict()) == _canon(cfg.to_dict()), text
    assert back.pretty_text == text


def test_round_trip_of_loaded_file(write):
    write("base.py", "model = dict(type='A', layers=[dict(w=1), dict(w=(2, 3))], name=\"it's\")\n")
    child = write(
        "child.py",
        "_base_ = 'base.py'\nmodel = dict(extra=dict(nested=[None, True, 1.5e-7]))\nkw = {'not a name': 1, 3: 'x'}\n",
    )
    cfg = Config.fromfile(child)
    back = Config.fromstring(cfg.pretty_text, ".py")
    assert _canon(back.to_dict()) == _canon(cfg.to_dict())


def test_keywords_and_shadowing_keys():
    data = {"class": 1, "dict": {"a": 1}, "float": float("inf"), "x": {"y": float("-inf")}, "globals": 2}
    text = Config(data).pretty_text
    assert all(not line.startswith("class =") for line in text.splitlines())
    assert _canon(Config.fromstring(text, ".py").to_dict()) == _canon(data)
    assert keyword.iskeyword("class")


def test_classes_and_functions_become_dotted_paths():
    cfg = Config({"type": collections.OrderedDict, "fn": math.sqrt, "obj": object()})
    back = Config.fromstring(cfg.pretty_text, ".py")
    assert back.type == "collections.OrderedDict" and back.fn == "math.sqrt"
    assert back.obj.startswith("<object object")
