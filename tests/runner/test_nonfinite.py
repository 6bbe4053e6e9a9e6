"""A NaN/Inf loss stops training with an error naming the iteration, or is skipped."""

from __future__ import annotations

import pytest
import torch

from mme.registry import MODELS
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
