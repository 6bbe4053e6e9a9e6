"""The synthetic classifier that bench_strategies.py and gpu_check.py train: data with a learnable
rule (the label is the argmax of the first 10 features) and an MLP over it."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from torch.utils.data import Dataset

from mme.model import BaseModel


class ArgmaxData(Dataset):
    """``size`` random points of ``width`` features; items are ``dict(inputs, data_samples)``."""

    def __init__(self, size: int = 4096, width: int = 256) -> None:
        gen = torch.Generator().manual_seed(0)
        self.x = torch.randn(size, width, generator=gen)
        self.y = self.x[:, :10].argmax(1)

    def __len__(self) -> int:
        return len(self.y)

    def __getitem__(self, i: int) -> dict:
        return {"inputs": self.x[i], "data_samples": self.y[i]}


class MLP(BaseModel):
    """``depth`` Linear-GELU blocks of ``width`` features and a 10-class head."""

    def __init__(self, width: int = 256, depth: int = 4) -> None:
        super().__init__()
        self.body = nn.Sequential(*[m for _ in range(depth) for m in (nn.Linear(width, width), nn.GELU())])
        self.head = nn.Linear(width, 10)

    def forward(self, inputs: torch.Tensor, data_samples: Any = None, mode: str = "tensor") -> Any:
        logits = self.head(self.body(inputs))
        if mode == "loss":  # the loss in fp32 also when the forward runs in half precision
            return {"loss": nn.functional.cross_entropy(logits.float(), data_samples)}
        return logits
