"""Queries about the distributed environment that also work without a process group."""

from __future__ import annotations

import functools
import os
import weakref
from collections.abc import Callable
from typing import Any, TypeVar

import torch.distributed as torch_dist
from torch.distributed import ProcessGroup

_F = TypeVar("_F", bound=Callable[..., Any])

# (default group, group of the processes on this node), set by ``init_dist``; stale once the
# default group it was made with is destroyed. Held weakly: a strong reference would keep gloo's
# threads alive past ``destroy_process_group`` until interpreter shutdown, which aborts the process.
_LOCAL: tuple[weakref.ref[ProcessGroup], weakref.ref[ProcessGroup]] | None = None


def is_distributed() -> bool:
    """Whether a default process group exists (torch.distributed is available and initialised)."""
    return torch_dist.is_available() and torch_dist.is_initialized()


def get_default_group() -> ProcessGroup | None:
    """The default (world) process group, or ``None`` when not distributed."""
    return torch_dist.distributed_c10d._get_default_group() if is_distributed() else None


def get_local_group() -> ProcessGroup | None:
    """The process group of the processes on this node, or ``None`` when not distributed.

    ``init_dist`` creates it; if the process group was created some other way, the default group
    is returned when every process is on this node.
    """
    if not is_distributed():
        return None
    local = _local_group()
    if local is not None:
        return local
    if get_local_size() == get_world_size():
        return get_default_group()
    return None


def _set_local_group(group: ProcessGroup) -> None:
    global _LOCAL
    _LOCAL = (weakref.ref(torch_dist.distributed_c10d._get_default_group()), weakref.ref(group))


def _local_group() -> ProcessGroup | None:
    """The local group made by ``init_dist`` for the current default group, if any."""
    if _LOCAL is None or not is_distributed() or _LOCAL[0]() is not torch_dist.distributed_c10d._get_default_group():
        return None
    return _LOCAL[1]()


def get_backend(group: ProcessGroup | None = None) -> str | None:
    """Name of the communication backend (``'gloo'``, ``'nccl'``, ...), or ``None`` when not distributed."""
    if not is_distributed():
        return None
    return str(torch_dist.get_backend(group))


def get_world_size(group: ProcessGroup | None = None) -> int:
    """Number of processes in ``group`` (default: all of them); 1 when not distributed."""
    if not is_distributed():
        return 1
    return torch_dist.get_world_size(group)


def get_rank(group: ProcessGroup | None = None) -> int:
    """Rank of this process in ``group`` (default: the world); 0 when not distributed."""
    if not is_distributed():
        return 0
    return torch_dist.get_rank(group)


def get_dist_info(group: ProcessGroup | None = None) -> tuple[int, int]:
    """``(rank, world_size)`` of this process in ``group``; ``(0, 1)`` when not distributed."""
    return get_rank(group), get_world_size(group)


def get_local_size() -> int:
    """Number of processes on this node; 1 when not distributed."""
    if not is_distributed():
        return 1
    local = _local_group()
    if local is not None:
        return torch_dist.get_world_size(local)
    return int(os.environ.get("LOCAL_WORLD_SIZE", get_world_size()))


def get_local_rank() -> int:
    """Rank of this process among the processes on this node; 0 when not distributed."""
    if not is_distributed():
        return 0
    local = _local_group()
    if local is not None:
        return torch_dist.get_rank(local)
    return int(os.environ.get("LOCAL_RANK", get_rank()))


def is_main_process(group: ProcessGroup | None = None) -> bool:
    """Whether this process has rank 0 in ``group`` (always true when not distributed)."""
    return get_rank(group) == 0


def master_only(func: _F) -> _F:
    """Decorate ``func`` so that it runs only on the main process; other ranks get ``None``.

    Examples:
        >>> @master_only
        ... def save():
        ...     return "saved"
        >>> save()
        'saved'
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if is_main_process():
            return func(*args, **kwargs)
        return None

    return wrapper  # type: ignore[return-value]


def barrier(group: ProcessGroup | None = None) -> None:
    """Wait until every process in ``group`` reaches this call; a no-op when not distributed.

    A rank that never arrives makes the others raise once the process group's timeout expires.
    """
    if is_distributed():
        torch_dist.barrier(group)
