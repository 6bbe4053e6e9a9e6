from __future__ import annotations

import math

import pytest
import torch
from mme.model import (
    BaseModule,
    InitCfgError,
    ModelTypeError,
    ModelValueError,
    PretrainedInit,
    bias_init_with_prob,
    caffe2_xavier_init,
    constant_init,
    initialize,
    kaiming_init,
    normal_init,
    trunc_normal_init,
    uniform_init,
    update_init_info,
    xavier_init,
)
from mme.registry import WEIGHT_INITIALIZERS
from torch import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3)
        self.fc = nn.Linear(8, 4)
        self.bn = nn.BatchNorm2d(8)


def _args_for(name: str, tmp_path) -> dict:
    if name == "Constant":
        return {"val": 0.5}
    if name == "Pretrained":
        src = Net()
        for p in src.parameters():
            nn.init.constant_(p, 0.25)
        path = tmp_path / "ckpt.pth"
        torch.save({"state_dict": src.state_dict()}, path)
        return {"checkpoint": str(path)}
    return {}


@pytest.mark.parametrize("name", sorted(WEIGHT_INITIALIZERS.module_dict))
def test_every_registered_initializer_changes_the_selected_layers(name, tmp_path):
    torch.manual_seed(0)
    net = Net()
    before_fc = net.fc.weight.detach().clone()
    before_conv = net.conv.weight.detach().clone()
    cfg = dict(type=name, **_args_for(name, tmp_path))
    if name != "Pretrained":
        cfg.update(layer="Conv2d", bias=0.125)
    initialize(net, cfg)
    assert not torch.equal(net.conv.weight, before_conv)
    if name == "Pretrained":
        assert torch.all(net.fc.weight == 0.25)
    else:
        assert torch.equal(net.fc.weight, before_fc)  # not in `layer`
        assert torch.all(net.conv.bias == 0.125)


@pytest.mark.parametrize("name", sorted(set(WEIGHT_INITIALIZERS.module_dict) - {"Pretrained"}))
def test_every_initializer_rejects_a_bad_layer_argument(name):
    with pytest.raises(InitCfgError, match="layer must be"):
        WEIGHT_INITIALIZERS.get(name)(**({"val": 1} if name == "Constant" else {}), layer=3)


def test_registered_names_are_mmengines():
    assert {"Constant", "Xavier", "Normal", "TruncNormal", "Uniform", "Kaiming", "Caffe2Xavier", "Pretrained"} <= set(
        WEIGHT_INITIALIZERS.module_dict
    )


def _moments(t: torch.Tensor) -> tuple[float, float]:
    t = t.detach().double()
    return t.mean().item(), t.std().item()


def _check_moments(t: torch.Tensor, mean: float, std: float) -> None:
    """The sample mean and std of ``t`` match within 5 standard errors of their estimates.

    The standard error of the mean is ``std / sqrt(n)``; that of the std is ``std / sqrt(2n)``
    (normal), a little more for other shapes, so 6 of it bounds both.
    """
    n = t.numel()
    got_mean, got_std = _moments(t)
    assert abs(got_mean - mean) <= 5 * std / math.sqrt(n), (got_mean, mean)
    assert abs(got_std - std) <= 6 * std / math.sqrt(2 * n), (got_std, std)


def _phi(x: float) -> float:
    return math.exp(-x * x / 2) / math.sqrt(2 * math.pi)


def _cdf(x: float) -> float:
    return (1 + math.erf(x / math.sqrt(2))) / 2


def _truncated_moments(mean: float, std: float, a: float, b: float) -> tuple[float, float]:
    """Mean and std of N(mean, std) truncated to [a, b]."""
    alpha, beta = (a - mean) / std, (b - mean) / std
    z = _cdf(beta) - _cdf(alpha)
    m = mean + std * (_phi(alpha) - _phi(beta)) / z
    var = std**2 * (1 + (alpha * _phi(alpha) - beta * _phi(beta)) / z - ((_phi(alpha) - _phi(beta)) / z) ** 2)
    return m, math.sqrt(var)


