"""MMDistributedDataParallel across 2 real gloo processes."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from mme.dist.testing import run_distributed
from mme.model import BaseModel, MMDistributedDataParallel, is_model_wrapper
from mme.optim import OptimWrapper
from mme.registry import MODEL_WRAPPERS
from torch import nn


class Regressor(BaseModel):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 1)
        with torch.no_grad():
            self.fc.weight.fill_(0.1)
            self.fc.bias.zero_()

    def forward(self, inputs, data_samples=None, mode="tensor"):
        out = self.fc(inputs).squeeze(1)
        if mode == "loss":
            return {"loss_mse": F.mse_loss(out, data_samples)}
        if mode == "predict":
            return out.tolist()
        return out


def _data(rank: int) -> dict:
    g = torch.Generator().manual_seed(rank)
    return {"inputs": torch.randn(4, 3, generator=g), "data_samples": torch.randn(4, generator=g)}


def _worker(steps: int):
    rank = torch.distributed.get_rank()
    model = MODEL_WRAPPERS.build({"type": "MMDistributedDataParallel", "module": Regressor()})
    wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1))
    logs = [model.train_step(_data(rank), wrapper)["loss"].item() for _ in range(steps)]
    preds = model.val_step(_data(0))
    return {
        "weight": model.module.fc.weight.detach().tolist(),  # plain data: tensors do not outlive the worker
        "logs": logs,
        "preds": preds,
        "test": model.test_step(_data(0)) == preds,
        "wrapper": is_model_wrapper(model) and isinstance(model, MMDistributedDataParallel),
    }


def test_train_step_syncs_gradients():
    out = run_distributed(_worker, world_size=2, args=(3,), timeout=180)
    assert out[0]["weight"] == out[1]["weight"]
    assert out[0]["logs"] == out[1]["logs"]  # logged losses are averaged over ranks
    assert out[0]["wrapper"] and out[0]["test"] and out[0]["preds"] == out[1]["preds"]

    # DDP averages gradients: same as one process training on both ranks' batches at once.
    model = Regressor()
    wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1))
    both = [_data(0), _data(1)]
    full = {k: torch.cat([d[k] for d in both]) for k in both[0]}
    losses = []
    for _ in range(3):
        with torch.no_grad():
            losses.append(sum(F.mse_loss(model(d["inputs"]), d["data_samples"]) for d in both).item() / 2)
        model.train_step(full, wrapper)
    assert torch.allclose(model.fc.weight, torch.tensor(out[0]["weight"]), atol=1e-6)
    for logged, expected in zip(out[0]["logs"], losses):
        assert abs(logged - expected) < 1e-5
