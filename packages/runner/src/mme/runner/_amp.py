"""autocast: ``torch.autocast`` with the device type and a low-precision dtype chosen for you."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch
from mme.device import get_device

from ._errors import RunnerConfigError

__all__ = ["autocast"]

# the dtype autocast uses on a device type when none is given
_DEFAULT_DTYPES = {"cpu": torch.bfloat16, "cuda": torch.float16, "mps": torch.float16, "npu": torch.float16,
                   "mlu": torch.float16, "xpu": torch.bfloat16}
# the dtypes torch's autocast supports on a device type (others are left to torch to check)
_SUPPORTED_DTYPES = {"cpu": (torch.bfloat16, torch.float16), "cuda": (torch.float16, torch.bfloat16),
                     "mps": (torch.float16, torch.bfloat16)}


@contextmanager
def autocast(
    device_type: str | None = None,
    dtype: torch.dtype | None = None,
    enabled: bool = True,
    cache_enabled: bool | None = None,
) -> Iterator[None]:
    """Run the block under ``torch.autocast`` (mixed precision), as MMEngine's ``autocast``.

    Inside, eligible ops (matmul, convolutions, ...) run in ``dtype`` and others stay in float32.
    With ``enabled=False`` autocast is off inside the block, even within an enclosing autocast.
    Also usable as a decorator.

    Args:
        device_type: ``'cpu'``, ``'cuda'``, ...; by default :func:`mme.device.get_device`.
        dtype: The low-precision dtype; by default ``torch.bfloat16`` on CPU and
            ``torch.float16`` on CUDA (and other accelerators).
        enabled: Whether autocast is on in the block.
        cache_enabled: Whether autocast caches weight casts; torch's default when None.

    Raises:
        RunnerConfigError: ``dtype`` is not supported by autocast on ``device_type`` (for example
            ``torch.float64``, or bfloat16 on a GPU without bfloat16 support).

    Examples:
        >>> a = torch.ones(2, 2)
        >>> with autocast(device_type='cpu'):
        ...     (a @ a).dtype
        torch.bfloat16
        >>> with autocast(device_type='cpu', enabled=False):
        ...     (a @ a).dtype
        torch.float32
    """
    if device_type is None:
        device_type = get_device()
    if not isinstance(device_type, str):
        raise TypeError(f"autocast device_type must be a str such as 'cuda' or 'cpu', but got {device_type!r}")
    if dtype is None:
        dtype = _DEFAULT_DTYPES.get(device_type, torch.float16)
    elif not isinstance(dtype, torch.dtype):
        raise TypeError(f"autocast dtype must be a torch.dtype such as torch.float16, but got {dtype!r}")
    supported = _SUPPORTED_DTYPES.get(device_type)
    if enabled and supported is not None and dtype not in supported:
        names = " or ".join(str(d) for d in supported)
        raise RunnerConfigError(f"autocast on {device_type!r} supports {names}, but got dtype={dtype}")
    if enabled and device_type == "cuda" and dtype == torch.bfloat16 and not torch.cuda.is_bf16_supported():
        raise RunnerConfigError("autocast dtype=torch.bfloat16 is not supported by this CUDA device; use torch.float16")
    with torch.autocast(device_type=device_type, dtype=dtype, enabled=enabled, cache_enabled=cache_enabled):
        yield