# A weight of shape (out, in) = (200, 800): fan_in 800 and fan_out 200 tell the modes apart.
FAN_IN, FAN_OUT = 800, 200


@pytest.fixture
def lin():
    torch.manual_seed(0)
    return nn.Linear(FAN_IN, FAN_OUT)


def test_constant_init(lin):
    constant_init(lin, 2.0, bias=1.0)
    assert torch.all(lin.weight == 2) and torch.all(lin.bias == 1)
    constant_init(lin, -0.5)
    assert torch.all(lin.weight == -0.5) and torch.all(lin.bias == 0)  # bias 0 by default
    constant_init(nn.ReLU(), 1.0)  # no weight: nothing to do


def test_uniform_init(lin):
    uniform_init(lin, a=-0.1, b=0.3, bias=0.5)
    w = lin.weight
    assert w.min() >= -0.1 and w.max() <= 0.3
    assert w.min() < -0.099 and w.max() > 0.299  # the whole range is used
    _check_moments(w, 0.1, 0.4 / math.sqrt(12))
    assert torch.all(lin.bias == 0.5)
    uniform_init(lin)
    _check_moments(lin.weight, 0.5, 1 / math.sqrt(12))  # U(0, 1) by default


def test_normal_init(lin):
    normal_init(lin, mean=3, std=0.5, bias=-1)
    _check_moments(lin.weight, 3, 0.5)
    assert torch.all(lin.bias == -1)
    normal_init(lin)
    _check_moments(lin.weight, 0, 1)  # N(0, 1) by default


@pytest.mark.parametrize("mean, std, a, b", [(0, 1, -0.5, 0.5), (1, 2, 0, 3), (0, 0.02, -2, 2)])
def test_trunc_normal_init(lin, mean, std, a, b):
    trunc_normal_init(lin, mean=mean, std=std, a=a, b=b, bias=0.25)
    w = lin.weight
    assert w.min() >= a and w.max() <= b
    m, s = _truncated_moments(mean, std, a, b)
    _check_moments(w, m, s)
    assert torch.all(lin.bias == 0.25)
    if (b - a) / std < 4:  # a tight truncation: the bounds are reached
        assert w.min() < a + 0.01 * (b - a) and w.max() > b - 0.01 * (b - a)


@pytest.mark.parametrize("gain", [1, 2])
def test_xavier_init(lin, gain):
    xavier_init(lin, gain=gain, distribution="uniform", bias=0.5)
    bound = gain * math.sqrt(6 / (FAN_IN + FAN_OUT))
    assert lin.weight.abs().max() <= bound and lin.weight.abs().max() > 0.99 * bound
    _check_moments(lin.weight, 0, bound / math.sqrt(3))
    assert torch.all(lin.bias == 0.5)
    xavier_init(lin, gain=gain)  # normal by default
    _check_moments(lin.weight, 0, gain * math.sqrt(2 / (FAN_IN + FAN_OUT)))


@pytest.mark.parametrize("mode, fan", [("fan_in", FAN_IN), ("fan_out", FAN_OUT)])
@pytest.mark.parametrize("a, nonlinearity, gain", [(0, "relu", math.sqrt(2)), (0.5, "leaky_relu", math.sqrt(2 / 1.25)),
                                                   (0, "linear", 1.0)])
def test_kaiming_init(lin, mode, fan, a, nonlinearity, gain):
    kaiming_init(lin, a=a, mode=mode, nonlinearity=nonlinearity, bias=0.5)
    _check_moments(lin.weight, 0, gain / math.sqrt(fan))
    assert torch.all(lin.bias == 0.5)
    kaiming_init(lin, a=a, mode=mode, nonlinearity=nonlinearity, distribution="uniform")
    bound = gain * math.sqrt(3 / fan)
    assert lin.weight.abs().max() <= bound and lin.weight.abs().max() > 0.99 * bound
    _check_moments(lin.weight, 0, bound / math.sqrt(3))
    assert torch.all(lin.bias == 0)


