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


def test_functional_inits():
    lin = nn.Linear(100, 100)
    constant_init(lin, 2.0, bias=1.0)
    assert torch.all(lin.weight == 2) and torch.all(lin.bias == 1)
    uniform_init(lin, a=-0.1, b=0.1, bias=0.5)
    assert lin.weight.abs().max() <= 0.1 and torch.all(lin.bias == 0.5)
    normal_init(lin, mean=3, std=0.01)
    assert abs(lin.weight.mean().item() - 3) < 0.01
    trunc_normal_init(lin, std=1, a=-0.5, b=0.5)
    assert lin.weight.abs().max() <= 0.5
    xavier_init(lin, distribution="uniform")
    bound = math.sqrt(6 / 200)
    assert lin.weight.abs().max() <= bound
    kaiming_init(lin, mode="fan_in", distribution="uniform")
    assert lin.weight.abs().max() <= math.sqrt(6 / 100)
    caffe2_xavier_init(lin)
    assert lin.weight.abs().max() <= math.sqrt(3 / 100) + 1e-6
    constant_init(nn.ReLU(), 1.0)  # no weight: nothing to do


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
