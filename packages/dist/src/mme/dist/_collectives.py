"""Collectives that move tensors to the backend's device and back, and do nothing on one process."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import torch
import torch.distributed as torch_dist
from torch.distributed import ProcessGroup

from ._device import cast_data_device, get_comm_device
from ._errors import DistTypeError, DistValueError
from ._info import get_rank, get_world_size, is_distributed

_OPS = {
    "sum": torch_dist.ReduceOp.SUM,
    "mean": torch_dist.ReduceOp.SUM,  # summed, then divided by the world size
    "product": torch_dist.ReduceOp.PRODUCT,
    "min": torch_dist.ReduceOp.MIN,
    "max": torch_dist.ReduceOp.MAX,
    "band": torch_dist.ReduceOp.BAND,
    "bor": torch_dist.ReduceOp.BOR,
    "bxor": torch_dist.ReduceOp.BXOR,
}


def _reduce_op(op: str) -> Any:
    try:
        return _OPS[op.lower()]
    except (KeyError, AttributeError) as exc:
        raise DistValueError(f"unknown reduce op {op!r}; expected one of {', '.join(_OPS)}") from exc


def _check_tensor(data: Any, func: str) -> None:
    if not isinstance(data, torch.Tensor):
        raise DistTypeError(f"{func} expects a torch.Tensor, got {type(data).__name__}")


def _single_process(group: ProcessGroup | None) -> bool:
    return not is_distributed() or get_world_size(group) == 1


def all_reduce(data: torch.Tensor, op: str = "sum", group: ProcessGroup | None = None) -> None:
    """Reduce ``data`` across processes in place.

    Args:
        data: Tensor to reduce; it stays on its device (it is moved to the backend's device and back).
        op: ``'sum'``, ``'mean'``, ``'product'``, ``'min'``, ``'max'``, ``'band'``, ``'bor'`` or ``'bxor'``.
        group: Process group; the world by default.

    Examples:
        >>> t = torch.tensor([1.0, 2.0])
        >>> all_reduce(t, op="mean")  # one process: unchanged
        >>> t
        tensor([1., 2.])
    """
    _check_tensor(data, "all_reduce")
    reduce_op = _reduce_op(op)
    mean = op.lower() == "mean"
    if mean and not (data.is_floating_point() or data.is_complex()):
        raise DistTypeError(f"all_reduce(op='mean') needs a floating point tensor, got {data.dtype}")
    if _single_process(group):
        return
    on_device = cast_data_device(data, get_comm_device(group))
    torch_dist.all_reduce(on_device, reduce_op, group)
    if mean:
        on_device.div_(get_world_size(group))
    cast_data_device(on_device, data.device, out=data)


def all_gather(data: torch.Tensor, group: ProcessGroup | None = None) -> list[torch.Tensor]:
    """Gather ``data`` (same shape on every process) from all processes; ``[data]`` on one process."""
    _check_tensor(data, "all_gather")
    if _single_process(group):
        return [data]
    on_device = cast_data_device(data, get_comm_device(group)).contiguous()
    gathered = [torch.empty_like(on_device) for _ in range(get_world_size(group))]
    torch_dist.all_gather(gathered, on_device, group)
    return cast_data_device(gathered, data.device)


def gather(data: torch.Tensor, dst: int = 0, group: ProcessGroup | None = None) -> list[torch.Tensor]:
    """Gather ``data`` onto rank ``dst``, which gets one tensor per process; other ranks get ``[]``."""
    _check_tensor(data, "gather")
    if _single_process(group):
        return [data]
    on_device = cast_data_device(data, get_comm_device(group)).contiguous()
    is_dst = get_rank(group) == dst
    gathered = [torch.empty_like(on_device) for _ in range(get_world_size(group))] if is_dst else None
    global_dst = dst if group is None else torch_dist.get_global_rank(group, dst)
    torch_dist.gather(on_device, gathered, dst=global_dst, group=group)
    return cast_data_device(gathered, data.device) if gathered is not None else []


def broadcast(data: torch.Tensor, src: int = 0, group: ProcessGroup | None = None) -> None:
    """Overwrite ``data`` in place on every process with rank ``src``'s value."""
    _check_tensor(data, "broadcast")
    if _single_process(group):
        return
    on_device = cast_data_device(data, get_comm_device(group)).contiguous()
    global_src = src if group is None else torch_dist.get_global_rank(group, src)
    torch_dist.broadcast(on_device, global_src, group)
    if get_rank(group) != src:
        cast_data_device(on_device, data.device, out=data)


def sync_random_seed(group: ProcessGroup | None = None) -> int:
    """A random seed drawn on rank 0 and shared with every process (so samplers shuffle alike)."""
    seed = int(np.random.randint(2**31))
    if _single_process(group):
        return seed
    holder = [seed]
    broadcast_object_list(holder, src=0, group=group)
    return int(holder[0])


def all_gather_object(data: Any, group: ProcessGroup | None = None) -> list[Any]:
    """Gather any picklable object from every process; ``[data]`` on one process."""
    if _single_process(group):
        return [data]
    gathered: list[Any] = [None] * get_world_size(group)
    torch_dist.all_gather_object(gathered, data, group)
    return gathered


def gather_object(data: Any, dst: int = 0, group: ProcessGroup | None = None) -> list[Any] | None:
    """Gather any picklable object onto rank ``dst`` (a list by rank); other ranks get ``None``."""
    if _single_process(group):
        return [data]
    is_dst = get_rank(group) == dst
    gathered: list[Any] | None = [None] * get_world_size(group) if is_dst else None
    global_dst = dst if group is None else torch_dist.get_global_rank(group, dst)
    torch_dist.gather_object(data, gathered, dst=global_dst, group=group)
    return gathered


def broadcast_object_list(data: list[Any], src: int = 0, group: ProcessGroup | None = None) -> None:
    """Overwrite the items of ``data`` in place on every process with rank ``src``'s items."""
    if not isinstance(data, list):
        raise DistTypeError(f"broadcast_object_list expects a list, got {type(data).__name__}")
    if _single_process(group):
        return
    global_src = src if group is None else torch_dist.get_global_rank(group, src)
    torch_dist.broadcast_object_list(data, src=global_src, group=group)


def _flat_reduce(tensors: list[torch.Tensor], op: str, group: ProcessGroup | None) -> None:
    """All-reduce tensors in place, one flat buffer per dtype."""
    by_dtype: OrderedDict[torch.dtype, list[torch.Tensor]] = OrderedDict()
    for t in tensors:
        by_dtype.setdefault(t.dtype, []).append(t)
    for same in by_dtype.values():
        flat = torch.cat([t.detach().reshape(-1).to(same[0].device) for t in same])
        all_reduce(flat, op=op, group=group)
        offset = 0
        for t in same:
            n = t.numel()
            with torch.no_grad():
                t.copy_(flat[offset : offset + n].view_as(t))
            offset += n


def all_reduce_dict(data: dict[str, torch.Tensor], op: str = "sum", group: ProcessGroup | None = None) -> None:
    """All-reduce every tensor of ``data`` in place (the keys must be the same on every process).

    The tensors are flattened into one buffer per dtype, so the whole dict costs one call per dtype.
    """
    if not isinstance(data, Mapping):
        raise DistTypeError(f"all_reduce_dict expects a dict of tensors, got {type(data).__name__}")
    for key, value in data.items():
        _check_tensor(value, f"all_reduce_dict (key {key!r})")
    _reduce_op(op)
    if _single_process(group):
        return
    keys = sorted(data)
    if all_gather_object(keys, group) != [keys] * get_world_size(group):
        raise DistValueError("all_reduce_dict needs the same keys on every process")
    _flat_reduce([data[k] for k in keys], op, group)


def all_reduce_params(
    params: Iterable[torch.Tensor],
    coalesce: bool = True,
    bucket_size_mb: int = -1,
    op: str = "sum",
    group: ProcessGroup | None = None,
) -> None:
    """All-reduce parameters or buffers (e.g. ``model.buffers()``) in place.

    Args:
        params: Tensors or ``nn.Parameter``s.
        coalesce: Flatten the tensors into buckets to reduce them with few calls.
        bucket_size_mb: Bucket size in MiB; ``-1`` puts everything of one dtype in one bucket.
        op: Reduce op, as for :func:`all_reduce`.
        group: Process group; the world by default.
    """
    tensors = [p.data if isinstance(p, torch.nn.Parameter) else p for p in params]
    for t in tensors:
        _check_tensor(t, "all_reduce_params")
    _reduce_op(op)
    if _single_process(group) or not tensors:
        return
    if not coalesce:
        for t in tensors:
            all_reduce(t, op=op, group=group)
        return
    if bucket_size_mb <= 0:
        _flat_reduce(tensors, op, group)
        return
    limit = bucket_size_mb * 1024 * 1024
    bucket: list[torch.Tensor] = []
    size = 0
    for t in tensors:
        bucket.append(t)
        size += t.numel() * t.element_size()
        if size >= limit:
            _flat_reduce(bucket, op, group)
            bucket, size = [], 0
    if bucket:
        _flat_reduce(bucket, op, group)
