"""A hand-written PyTorch loop on mme building blocks trains scikit-learn's digits to > 90%.

BaseModel + a BaseDataset subclass + DefaultSampler + OptimWrapper (gradient accumulation)
+ warm-up and cosine schedulers + Evaluator, without a Runner.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from mme.dataset import BaseDataset, DefaultSampler, default_collate
from mme.evaluator import BaseMetric, Evaluator
from mme.model import BaseModel
from mme.optim import CosineAnnealingLR, LinearLR, OptimWrapper
from sklearn.datasets import load_digits
from torch import nn
from torch.utils.data import DataLoader

pytestmark = pytest.mark.integration


class Digits(BaseDataset):
    """The 1,797 8x8 digits; a fixed 80/20 split into train and test."""

    METAINFO = {"classes": tuple(str(i) for i in range(10))}

    def __init__(self, split: str, **kwargs):
        self.split = split
        super().__init__(**kwargs)

    def load_data_list(self):
        images, labels = load_digits(return_X_y=True)
        order = np.random.default_rng(0).permutation(len(labels))
        cut = int(0.8 * len(labels))
        chosen = order[:cut] if self.split == "train" else order[cut:]
        return [{"img": (images[i] / 16.0).astype(np.float32), "gt_label": int(labels[i])} for i in chosen]


def to_tensors(info: dict) -> dict:
    return {"inputs": torch.from_numpy(info["img"]), "data_samples": torch.tensor(info["gt_label"])}


class MLP(BaseModel):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))

    def forward(self, inputs, data_samples=None, mode="tensor"):
        logits = self.net(inputs)
        if mode == "loss":
            return {"loss_cls": nn.functional.cross_entropy(logits, data_samples)}
        if mode == "predict":
            return [{"pred": int(p), "gt": int(t)} for p, t in zip(logits.argmax(1), data_samples)]
        return logits


class Accuracy(BaseMetric):
    default_prefix = "digits"

    def process(self, data_batch, data_samples):
        self.results.extend(int(s["pred"] == s["gt"]) for s in data_samples)

    def compute_metrics(self, results):
        return {"accuracy": sum(results) / len(results)}


def test_plain_loop_reaches_90_percent():
    torch.manual_seed(0)
    train_set = Digits("train", pipeline=[to_tensors])
    test_set = Digits("test", pipeline=[to_tensors], test_mode=True)
    sampler = DefaultSampler(train_set, shuffle=True, seed=0)
    train_loader = DataLoader(train_set, batch_size=32, sampler=sampler, collate_fn=default_collate)
    test_loader = DataLoader(test_set, batch_size=64, sampler=DefaultSampler(test_set, shuffle=False),
                             collate_fn=default_collate)

    model = MLP()
    epochs = 8
    max_iters = epochs * len(train_loader)
    optim_wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.2, momentum=0.9), accumulative_counts=2)
    optim_wrapper.initialize_count_status(model, 0, max_iters)
    schedulers = [
        LinearLR(optim_wrapper, start_factor=0.1, begin=0, end=20, by_epoch=False),
        CosineAnnealingLR(optim_wrapper, T_max=max_iters - 20, begin=20, end=max_iters, by_epoch=False),
    ]

    model.train()
    for epoch in range(epochs):
        sampler.set_epoch(epoch)
        for batch in train_loader:
            log_vars = model.train_step(batch, optim_wrapper)
            for scheduler in schedulers:
                scheduler.step()
    assert optim_wrapper.inner_count == max_iters
    assert torch.isfinite(log_vars["loss"])
    assert optim_wrapper.get_lr()["lr"][0] < 0.01  # annealed

    model.eval()
    evaluator = Evaluator(Accuracy())
    with torch.no_grad():
        for batch in test_loader:
            evaluator.process(model.test_step(batch), batch)
    metrics = evaluator.evaluate(len(test_set))
    assert metrics["digits/accuracy"] > 0.90
