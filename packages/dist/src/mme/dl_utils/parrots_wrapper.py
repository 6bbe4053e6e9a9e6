"""Torch's private base classes and build helpers under the names MMEngine's ``parrots_wrapper`` gives them.

Downstream code imports norm, conv and pooling base classes from here to test layer types
(``isinstance(m, _BatchNorm)``). mme runs on PyTorch only, so every name is PyTorch's own class
(MMEngine switches to SenseTime's parrots when that is the installed "torch"). ``SyncBatchNorm``
is ``torch.nn.SyncBatchNorm`` itself, so it also matches layers built by torch.

``CUDA_HOME``, ``BuildExtension``, ``CppExtension`` and ``CUDAExtension`` come from
``torch.utils.cpp_extension``, which needs setuptools: they are loaded on first access, so
importing this module stays cheap and works without setuptools.

Examples:
    >>> import torch
    >>> isinstance(torch.nn.BatchNorm2d(3), _BatchNorm), isinstance(torch.nn.InstanceNorm1d(3), _InstanceNorm)
    (True, True)
    >>> isinstance(torch.nn.Conv2d(1, 1, 1), _ConvNd), issubclass(torch.nn.MaxPool2d, _MaxPoolNd)
    (True, True)
"""

from __future__ import annotations

from typing import Any

import torch
from torch.nn.modules.batchnorm import _BatchNorm
from torch.nn.modules.conv import _ConvNd, _ConvTransposeMixin
from torch.nn.modules.instancenorm import _InstanceNorm
from torch.nn.modules.pooling import _AdaptiveAvgPoolNd, _AdaptiveMaxPoolNd, _AvgPoolNd, _MaxPoolNd
from torch.utils.data import DataLoader

#: The installed torch version string, e.g. ``"2.4.1+cu121"``; compare with ``digit_version``.
TORCH_VERSION: str = torch.__version__

PoolDataLoader = DataLoader
SyncBatchNorm = torch.nn.SyncBatchNorm
SyncBatchNorm_ = torch.nn.SyncBatchNorm

_CPP_EXTENSION_NAMES = ("BuildExtension", "CppExtension", "CUDAExtension")


def is_rocm_pytorch() -> bool:
    """Whether torch is a ROCm (HIP) build with a ROCm installation it can find."""
    if torch.version.hip is None:
        return False
    try:
        from torch.utils.cpp_extension import ROCM_HOME
    except ImportError:  # setuptools is missing: cpp_extension cannot be imported
        return False
    return ROCM_HOME is not None


def _get_cuda_home() -> str | None:
    try:
        from torch.utils import cpp_extension
    except ImportError:
        return None
    return cpp_extension.ROCM_HOME if is_rocm_pytorch() else cpp_extension.CUDA_HOME


def get_build_config() -> str:
    """The build configuration torch was compiled with (``torch.__config__.show()``)."""
    return torch.__config__.show()


def __getattr__(name: str) -> Any:
    if name == "CUDA_HOME":
        return _get_cuda_home()
    if name in _CPP_EXTENSION_NAMES:
        from torch.utils import cpp_extension

        return getattr(cpp_extension, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), "CUDA_HOME", *_CPP_EXTENSION_NAMES])


__all__ = [
    "CUDA_HOME",
    "BuildExtension",
    "CUDAExtension",
    "CppExtension",
    "DataLoader",
    "PoolDataLoader",
    "SyncBatchNorm",
    "SyncBatchNorm_",
    "TORCH_VERSION",
    "_AdaptiveAvgPoolNd",
    "_AdaptiveMaxPoolNd",
    "_AvgPoolNd",
    "_BatchNorm",
    "_ConvNd",
    "_ConvTransposeMixin",
    "_InstanceNorm",
    "_MaxPoolNd",
    "get_build_config",
    "is_rocm_pytorch",
]
