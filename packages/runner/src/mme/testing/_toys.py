"""Small registered components for testing runners, hooks and loops quickly on a CPU."""

from __future__ import annotations

import copy
from typing import Any

import torch
from torch import nn
from torch.utils.data import Dataset

from mme.evaluator import BaseMetric
from mme.model import BaseModel
from mme.registry import DATASETS, METRICS, MODELS

__all__ = ["ToyDataset", "ToyMetric", "ToyModel", "get_toy_cfg"]


@MODELS.register_module()
class ToyModel(BaseModel):
    """A two-layer MLP classifier over 2-d points (dropout makes training use the RNG).

    ``forward`` takes the pseudo-collated ``inputs`` (a list of tensors) and ``data_samples``
    (a list of int labels).
    """

    def __init__(self, in_features: int = 2, hidden: int = 8, num_classes: int = 2, dropout: float = 0.1,
                 data_preprocessor: dict | None = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor)
        self.net = nn.Sequential(nn.Linear(in_features, hidden), nn.ReLU(), nn.Dropout(dropout),
                                 nn.Linear(hidden, num_classes))

    def forward(self, inputs: Any, data_samples: Any = None, mode: str = "tensor") -> Any:
        x = torch.stack(list(inputs)) if isinstance(inputs, (list, tuple)) else inputs
        logits = self.net(x.float())
        if mode == "loss":
            labels = torch.as_tensor(list(data_samples), dtype=torch.long, device=logits.device)
            return {"loss": nn.functional.cross_entropy(logits, labels)}
        if mode == "predict":
            preds = logits.argmax(dim=1).tolist()
            gts = list(data_samples) if data_samples is not None else [None] * len(preds)
            return [{"pred": p, "gt": int(g) if g is not None else None} for p, g in zip(preds, gts)]
        return logits


@DATASETS.register_module()
class ToyDataset(Dataset):
    """``size`` 2-d points in two separable classes; each item is ``dict(inputs, data_samples)``.

    Args:
        size: Number of samples.
        seed: Seed of the fixed data.
    """

    METAINFO = {"classes": ("neg", "pos")}

    def __init__(self, size: int = 64, seed: int = 0) -> None:
        gen = torch.Generator().manual_seed(seed)
        self.labels = torch.randint(0, 2, (size,), generator=gen)
        self.data = torch.randn(size, 2, generator=gen) + (self.labels[:, None].float() * 2 - 1) * 1.5

    @property
    def metainfo(self) -> dict:
        """Dataset meta information."""
        return copy.deepcopy(self.METAINFO)

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int) -> dict:
        return {"inputs": self.data[index], "data_samples": int(self.labels[index])}


@METRICS.register_module()
class ToyMetric(BaseMetric):
    """Accuracy of ToyModel's predictions, as ``accuracy`` (0-100)."""

    default_prefix = None

    def process(self, data_batch: Any, data_samples: Any) -> None:
        for sample in data_samples:
            self.results.append(float(sample["pred"] == sample["gt"]))

    def compute_metrics(self, results: list) -> dict:
        return {"accuracy": 100.0 * sum(results) / max(len(results), 1)}


def get_toy_cfg(work_dir: str, max_epochs: int = 2, by_epoch: bool = True, max_iters: int = 20,
                batch_size: int = 8, size: int = 64, **overrides: Any) -> dict:
    """A complete Runner config training ToyModel on ToyDataset, validated by ToyMetric."""
    train_cfg = dict(by_epoch=True, max_epochs=max_epochs) if by_epoch else dict(by_epoch=False, max_iters=max_iters,
                                                                                  val_interval=max_iters)
    sampler = dict(type="DefaultSampler", shuffle=True) if by_epoch else dict(type="InfiniteSampler", shuffle=True)
    cfg = dict(
        model=dict(type="ToyModel"),
        work_dir=work_dir,
        train_dataloader=dict(dataset=dict(type="ToyDataset", size=size), sampler=sampler, batch_size=batch_size,
                              num_workers=0),
        val_dataloader=dict(dataset=dict(type="ToyDataset", size=32, seed=1),
                            sampler=dict(type="DefaultSampler", shuffle=False), batch_size=8, num_workers=0),
        val_evaluator=dict(type="ToyMetric"),
        train_cfg=train_cfg,
        val_cfg=dict(),
        optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.1, momentum=0.9)),
        param_scheduler=dict(type="MultiStepLR", milestones=[1], gamma=0.5, by_epoch=by_epoch),
        default_hooks=dict(logger=dict(type="LoggerHook", interval=2)),
        randomness=dict(seed=0),
        env_cfg=dict(dist_cfg=dict(backend="gloo")),
    )
    cfg.update(overrides)
    return cfg
