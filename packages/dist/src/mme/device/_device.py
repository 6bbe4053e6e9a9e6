"""Which accelerator this process can use."""

from __future__ import annotations

import importlib.util
import logging

import torch

logger = logging.getLogger(__name__)


def is_cuda_available() -> bool:
    """Whether a CUDA device can be used (false on CPU-only builds of torch)."""
    return torch.cuda.is_available()


def is_mps_available() -> bool:
    """Whether Apple's Metal (MPS) backend can be used."""
    mps = getattr(torch.backends, "mps", None)
    return bool(mps is not None and mps.is_available())


def is_npu_available() -> bool:
    """Whether an Ascend NPU can be used (needs the ``torch_npu`` plugin; false without it)."""
    if importlib.util.find_spec("torch_npu") is None:
        return False
    try:
        import torch_npu  # noqa: F401  (registers torch.npu)
    except Exception:  # a broken plugin must not break device detection
        logger.debug("torch_npu is installed but could not be imported", exc_info=True)
        return False
    npu = getattr(torch, "npu", None)
    return bool(npu is not None and npu.is_available())


def is_mlu_available() -> bool:
    """Whether a Cambricon MLU can be used (false unless torch has been extended with ``torch.mlu``)."""
    mlu = getattr(torch, "mlu", None)
    return bool(mlu is not None and hasattr(mlu, "is_available") and mlu.is_available())


def is_musa_available() -> bool:
    """Whether a Moore Threads MUSA device can be used (needs the ``torch_musa`` plugin; false without it)."""
    if importlib.util.find_spec("torch_musa") is not None:
        try:
            import torch_musa  # noqa: F401  (registers torch.musa)
        except Exception:
            logger.debug("torch_musa is installed but could not be imported", exc_info=True)
            return False
    musa = getattr(torch, "musa", None)
    return bool(musa is not None and hasattr(musa, "is_available") and musa.is_available())


def is_dipu_available() -> bool:
    """Whether DeepLink's DIPU plugin (``torch_dipu``) is installed and importable."""
    if importlib.util.find_spec("torch_dipu") is None:
        return False
    try:
        import torch_dipu  # noqa: F401
    except Exception:
        logger.debug("torch_dipu is installed but could not be imported", exc_info=True)
        return False
    return True


def is_npu_support_full_precision() -> bool:
    """Whether the Ascend NPU here computes in full precision (SoC version 220 or later); false without an NPU."""
    if not is_npu_available():
        return False
    import torch_npu.npu.utils as npu_utils

    return npu_utils.get_soc_version() >= 220


def get_device() -> str:
    """Name of the best available device type: ``'cuda'``, ``'npu'``, ``'mlu'``, ``'musa'``, ``'mps'`` or ``'cpu'``.

    Examples:
        >>> get_device() in {"cuda", "npu", "mlu", "musa", "mps", "cpu"}
        True
    """
    if is_cuda_available():
        return "cuda"
    if is_npu_available():
        return "npu"
    if is_mlu_available():
        return "mlu"
    if is_musa_available():
        return "musa"
    if is_mps_available():
        return "mps"
    return "cpu"


def get_max_cuda_memory(device: torch.device | int | str | None = None) -> int:
    """Peak CUDA memory allocated since the last call, in MiB; 0 when CUDA is unavailable.

    The peak statistics are reset, so successive calls report the peak of each interval.

    Args:
        device: CUDA device to query; the current device by default.
    """
    if not is_cuda_available():
        return 0
    mem = torch.cuda.max_memory_allocated(device=device)
    torch.cuda.reset_peak_memory_stats(device=device)
    return int(mem // (1024 * 1024))


def get_max_musa_memory(device: torch.device | int | str | None = None) -> int:
    """Peak MUSA memory allocated since the last call, in MiB; 0 when MUSA is unavailable.

    The peak statistics are reset, so successive calls report the peak of each interval.
    """
    if not is_musa_available():
        return 0
    mem = torch.musa.max_memory_allocated(device=device)
    torch.musa.reset_peak_memory_stats(device=device)
    return int(mem // (1024 * 1024))


# MMEngine's import-time snapshot of the checks above (mmengine.device.utils)
IS_NPU_AVAILABLE = is_npu_available()
IS_MLU_AVAILABLE = is_mlu_available()
IS_MUSA_AVAILABLE = is_musa_available()
IS_DIPU_AVAILABLE = is_dipu_available()
DEVICE = get_device()
