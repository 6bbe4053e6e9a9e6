"""A NaN/Inf loss stops training with an error naming the iteration, or is skipped."""

from __future__ import annotations

import pytest
import torch

from mme.registry import MODELS
from mme.optim import NonFiniteGradError
from mme.runner import NonFiniteLossError, Runner
from mme.testing import ToyModel, get_toy_cfg


@MODELS.register_module(force=True)
class NanAtModel(ToyModel):
    def __init__(self, nan_at: int = 5, **kwargs):
        super().__init__(**kwargs)
        self.nan_at = nan_at
        self.calls = 0

    def forward(self, inputs, data_samples=None, mode="tensor"):
        out = super().forward(inputs, data_samples, mode)
        if mode == "loss":
            self.calls += 1
            if self.calls == self.nan_at:
                out["loss"] = out["loss"] * float("nan")
        return out


def test_nan_loss_raises_with_iteration(tmp_path):
    cfg = get_toy_cfg(str(tmp_path), max_epochs=2, model=dict(type="NanAtModel", nan_at=5), log_level="WARNING")
    runner = Runner.from_cfg(cfg)
    with pytest.raises(NonFiniteLossError, match="iteration 5 "):
        runner.train()
    assert all(torch.isfinite(p).all() for p in runner.model.parameters())


def test_nan_loss_skipped_when_configured(tmp_path):
    cfg = get_toy_cfg(str(tmp_path), max_epochs=1, model=dict(type="NanAtModel", nan_at=3), log_level="WARNING")
    cfg["train_cfg"]["nonfinite_loss"] = "skip"
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert runner.iter == 8
    assert all(torch.isfinite(p).all() for p in runner.model.parameters())


@MODELS.register_module(force=True)
class NanGradAtModel(ToyModel):
    """Its first layer's weight gets a NaN gradient at the ``nan_at``-th loss; the loss stays finite."""

    def __init__(self, nan_at: int = 5, **kwargs):
        super().__init__(**kwargs)
        self.nan_at = nan_at
        self.calls = 0
        self.poison = False
        self.net[0].weight.register_hook(self._poison)

    def _poison(self, grad):
        if not self.poison:
            return grad
        self.poison = False
        return torch.full_like(grad, float("nan"))

    def forward(self, inputs, data_samples=None, mode="tensor"):
        if mode == "loss":
            self.calls += 1
            self.poison = self.calls == self.nan_at
        return super().forward(inputs, data_samples, mode)


def _nan_grad_cfg(tmp_path, nonfinite_grad=None):
    cfg = get_toy_cfg(str(tmp_path), max_epochs=2, model=dict(type="NanGradAtModel", nan_at=5), log_level="WARNING",
                      default_hooks=dict(checkpoint=dict(type="CheckpointHook", interval=1, by_epoch=False,
                                                         save_best="accuracy", rule="greater")))
    if nonfinite_grad is not None:
        cfg["optim_wrapper"]["nonfinite_grad"] = nonfinite_grad
    return cfg


def _saved_weights_finite(work_dir):
    ckpts = sorted(p for p in work_dir.iterdir() if p.suffix == ".pth")
    assert ckpts
    return {p.name: all(torch.isfinite(v).all() for v in torch.load(p, weights_only=True)["state_dict"].values())
            for p in ckpts}


def test_nan_gradient_with_finite_loss_raises_before_a_checkpoint_holds_nan(tmp_path):
    runner = Runner.from_cfg(_nan_grad_cfg(tmp_path))
    with pytest.raises(NonFiniteGradError, match=r"iteration 5 in 1 of 4 parameters: net\.0\.weight;"):
        runner.train()
    assert all(torch.isfinite(p).all() for p in runner.model.parameters())
    finite = _saved_weights_finite(tmp_path)
    assert sorted(finite) == ["iter_1.pth", "iter_2.pth", "iter_3.pth", "iter_4.pth"] and all(finite.values())
    assert (tmp_path / "last_checkpoint").read_text().endswith("iter_4.pth")


def test_nan_gradient_skipped_when_configured(tmp_path):
    runner = Runner.from_cfg(_nan_grad_cfg(tmp_path, nonfinite_grad="skip"))
    runner.train()
    assert runner.iter == 16 and runner.optim_wrapper.skipped_steps == 1
    finite = _saved_weights_finite(tmp_path)
    assert len(finite) == 17 and any(name.startswith("best_accuracy") for name in finite)  # 16 iter_N and the best
    assert all(finite.values())
    log = open(runner.logger.log_file, encoding="utf-8").read()
    assert "non-finite (NaN/Inf) gradients at iteration 5 in 1 of 4 parameters: net.0.weight; skipping" in log
