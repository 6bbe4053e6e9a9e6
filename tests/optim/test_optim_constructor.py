"""DefaultOptimWrapperConstructor, build_optim_wrapper and the OPTIMIZERS registry."""

from __future__ import annotations

import importlib.util
import logging

import pytest
import torch
from mme.optim import (
    AmpOptimWrapper,
    DefaultOptimWrapperConstructor,
    OptimConfigError,
    OptimWrapper,
    build_optim_wrapper,
)
from mme.registry import OPTIM_WRAPPERS, OPTIMIZERS
from torch import nn

BASE_LR, BASE_WD = 0.01, 1e-4


class DeformConv2d(nn.Module):
    """Stand-in with the structure of a deformable conv: a ``conv_offset`` child conv."""

    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(2, 2, 3, 3))
        self.conv_offset = nn.Conv2d(2, 18, 3)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 4, 3)
        self.bn = nn.BatchNorm2d(4)
        self.dwconv = nn.Conv2d(4, 4, 3, groups=4)
        self.sub = nn.Sequential(nn.Linear(4, 2), nn.LayerNorm(2))
        self.scale = nn.Parameter(torch.ones(2))
        self.frozen = nn.Parameter(torch.ones(2), requires_grad=False)
        self.dcn = DeformConv2d()


def _groups(model, paramwise_cfg, **optimizer):
    cfg = dict(optimizer=dict(type="SGD", lr=BASE_LR, weight_decay=BASE_WD, momentum=0.9, **optimizer))
    wrapper = DefaultOptimWrapperConstructor(cfg, paramwise_cfg)(model)
    names = {id(p): n for n, p in model.named_parameters()}
    return {names[id(g["params"][0])]: g for g in wrapper.param_groups}


def test_no_paramwise_cfg_gives_one_group():
    model = Net()
    wrapper = build_optim_wrapper(model, dict(optimizer=dict(type="SGD", lr=0.1)))
    assert isinstance(wrapper, OptimWrapper) and len(wrapper.param_groups) == 1
    assert wrapper.param_groups[0]["lr"] == 0.1


def test_full_paramwise_cfg():
    model = Net()
    groups = _groups(model, dict(
        bias_lr_mult=2.0, bias_decay_mult=0.5, norm_decay_mult=0.0, dwconv_decay_mult=0.1,
        flat_decay_mult=0.3, dcn_offset_lr_mult=0.05,
    ))
    lr = {n: g["lr"] for n, g in groups.items()}
    wd = {n: g["weight_decay"] for n, g in groups.items()}
    assert lr["conv1.weight"] == BASE_LR and wd["conv1.weight"] == BASE_WD
    assert lr["conv1.bias"] == pytest.approx(BASE_LR * 2) and wd["conv1.bias"] == pytest.approx(BASE_WD * 0.5)
    assert lr["bn.weight"] == BASE_LR and wd["bn.weight"] == 0.0 and wd["bn.bias"] == 0.0
    assert lr["bn.bias"] == BASE_LR  # norm biases keep the base lr
    assert wd["dwconv.weight"] == pytest.approx(BASE_WD * 0.1)
    assert wd["dwconv.bias"] == pytest.approx(BASE_WD * 0.5)  # bias rule comes before dwconv
    assert wd["sub.1.weight"] == 0.0  # LayerNorm
    assert wd["scale"] == pytest.approx(BASE_WD * 0.3)  # flat parameter
    assert lr["dcn.conv_offset.weight"] == pytest.approx(BASE_LR * 0.05)
    assert lr["dcn.conv_offset.bias"] == pytest.approx(BASE_LR * 0.05)
    assert wd["dcn.conv_offset.bias"] == BASE_WD  # no bias decay rule inside a DCN
    assert groups["frozen"].get("lr", BASE_LR) == BASE_LR


def test_custom_keys_longest_match_first_and_extra_options():
    model = Net()
    groups = _groups(model, dict(custom_keys={
        "sub": dict(lr_mult=0.1, decay_mult=0.0),
        "sub.0": dict(lr_mult=0.5, momentum=0.5),
        "bias": dict(lr_mult=3.0),
    }, norm_decay_mult=0.0))
    assert groups["sub.0.weight"]["lr"] == pytest.approx(BASE_LR * 0.5)
    assert groups["sub.0.weight"]["momentum"] == 0.5
    assert groups["sub.0.weight"]["weight_decay"] == BASE_WD
    assert groups["sub.1.weight"]["lr"] == pytest.approx(BASE_LR * 0.1)
    assert groups["sub.1.weight"]["weight_decay"] == 0.0
    assert groups["conv1.bias"]["lr"] == pytest.approx(BASE_LR * 3)
    assert groups["bn.weight"]["weight_decay"] == 0.0  # not a custom key: norm rule applies


