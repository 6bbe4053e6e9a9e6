"""Deep-learning helpers that need torch: environment report, checkpoint download, norm checks,
image tensors, timing, multi-processing setup (MMEngine's ``mmengine.utils.dl_utils``).

Part of the mme-dist wheel. Torch's private base classes (``_BatchNorm``, ``_ConvNd``, ...) are in
the public submodule :mod:`mme.dl_utils.parrots_wrapper`.
"""

from __future__ import annotations

from mme.dist.version import __version__

from ._collect_env import collect_env, mmcv_full_available
from ._errors import DLUtilsTypeError, DLUtilsValueError
from ._hub import load_url
from ._image import tensor2imgs
from ._norm import has_batch_norm, is_norm
from ._setup_env import set_multi_processing
from ._time_counter import TimeCounter
from ._torch_ops import is_jit_tracing, torch_meshgrid
from .parrots_wrapper import TORCH_VERSION

__all__ = [
    "DLUtilsTypeError",
    "DLUtilsValueError",
    "TORCH_VERSION",
    "TimeCounter",
    "__version__",
    "collect_env",
    "has_batch_norm",
    "is_jit_tracing",
    "is_norm",
    "load_url",
    "mmcv_full_available",
    "set_multi_processing",
    "tensor2imgs",
    "torch_meshgrid",
]