def test_kaiming_defaults_are_mmengines(lin):
    kaiming_init(lin)  # fan_out, relu, normal
    _check_moments(lin.weight, 0, math.sqrt(2) / math.sqrt(FAN_OUT))


def test_kaiming_fans_of_a_convolution():
    torch.manual_seed(0)
    conv = nn.Conv2d(64, 16, 3)  # fan_in 64 * 9, fan_out 16 * 9
    kaiming_init(conv, mode="fan_in")
    _check_moments(conv.weight, 0, math.sqrt(2 / (64 * 9)))
    kaiming_init(conv, mode="fan_out")
    _check_moments(conv.weight, 0, math.sqrt(2 / (16 * 9)))


def test_caffe2_xavier_init(lin):
    caffe2_xavier_init(lin, bias=0.5)
    # Kaiming uniform, a=1 (leaky_relu gain 1), fan_in: U(-sqrt(3 / fan_in), sqrt(3 / fan_in))
    bound = math.sqrt(3 / FAN_IN)
    assert lin.weight.abs().max() <= bound + 1e-7 and lin.weight.abs().max() > 0.99 * bound
    _check_moments(lin.weight, 0, bound / math.sqrt(3))
    assert torch.all(lin.bias == 0.5)


@pytest.mark.parametrize("cfg, mean, std", [
    ({"type": "Normal", "mean": 2, "std": 0.1}, 2, 0.1),
    ({"type": "Uniform", "a": 1, "b": 3}, 2, 2 / math.sqrt(12)),
    ({"type": "TruncNormal", "std": 1, "a": -1, "b": 1}, *_truncated_moments(0, 1, -1, 1)),
    ({"type": "Xavier", "gain": 3}, 0, 3 * math.sqrt(2 / (FAN_IN + FAN_OUT))),
    ({"type": "Xavier", "distribution": "uniform"}, 0, math.sqrt(2 / (FAN_IN + FAN_OUT))),
    ({"type": "Kaiming"}, 0, math.sqrt(2 / FAN_OUT)),
    ({"type": "Kaiming", "mode": "fan_in", "nonlinearity": "linear"}, 0, 1 / math.sqrt(FAN_IN)),
    ({"type": "Kaiming", "a": 1, "nonlinearity": "leaky_relu", "distribution": "uniform"}, 0, 1 / math.sqrt(FAN_OUT)),
    ({"type": "Caffe2Xavier"}, 0, 1 / math.sqrt(FAN_IN)),
])
def test_registered_initializers_draw_from_their_distribution(lin, cfg, mean, std):
    net = nn.Sequential(lin, nn.Conv2d(1, 1, 1))
    conv_before = net[1].weight.detach().clone()
    initialize(net, {**cfg, "layer": "Linear", "bias": 0.125})
    _check_moments(lin.weight, mean, std)
    assert torch.all(lin.bias == 0.125)
    assert torch.equal(net[1].weight, conv_before)  # not in `layer`


def test_constant_initializer_fills_the_value():
    net = nn.Sequential(nn.Linear(3, 3), nn.Conv2d(1, 2, 1))
    initialize(net, {"type": "Constant", "layer": ["Linear", "Conv2d"], "val": 0.75, "bias": -2})
    assert all(torch.all(m.weight == 0.75) and torch.all(m.bias == -2) for m in net)


def test_functional_inits_bad_input():
    lin = nn.Linear(2, 2)
    with pytest.raises(ModelValueError, match="distribution"):
        xavier_init(lin, distribution="gamma")
    with pytest.raises(ModelValueError, match="mode"):
        kaiming_init(lin, mode="fan_both")
    with pytest.raises(ModelValueError, match="a < b"):
        trunc_normal_init(lin, a=1, b=0)
    with pytest.raises(ModelValueError, match=r"\(0, 1\)"):
        bias_init_with_prob(1.5)


