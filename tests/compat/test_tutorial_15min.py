"""MMEngine's "15 minutes to get started" tutorial, written against ``mmengine`` only, runs on mme.

The tutorial's pattern as it writes it: a ``BaseModel`` whose ``forward(imgs, labels, mode)``
returns ``{'loss': ...}`` or ``(scores, labels)``, a ``BaseMetric`` named ``Accuracy``, and a
``Runner`` given classes (not names) as ``type``: ``optim_wrapper=dict(optimizer=dict(type=SGD,
lr=0.001, momentum=0.9))``, ``val_evaluator=dict(type=Accuracy)``. Two changes keep it fast and
offline: a small CNN instead of torchvision's ResNet-50, and random CIFAR-shaped tensors (3x32x32,
10 classes) instead of downloading CIFAR-10.
"""

from __future__ import annotations

import importlib.util
import json

import pytest

if importlib.util.find_spec("_mme_compat") is None:
    pytest.skip("mme-compat is not installed here", allow_module_level=True)

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from mmengine.evaluator import BaseMetric  # noqa: E402
from mmengine.model import BaseModel  # noqa: E402
from mmengine.runner import Runner  # noqa: E402
from torch.optim import SGD  # noqa: E402
from torch.utils.data import DataLoader, TensorDataset  # noqa: E402

pytestmark = [pytest.mark.integration]


class MMSmallCNN(BaseModel):
    """The tutorial's MMResNet50, with a small CNN in place of ``torchvision.models.resnet50()``."""

    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
            nn.Flatten(), nn.Linear(16, 10),
        )

    def forward(self, imgs, labels, mode):
        x = self.net(imgs)
        if mode == "loss":
            return {"loss": F.cross_entropy(x, labels)}
        elif mode == "predict":
            return x, labels


class Accuracy(BaseMetric):
    def process(self, data_batch, data_samples):
        score, gt = data_samples
        self.results.append({
            "batch_size": len(gt),
            "correct": (score.argmax(dim=1) == gt).sum().cpu(),
        })

    def compute_metrics(self, results):
        total_correct = sum(item["correct"] for item in results)
        total_size = sum(item["batch_size"] for item in results)
        return dict(accuracy=100 * total_correct / total_size)


def cifar_like(n: int, seed: int) -> TensorDataset:
    generator = torch.Generator().manual_seed(seed)
    return TensorDataset(torch.randn(n, 3, 32, 32, generator=generator), torch.randint(0, 10, (n,), generator=generator))


def test_the_15_minutes_tutorial_trains_and_validates(tmp_path):
    train_dataloader = DataLoader(batch_size=32, shuffle=True, dataset=cifar_like(128, 0))
    val_dataloader = DataLoader(batch_size=32, shuffle=False, dataset=cifar_like(64, 1))

    runner = Runner(
        model=MMSmallCNN(),
        work_dir=str(tmp_path / "work_dir"),
        train_dataloader=train_dataloader,
        optim_wrapper=dict(optimizer=dict(type=SGD, lr=0.001, momentum=0.9)),
        train_cfg=dict(by_epoch=True, max_epochs=2, val_interval=1),
        val_dataloader=val_dataloader,
        val_cfg=dict(),
        val_evaluator=dict(type=Accuracy),
    )
    model = runner.train()

    assert isinstance(model, MMSmallCNN)
    assert runner.epoch == 2 and runner.iter == 8  # 128 images, batch 32, 2 epochs
    assert isinstance(runner.optim_wrapper.optimizer, SGD)
    assert runner.optim_wrapper.optimizer.defaults["lr"] == 0.001
    assert runner.optim_wrapper.optimizer.defaults["momentum"] == 0.9
    work = tmp_path / "work_dir"
    assert (work / "epoch_1.pth").is_file() and (work / "epoch_2.pth").is_file()
    run = next(p for p in work.iterdir() if p.is_dir())
    records = [json.loads(x) for x in (run / "vis_data" / "scalars.json").read_text().splitlines()]
    accuracy = [r["accuracy"] for r in records if "accuracy" in r]  # validated after each epoch
    assert len(accuracy) == 2 and all(0.0 <= a <= 100.0 for a in accuracy)
    assert all(torch.isfinite(torch.tensor(r["loss"])) for r in records if "loss" in r)
    log = (run / f"{run.name}.log").read_text()
    assert "Epoch(train) [2][4/4]" in log and "Epoch(val) [2][2/2]" in log and "accuracy:" in log
    # the metric result reached the message hub as the runner's val loop reports it
    assert runner.message_hub.get_scalar("val/accuracy").current() == accuracy[-1]
