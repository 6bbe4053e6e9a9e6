"""Which accelerator this process can use: ``get_device`` and the ``is_*_available`` checks.

Part of the mme-dist wheel.
"""

from __future__ import annotations

from mme.dist.version import __version__

from ._device import (
    DEVICE,
    IS_DIPU_AVAILABLE,
    IS_MLU_AVAILABLE,
    IS_MUSA_AVAILABLE,
    IS_NPU_AVAILABLE,
    get_device,
    get_max_cuda_memory,
    get_max_musa_memory,
    is_cuda_available,
    is_dipu_available,
    is_mlu_available,
    is_mps_available,
    is_musa_available,
    is_npu_available,
    is_npu_support_full_precision,
)

__all__ = [
    "DEVICE",
    "IS_DIPU_AVAILABLE",
    "IS_MLU_AVAILABLE",
    "IS_MUSA_AVAILABLE",
    "IS_NPU_AVAILABLE",
    "__version__",
    "get_device",
    "get_max_cuda_memory",
    "get_max_musa_memory",
    "is_cuda_available",
    "is_dipu_available",
    "is_mlu_available",
    "is_mps_available",
    "is_musa_available",
    "is_npu_available",
    "is_npu_support_full_precision",
]
