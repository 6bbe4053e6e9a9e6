"""Components of the digits demo: dataset, CNN and accuracy metric, registered for configs.

The data is scikit-learn's bundled ``load_digits`` (1797 8x8 grey images, no download). The
config imports this module through ``custom_imports``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn
from torch.utils.data import Dataset

from mme.evaluator import BaseMetric
from mme.model import BaseModel
from mme.registry import DATASETS, METRICS, MODELS


@DATASETS.register_module()
class DigitsDataset(Dataset):
    """scikit-learn's digits split deterministically into train and val parts.

    Args:
        split: ``'train'`` or ``'val'``.
        val_ratio: Fraction of the images kept for validation.
        seed: Seed of the split.
    """

    def __init__(self, split: str = "train", val_ratio: float = 0.2, seed: int = 0) -> None:
        from sklearn.datasets import load_digits

        if split not in ("train", "val"):
            raise ValueError(f"split must be 'train' or 'val', got {split!r}")
        digits = load_digits()
        order = np.random.RandomState(seed).permutation(len(digits.target))
        n_val = int(len(order) * val_ratio)
        chosen = order[:n_val] if split == "val" else order[n_val:]
        self.images = torch.from_numpy(digits.images[chosen].astype(np.float32) / 16.0).unsqueeze(1)
        self.labels = [int(t) for t in digits.target[chosen]]

    @property
    def metainfo(self) -> dict:
        """Class names."""
        return {"classes": tuple(str(i) for i in range(10))}

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int) -> dict:
        return {"inputs": self.images[index], "data_samples": self.labels[index]}


@MODELS.register_module()
class DigitsCNN(BaseModel):
    """Two 3x3 convolutions, a max-pool and two linear layers: about 40k parameters."""

    def __init__(self, width: int = 16, data_preprocessor: dict | None = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor)
        self.features = nn.Sequential(
            nn.Conv2d(1, width, 3, padding=1), nn.ReLU(),
            nn.Conv2d(width, 2 * width, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(2 * width * 16, 64), nn.ReLU(), nn.Dropout(0.1),
                                  nn.Linear(64, 10))

    def forward(self, inputs: Any, data_samples: Any = None, mode: str = "tensor") -> Any:
        x = torch.stack(list(inputs)) if isinstance(inputs, (list, tuple)) else inputs
        logits = self.head(self.features(x))
        if mode == "loss":
            labels = torch.as_tensor(list(data_samples), device=logits.device)
            return {"loss": nn.functional.cross_entropy(logits, labels)}
        if mode == "predict":
            return [{"pred": int(p), "gt": int(g)} for p, g in zip(logits.argmax(1).tolist(), data_samples)]
        return logits


@METRICS.register_module()
class DigitsAccuracy(BaseMetric):
    """Top-1 accuracy in percent, reported as ``accuracy``."""

    def process(self, data_batch: Any, data_samples: Any) -> None:
        self.results.extend(float(s["pred"] == s["gt"]) for s in data_samples)

    def compute_metrics(self, results: list) -> dict:
        return {"accuracy": 100.0 * sum(results) / max(len(results), 1)}
