from __future__ import annotations

import pytest
import torch
from mme.model import (
    ExponentialMovingAverage,
    ModelValueError,
    MomentumAnnealingEMA,
    StochasticWeightAverage,
)
from mme.registry import MODELS
from torch import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(1, 1, bias=False)
        self.bn = nn.BatchNorm1d(1)

    def forward(self, x):
        return self.bn(self.fc(x))


def set_weight(model, value):
    with torch.no_grad():
        model.fc.weight.fill_(value)


def run(avg_model, src, values):
    for v in values:
        set_weight(src, v)
        avg_model.update_parameters(src)
    return avg_model.module.fc.weight.item()


def test_ema_closed_form():
    src = Net()
    ema = ExponentialMovingAverage(src, momentum=0.1)
    result = run(ema, src, [1.0, 2.0, 3.0])
    expected = 1.0
    for v in (2.0, 3.0):
        expected = 0.9 * expected + 0.1 * v
    assert result == pytest.approx(expected)
    assert int(ema.steps) == 3
    assert not any(p.requires_grad for p in ema.parameters())


def test_ema_interval():
    src = Net()
    ema = ExponentialMovingAverage(src, momentum=0.5, interval=2)
    # steps 0 (copy), 1 (skipped), 2 (averaged), 3 (skipped)
    assert run(ema, src, [0.0, 8.0, 4.0, 100.0]) == pytest.approx(2.0)


def test_momentum_annealing():
    src = Net()
    ema = MomentumAnnealingEMA(src, momentum=0.01, gamma=2)
    result = run(ema, src, [0.0, 1.0, 1.0])
    m1 = max(0.01, 2 / (2 + 1))
    m2 = max(0.01, 2 / (2 + 2))
    expected = (0 * (1 - m1) + m1) * (1 - m2) + m2
    assert result == pytest.approx(expected)


def test_swa_is_the_running_mean():
    src = Net()
    swa = StochasticWeightAverage(src)
    assert run(swa, src, [1.0, 2.0, 6.0]) == pytest.approx(3.0)


def test_buffers_copied_or_averaged():
    src = Net()
    ema = ExponentialMovingAverage(src, momentum=0.5)
    src.bn.running_mean.fill_(4.0)
    ema.update_parameters(src)
    src.bn.running_mean.fill_(8.0)
    ema.update_parameters(src)
    assert ema.module.bn.running_mean.item() == 8.0  # copied
    ema2 = ExponentialMovingAverage(src, momentum=0.5, update_buffers=True)
    src.bn.running_mean.fill_(4.0)
    ema2.update_parameters(src)
    src.bn.running_mean.fill_(8.0)
    ema2.update_parameters(src)
    assert ema2.module.bn.running_mean.item() == 6.0  # averaged


@pytest.mark.parametrize("name", ["ExponentialMovingAverage", "MomentumAnnealingEMA", "StochasticWeightAverage"])
def test_forward_runs_the_averaged_weights(name):
    src = Net().eval()
    args = {"ExponentialMovingAverage": {"momentum": 0.5}, "MomentumAnnealingEMA": {"momentum": 0.1, "gamma": 1},
            "StochasticWeightAverage": {}}[name]
    avg = MODELS.build({"type": name, "model": src, **args}).eval()
    run(avg, src, [2.0, 4.0])  # each weighs the second value by 1/2 (annealed: max(0.1, 1 / (1 + 1))): 3
    assert avg.module.fc.weight.item() == pytest.approx(3.0)
    reference = Net().eval()
    set_weight(reference, 3.0)
    x = torch.tensor([[1.0], [-2.0], [0.5]])
    out = avg(x)
    assert torch.allclose(out, reference(x))
    assert torch.allclose(out, 3.0 * x / (1 + reference.bn.eps) ** 0.5)  # eval BatchNorm: mean 0, var 1
    assert not torch.allclose(out, src(x))  # not the source model's weights (4.0)


@pytest.mark.parametrize("name", ["ExponentialMovingAverage", "MomentumAnnealingEMA", "StochasticWeightAverage"])
def test_registered_and_built(name):
    avg = MODELS.build({"type": name, "model": Net(), "interval": 1})
    assert type(avg).__name__ == name


def test_bad_arguments():
    with pytest.raises(ModelValueError, match="momentum"):
        ExponentialMovingAverage(Net(), momentum=1.5)
    with pytest.raises(ModelValueError, match="gamma"):
        MomentumAnnealingEMA(Net(), gamma=0)
    with pytest.raises(ModelValueError, match="interval"):
        StochasticWeightAverage(Net(), interval=0)
