"""Where data lives and where the communication backend needs it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch
from torch.distributed import ProcessGroup

from ._errors import DistTypeError, DistValueError
from ._info import get_backend

# Device type each backend communicates through; everything else uses the CPU.
_BACKEND_DEVICE = {"nccl": "cuda", "smddp": "cuda", "hccl": "npu", "cncl": "mlu", "mccl": "musa"}


def get_data_device(data: Any) -> torch.device | None:
    """The device of a tensor, or the common device of the tensors in a (nested) sequence or mapping.

    Returns ``None`` for an empty container.

    Raises:
        DistTypeError: A leaf is not a tensor.
        DistValueError: The tensors are on different devices.

    Examples:
        >>> get_data_device({"a": torch.zeros(1), "b": [torch.ones(2)]})
        device(type='cpu')
    """
    if isinstance(data, torch.Tensor):
        return data.device
    if isinstance(data, Mapping):
        items: Sequence[Any] = list(data.values())
    elif isinstance(data, Sequence) and not isinstance(data, (str, bytes)):
        items = data
    else:
        raise DistTypeError(
            f"get_data_device expects a tensor or a sequence/mapping of tensors, got {type(data).__name__}"
        )
    devices = {d for d in (get_data_device(item) for item in items) if d is not None}
    if len(devices) > 1:
        raise DistValueError(f"all tensors must be on one device, found {sorted(map(str, devices))}")
    return devices.pop() if devices else None


def get_comm_device(group: ProcessGroup | None = None) -> torch.device:
    """The device tensors must be on to be communicated by ``group``'s backend.

    ``cpu`` for gloo or when not distributed; the current CUDA device for nccl. No CUDA call is made
    unless the backend needs CUDA.
    """
    backend = get_backend(group)
    device_type = _BACKEND_DEVICE.get(backend or "", "cpu")
    if device_type == "cuda":
        return torch.device("cuda", torch.cuda.current_device())
    if device_type != "cpu":
        module = getattr(torch, device_type)
        return torch.device(device_type, module.current_device())
    return torch.device("cpu")


def cast_data_device(data: Any, device: torch.device | str, out: Any = None) -> Any:
    """Move a tensor or the tensors of a (nested) sequence or mapping to ``device``.

    Args:
        data: A tensor, or a list/tuple/dict of them (nested).
        device: Target device.
        out: Optional tensors with the same structure as ``data``; when given, the moved data is
            copied into them in place and ``out`` is returned.

    Returns:
        The moved data (same structure as ``data``), or ``out``.

    Raises:
        DistTypeError: ``data`` holds something other than tensors, or ``out`` does not match it.

    Examples:
        >>> cast_data_device([torch.zeros(1)], "cpu")[0].device
        device(type='cpu')
    """
    if out is not None and type(out) is not type(data) and not (
        isinstance(out, torch.Tensor) and isinstance(data, torch.Tensor)
    ):
        raise DistTypeError(f"out must have the same type as data: {type(out).__name__} != {type(data).__name__}")
    if isinstance(data, torch.Tensor):
        moved = data.to(device)
        if out is None:
            return moved
        out.copy_(moved)
        return out
    if isinstance(data, np.ndarray):
        raise DistTypeError("cast_data_device expects tensors; convert numpy arrays with torch.from_numpy first")
    if isinstance(data, Mapping):
        if out is None:
            return type(data)({k: cast_data_device(v, device) for k, v in data.items()})  # type: ignore[call-arg]
        if set(out) != set(data):
            raise DistTypeError("out must have the same keys as data")
        for k, v in data.items():
            cast_data_device(v, device, out[k])
        return out
    if isinstance(data, (list, tuple)):
        if out is None:
            moved_items = [cast_data_device(v, device) for v in data]
            if isinstance(data, list):
                return moved_items
            if hasattr(data, "_fields"):  # namedtuple
                return type(data)(*moved_items)
            return type(data)(moved_items)
        if len(out) != len(data):
            raise DistTypeError(f"out has {len(out)} items but data has {len(data)}")
        for v, o in zip(data, out):
            cast_data_device(v, device, o)
        return out
    raise DistTypeError(
        f"cast_data_device expects a tensor or a list/tuple/dict of tensors, got {type(data).__name__}"
    )