def test_custom_key_matching_nothing_is_reported(caplog):
    with caplog.at_level(logging.WARNING, logger="mme.optim"):
        _groups(Net(), dict(custom_keys={"backbone": dict(lr_mult=0.1), "conv1": dict(lr_mult=2.0)}))
    assert "'backbone' matches no parameter of Net" in caplog.text
    assert "'conv1'" not in caplog.text


def test_bypass_duplicate():
    shared = nn.Linear(2, 2)
    model = nn.Sequential(shared, shared)
    wrapper = DefaultOptimWrapperConstructor(dict(optimizer=dict(type="SGD", lr=0.1)),
                                             dict(bypass_duplicate=True))(model)
    assert len(wrapper.param_groups) == 2


@pytest.mark.parametrize(
    ("optimizer", "paramwise_cfg", "match"),
    [
        (dict(type="SGD", lr=0.1), dict(norm_decay_mult=0.0), "no weight_decay"),
        (dict(type="SGD", lr=0.1), dict(custom_keys={"a": dict(decay_mult=0.0)}), "decay_mult"),
        (dict(type="SGD", lr=0.1), dict(custom_keys=["a"]), "custom_keys must be a dict"),
        (dict(type="SGD", lr=0.1), dict(bias_lr_mul=2.0), "unknown keys \\['bias_lr_mul'\\]"),
        (dict(type="SGD", lr=0.1), [1], "paramwise_cfg must be None or a dict"),
    ],
)
def test_bad_paramwise_cfg(optimizer, paramwise_cfg, match):
    with pytest.raises(OptimConfigError, match=match):
        DefaultOptimWrapperConstructor(dict(optimizer=optimizer), paramwise_cfg)


def test_missing_optimizer_cfg():
    with pytest.raises(OptimConfigError, match="'optimizer'"):
        DefaultOptimWrapperConstructor(dict(type="OptimWrapper"))


def test_build_optim_wrapper_with_type_paramwise_and_wrapper_args():
    model = Net()
    wrapper = build_optim_wrapper(model, dict(
        type="AmpOptimWrapper", dtype="bfloat16", accumulative_counts=2, clip_grad=dict(max_norm=1.0),
        optimizer=dict(type="AdamW", lr=0.001, weight_decay=0.05),
        paramwise_cfg=dict(norm_decay_mult=0.0),
    ))
    assert isinstance(wrapper, AmpOptimWrapper) and isinstance(wrapper.optimizer, torch.optim.AdamW)
    assert wrapper._accumulative_counts == 2 and wrapper.cast_dtype is torch.bfloat16
    assert len(wrapper.param_groups) == len(list(model.parameters()))


def test_unknown_optimizer_names_close_matches():
    with pytest.raises(KeyError, match="SGD"):
        build_optim_wrapper(Net(), dict(optimizer=dict(type="SDG", lr=0.1)))


def test_model_wrapper_module_is_unwrapped():
    class Wrapped(nn.Module):
        def __init__(self):
            super().__init__()
            self.module = Net()

    model = Wrapped()
    wrapper = build_optim_wrapper(model, dict(optimizer=dict(type="SGD", lr=0.1), paramwise_cfg=dict(bias_lr_mult=2.0)))
    assert len(wrapper.param_groups) == len(list(model.module.parameters()))


@pytest.mark.parametrize("name", sorted(n for n in dir(torch.optim) if isinstance(getattr(torch.optim, n), type)
                                        and issubclass(getattr(torch.optim, n), torch.optim.Optimizer)
                                        and n != "Optimizer"))
def test_every_torch_optimizer_is_registered(name):
    key = "TorchAdafactor" if name == "Adafactor" else name
    assert OPTIMIZERS.get(key) is getattr(torch.optim, name)


@pytest.mark.parametrize("name", sorted(OPTIM_WRAPPERS.module_dict))
def test_every_registered_optim_wrapper_trains(name):
    if name == "ApexOptimWrapper" and importlib.util.find_spec("apex") is None:
        pytest.skip("ApexOptimWrapper needs NVIDIA apex")
    if name == "DeepSpeedOptimWrapper":
        pytest.skip("steps through a DeepSpeed engine, which DeepSpeedStrategy builds: tests/strategy/test_deepspeed.py")
    if name == "ColossalAIOptimWrapper":
        pytest.skip("backward through a ColossalAI booster, which ColossalAIStrategy builds: "
                    "tests/strategy/test_colossalai.py")
    model = nn.Linear(3, 1)
    wrapper = OPTIM_WRAPPERS.build(dict(type=name), default_args=dict(optimizer=torch.optim.SGD(model.parameters(), lr=0.1)))
    before = model.weight.detach().clone()
    for _ in range(3):  # a dynamic fp16 loss scale may skip the first steps (overflow, then back off)
        with wrapper.optim_context(model):
            loss = model(torch.ones(2, 3)).float().mean()
        wrapper.update_params(loss)
    assert not torch.equal(before, model.weight)
    type(wrapper)(optimizer=torch.optim.SGD(model.parameters(), lr=0.1)).load_state_dict(wrapper.state_dict())
