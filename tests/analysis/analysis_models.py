"""Small models for the analysis tests, in plain torch: shared with tools/record_analysis_oracle.py,
which records what MMEngine's analysis says of each (tests/analysis/mmengine_oracle.json)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class BasicBlock(nn.Module):
    """A ResNet basic block with a projection shortcut."""

    def __init__(self, cin: int, cout: int, stride: int = 1) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + self.downsample(x))


class TinyResNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, 2, 1, bias=False), nn.BatchNorm2d(8), nn.ReLU())
        self.layer1 = BasicBlock(8, 16, stride=2)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(16, 10)

    def forward(self, x):
        return self.fc(torch.flatten(self.pool(self.layer1(self.stem(x))), 1))


class Products(nn.Module):
    """matmul, mm, bmm and einsum on the inputs, plus a shared Linear called twice."""

    def __init__(self) -> None:
        super().__init__()
        self.proj = nn.Linear(6, 6)
        self.again = self.proj
        self.unused = nn.Linear(2, 2)

    def forward(self, x, y):
        a = self.again(self.proj(x))
        out = torch.matmul(a, y).sum() + torch.bmm(a, y).sum() + torch.mm(a[0], y[0]).sum()
        out = out + torch.einsum("bij,bjk->bik", a, y).sum() + torch.einsum("ij,kj->ik", a[0], a[0]).sum()
        return out


class Norms(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.up = nn.Upsample(scale_factor=2)
        self.deconv = nn.ConvTranspose2d(3, 2, 3, stride=2)
        self.gn = nn.GroupNorm(1, 2)
        self.inorm = nn.InstanceNorm2d(2)
        self.ln = nn.LayerNorm(9, elementwise_affine=False)
        self.idt = nn.Identity()
        self.heads = nn.ModuleList([nn.Linear(9, 4)])

    def forward(self, x):
        h = self.inorm(self.gn(self.up(self.deconv(self.idt(x)))))
        h = self.ln(F.interpolate(h, scale_factor=0.5, mode="bilinear", align_corners=False).repeat(1, 1, 1, 1) * 2)
        return self.heads[0](h)


def build(name: str) -> tuple[nn.Module, tuple]:
    """A fresh model and its inputs, by name."""
    torch.manual_seed(0)
    if name == "linear":
        return nn.Linear(10, 5), (torch.randn(2, 3, 10),)
    if name == "conv_groups_bias":
        return nn.Conv2d(4, 6, 3, stride=2, padding=1, groups=2), (torch.randn(2, 4, 9, 9),)
    if name == "batchnorm_train":
        return nn.BatchNorm2d(3), (torch.randn(2, 3, 4, 4),)
    if name == "batchnorm_eval":
        return nn.BatchNorm2d(3, affine=False).eval(), (torch.randn(2, 3, 4, 4),)
    if name == "tiny_resnet":
        return TinyResNet(), (torch.randn(2, 3, 16, 16),)
    if name == "products":
        return Products(), (torch.randn(2, 5, 6), torch.randn(2, 6, 4))
    if name == "norms":
        return Norms(), (torch.randn(1, 3, 4, 4),)
    raise KeyError(name)


NAMES = ["linear", "conv_groups_bias", "batchnorm_train", "batchnorm_eval", "tiny_resnet", "products", "norms"]
