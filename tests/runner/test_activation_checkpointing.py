"""turn_on_activation_checkpointing / wrap_forward: recompute in backward, same gradients."""

from __future__ import annotations

import copy

import pytest
import torch
from mme.model import ModelValueError
from mme.runner import turn_on_activation_checkpointing, wrap_forward
from torch import nn


class Block(nn.Module):
    def __init__(self, width: int = 8):
        super().__init__()
        self.fc1 = nn.Linear(width, width)
        self.fc2 = nn.Linear(width, width)
        self.drop = nn.Dropout(0.5)
        self.calls = 0

    def forward(self, x, scale=1.0):
        self.calls += 1
        return x + self.fc2(self.drop(torch.nn.functional.gelu(self.fc1(x)))) * scale


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.backbone = nn.ModuleDict({"layer1": Block(), "layer2": Block()})
        self.head = nn.Linear(8, 1)

    def forward(self, x):
        x = self.backbone["layer1"](x, scale=0.5)
        return self.head(self.backbone["layer2"](x))


def _step(model: Net, x: torch.Tensor) -> dict[str, torch.Tensor]:
    model.zero_grad()
    torch.manual_seed(1)  # dropout masks: checkpointing must replay the same ones
    model(x).pow(2).sum().backward()
    return {name: p.grad.clone() for name, p in model.named_parameters()}


def test_forward_recomputed_in_backward_with_equal_gradients():
    x = torch.randn(4, 8)
    plain, ckpt = Net(), Net()
    turn_on_activation_checkpointing(ckpt, ["backbone.layer1", "backbone.layer2"])
    expected = _step(plain, x)
    got = _step(ckpt, x)
    assert set(got) == set(expected)
    for name in expected:
        assert torch.equal(got[name], expected[name]), name
    assert plain.backbone["layer1"].calls == 1
    assert ckpt.backbone["layer1"].calls == 2  # forward, then the recomputation in backward
    assert ckpt.backbone["layer2"].calls == 2


def test_only_the_named_module_is_checkpointed_and_kwargs_reach_forward():
    model = Net()
    turn_on_activation_checkpointing(model, "backbone.layer1")
    _step(model, torch.randn(2, 8))
    assert model.backbone["layer1"].calls == 2
    assert model.backbone["layer2"].calls == 1


def test_no_recompute_in_eval_or_no_grad():
    model = Net()
    turn_on_activation_checkpointing(model, ["backbone.layer1"])
    block = model.backbone["layer1"]
    with torch.no_grad():
        model(torch.randn(2, 8))
    assert block.calls == 1
    model.eval()
    model(torch.randn(2, 8)).sum().backward()  # grad enabled, but eval mode: no checkpoint
    assert block.calls == 2


def test_twice_does_not_nest():
    model = Net()
    turn_on_activation_checkpointing(model, "backbone.layer1")
    forward = model.backbone["layer1"].forward
    turn_on_activation_checkpointing(model, ["backbone.layer1", "backbone.layer1"])
    assert model.backbone["layer1"].forward is forward
    _step(model, torch.randn(2, 8))
    assert model.backbone["layer1"].calls == 2  # a nested checkpoint would recompute 3 times


def test_unknown_name_lists_close_names():
    model = Net()
    with pytest.raises(ModelValueError, match=r"'backbone.layr1'.*did you mean 'backbone.layer1'"):
        turn_on_activation_checkpointing(model, ["backbone.layer2", "backbone.layr1"])
    assert not hasattr(model.backbone["layer2"].forward, "_mme_activation_checkpointing")  # nothing half-done
    with pytest.raises(TypeError, match="module name or a list"):
        turn_on_activation_checkpointing(model, 3)


def test_deepcopy_rebinds_to_the_copy():
    model = Net()
    turn_on_activation_checkpointing(model, "backbone.layer1")
    clone = copy.deepcopy(model)
    _step(clone, torch.randn(2, 8))
    assert clone.backbone["layer1"].calls == 2
    assert model.backbone["layer1"].calls == 0


def test_wrap_forward_of_a_plain_function():
    calls = []
    layer = nn.Linear(3, 3)

    def fn(x):
        calls.append(1)
        return layer(x).relu()

    wrapped = wrap_forward(fn)
    assert wrap_forward(wrapped) is wrapped
    wrapped(torch.randn(2, 3)).sum().backward()
    assert len(calls) == 2 and layer.weight.grad is not None
