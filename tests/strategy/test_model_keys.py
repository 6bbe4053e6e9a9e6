"""The model config keys every runner applies: ``activation_checkpointing`` and ``efficient_conv_bn_eval``."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from mme.model import BaseModel
from mme.runner import FlexibleRunner, Runner
from mme.testing import ToyModel, get_toy_cfg


def _counted_toy() -> tuple[ToyModel, list[int]]:
    """A ToyModel (same initial weights each time) whose first layer counts its forward calls."""
    torch.manual_seed(0)
    model = ToyModel()
    layer = model.net[0]
    original, calls = layer.forward, [0]

    def counting(*args, **kwargs):
        calls[0] += 1
        return original(*args, **kwargs)

    layer.forward = counting
    return model, calls


@pytest.mark.parametrize("runner_cls", [Runner, FlexibleRunner])
def test_activation_checkpointing_recomputes_the_named_module_with_equal_results(tmp_path, runner_cls):
    plain_model, plain_calls = _counted_toy()
    plain = runner_cls.from_cfg(get_toy_cfg(str(tmp_path / "plain"), max_epochs=1, model=plain_model))
    plain.train()
    model, calls = _counted_toy()
    runner = runner_cls.from_cfg(get_toy_cfg(str(tmp_path / "ckpt"), max_epochs=1, model=model,
                                             activation_checkpointing=["net.0"]))
    runner.train()
    train_iters, val_iters = 8, 4
    assert plain_calls[0] == train_iters + val_iters
    assert calls[0] == 2 * train_iters + val_iters  # forward again in each backward, never in validation
    a, b = plain.model.state_dict(), runner.model.state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)  # same gradients, same RNG (dropout) stream


class ConvBNNet(BaseModel):
    def __init__(self) -> None:
        super().__init__()
        self.backbone = nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.ReLU())
        self.head = nn.Linear(4, 2)

    def forward(self, inputs, data_samples=None, mode="tensor"):
        return self.head(self.backbone(inputs).mean((2, 3)))


def test_efficient_conv_bn_eval_key_transforms_the_named_module(tmp_path):
    torch.manual_seed(0)
    plain = ConvBNNet().eval()
    torch.manual_seed(0)
    runner = Runner(model=ConvBNNet(), work_dir=str(tmp_path), cfg=dict(efficient_conv_bn_eval=["backbone"]))
    model = runner.model.eval()
    assert isinstance(model.backbone.forward.__self__, torch.fx.GraphModule)  # traced and rewritten
    assert not isinstance(getattr(plain.backbone.forward, "__self__", None), torch.fx.GraphModule)
    x = torch.randn(2, 1, 6, 6)
    torch.testing.assert_close(model(x), plain(x))


def test_an_unknown_activation_checkpointing_module_is_a_runner_config_error(tmp_path):
    from mme.runner import RunnerConfigError

    with pytest.raises(RunnerConfigError, match=r"activation_checkpointing: .*'net.00'.*'net.0'"):
        Runner.from_cfg(get_toy_cfg(str(tmp_path), activation_checkpointing=["net.00"]))
