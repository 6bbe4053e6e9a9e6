"""Which accelerator this process can use: ``get_device`` and the ``is_*_available`` checks.

Part of the mme-dist wheel.
"""

from __future__ import annotations

from mme.dist.version import __version__

from ._device import (
    get_device,
    get_max_cuda_memory,
    is_cuda_available,
    is_mlu_available,
    is_mps_available,
    is_npu_available,
)

__all__ = [
    "__version__",
    "get_device",
    "get_max_cuda_memory",
    "is_cuda_available",
    "is_mlu_available",
    "is_mps_available",
    "is_npu_available",
]