def test_bias_prob():
    net = Net()
    initialize(net, {"type": "Normal", "layer": "Linear", "std": 0.01, "bias_prob": 0.01})
    assert torch.allclose(torch.sigmoid(net.fc.bias), torch.full((4,), 0.01))
    assert bias_init_with_prob(0.5) == 0.0


def test_base_class_name_matches_subclasses():
    net = Net()
    initialize(net, {"type": "Constant", "layer": "_ConvNd", "val": 3})
    assert torch.all(net.conv.weight == 3)


def test_override():
    net = Net()
    initialize(
        net,
        {"type": "Constant", "layer": "Conv2d", "val": 1, "override": {"name": "fc", "type": "Constant", "val": 2, "bias": 3}},
    )
    assert torch.all(net.conv.weight == 1) and torch.all(net.fc.weight == 2) and torch.all(net.fc.bias == 3)
    # an override with only a name reuses the outer config
    net2 = Net()
    initialize(net2, {"type": "Constant", "layer": "Conv2d", "val": 4, "override": [{"name": "fc"}]})
    assert torch.all(net2.fc.weight == 4)


def test_bad_init_cfgs():
    net = Net()
    with pytest.raises(InitCfgError, match="'name'"):
        initialize(net, {"type": "Constant", "val": 1, "override": {"type": "Constant", "val": 2}})
    with pytest.raises(InitCfgError, match="'type'"):
        initialize(net, {"type": "Constant", "val": 1, "override": {"name": "fc", "val": 2}})
    with pytest.raises(InitCfgError, match="no submodule of that name"):
        initialize(net, {"type": "Constant", "val": 1, "override": {"name": "head"}})
    with pytest.raises(ModelTypeError, match="dict or a list of dicts"):
        initialize(net, "Constant")
    with pytest.raises(KeyError, match="Constnt"):
        initialize(net, {"type": "Constnt", "val": 1})


def test_pretrained_with_prefix(tmp_path):
    src = nn.Sequential()
    src.add_module("backbone", nn.Linear(2, 2))
    nn.init.constant_(src.backbone.weight, 7)
    path = tmp_path / "model.pth"
    torch.save({"state_dict": {"module." + k: v for k, v in src.state_dict().items()}}, path)
    target = nn.Linear(2, 2)
    PretrainedInit(str(path), prefix="backbone")(target)
    assert torch.all(target.weight == 7)
    with pytest.raises(InitCfgError, match="no key starting with 'head.'"):
        PretrainedInit(str(path), prefix="head.")(target)
    with pytest.raises(InitCfgError, match="checkpoint must be a path"):
        PretrainedInit(3)


def test_update_init_info_needs_the_table():
    with pytest.raises(InitCfgError, match="_params_init_info"):
        update_init_info(nn.Linear(1, 1), "x")


def test_init_info_is_tracked(caplog):
    class M(BaseModule):
        def __init__(self):
            super().__init__(init_cfg={"type": "Constant", "layer": "Linear", "val": 1})
            self.fc = nn.Linear(2, 2)
            self.other = nn.Linear(2, 2, bias=False)

    m = M()
    with caplog.at_level("DEBUG", logger="mme.model"):
        m.init_weights()
    assert "fc.weight - (2, 2): ConstantInit" in caplog.text
    assert not hasattr(m, "_params_init_info")


def test_pretrained_from_a_uri_through_fileio():
    import io

    from mme import fileio

    src = nn.Linear(2, 2)
    nn.init.constant_(src.weight, 3)
    buffer = io.BytesIO()
    torch.save({"state_dict": src.state_dict(), "meta": {"epoch": 1}}, buffer)
    fileio.put(buffer.getvalue(), "memory://mme-model-tests/pretrained.pth")
    target = nn.Linear(2, 2)
    initialize(target, {"type": "Pretrained", "checkpoint": "memory://mme-model-tests/pretrained.pth"})
    assert torch.all(target.weight == 3)
