"""Distributed primitives that work unchanged on one process or many, on CPU (gloo) or GPU (nccl).

Every query and collective also works without a process group, behaving as a world of size 1.
"""

from __future__ import annotations

from ._collect import collect_results, collect_results_cpu, collect_results_gpu
from ._collectives import (
    all_gather,
    all_gather_object,
    all_reduce,
    all_reduce_dict,
    all_reduce_params,
    broadcast,
    broadcast_object_list,
    gather,
    gather_object,
    sync_random_seed,
)
from ._device import cast_data_device, get_comm_device, get_data_device
from ._errors import DistEnvError, DistTypeError, DistValueError, WorkerFailedError, WorkerTimeoutError
from ._info import (
    barrier,
    get_backend,
    get_default_group,
    get_dist_info,
    get_local_group,
    get_local_rank,
    get_local_size,
    get_rank,
    get_world_size,
    is_distributed,
    is_main_process,
    master_only,
)
from ._launch import destroy_dist, infer_launcher, init_dist, init_local_group
from .version import __version__

__all__ = [
    "DistEnvError",
    "DistTypeError",
    "DistValueError",
    "WorkerFailedError",
    "WorkerTimeoutError",
    "__version__",
    "all_gather",
    "all_gather_object",
    "all_reduce",
    "all_reduce_dict",
    "all_reduce_params",
    "barrier",
    "broadcast",
    "broadcast_object_list",
    "cast_data_device",
    "collect_results",
    "collect_results_cpu",
    "collect_results_gpu",
    "destroy_dist",
    "gather",
    "gather_object",
    "get_backend",
    "get_comm_device",
    "get_data_device",
    "get_default_group",
    "get_dist_info",
    "get_local_group",
    "get_local_rank",
    "get_local_size",
    "get_rank",
    "get_world_size",
    "infer_launcher",
    "init_dist",
    "init_local_group",
    "is_distributed",
    "is_main_process",
    "master_only",
    "sync_random_seed",
]
