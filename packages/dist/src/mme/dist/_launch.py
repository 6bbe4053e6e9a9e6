"""Starting the default process group from a launcher's environment: ``init_dist``."""

from __future__ import annotations

import atexit
import datetime
import logging
import os
import re
import shutil
import subprocess
import weakref
from typing import Any

import torch
import torch.distributed as torch_dist

from ._errors import DistEnvError, DistValueError
from ._info import _set_local_group, is_distributed

logger = logging.getLogger(__name__)

LAUNCHERS = ("pytorch", "slurm", "mpi")
_INIT_BACKENDS = ("torch", "deepspeed", "colossalai")

# The rendezvous store of this process (kept across init/destroy: re-creating it would race the
# other ranks), how many default groups ``init_dist`` has made on it, and the group it made last.
_STORE: Any = None
_GENERATION = 0
_OWNED: Any = None
_ATEXIT_REGISTERED = False


def infer_launcher() -> str:
    """Guess how this process was launched from its environment.

    Returns:
        ``'pytorch'`` under torchrun (``WORLD_SIZE`` set), ``'slurm'`` under srun (``SLURM_NTASKS``),
        ``'mpi'`` under mpirun (``OMPI_COMM_WORLD_LOCAL_RANK``), otherwise ``'none'``.
    """
    if "WORLD_SIZE" in os.environ:
        return "pytorch"
    if "SLURM_NTASKS" in os.environ:
        return "slurm"
    if "OMPI_COMM_WORLD_LOCAL_RANK" in os.environ:
        return "mpi"
    return "none"


def _env_int(*names: str, default: int | None = None) -> int:
    for name in names:
        value = os.environ.get(name)
        if value is not None:
            try:
                return int(value)
            except ValueError as exc:
                raise DistEnvError(f"environment variable {name}={value!r} is not an integer") from exc
    if default is not None:
        return default
    raise DistEnvError(f"environment variable {' or '.join(names)} is not set; was the launcher used?")


def _default_backend() -> str:
    return "nccl" if torch.cuda.is_available() else "gloo"


def _resolve_backend(backend: str | None) -> str:
    if backend is None:
        return _default_backend()
    if backend == "nccl" and not torch.cuda.is_available():
        logger.warning("backend 'nccl' needs CUDA, which is not available; using 'gloo' instead")
        return "gloo"
    return backend


def _to_timedelta(timeout: Any) -> datetime.timedelta:
    if isinstance(timeout, datetime.timedelta):
        return timeout
    if isinstance(timeout, (int, float)) and not isinstance(timeout, bool) and timeout > 0:
        return datetime.timedelta(seconds=timeout)
    raise DistValueError(f"timeout must be a positive number of seconds or a timedelta, got {timeout!r}")


def init_dist(launcher: str, backend: str | None = None, init_backend: str = "torch", **kwargs: Any) -> None:
    """Create the default process group for a job started by ``launcher``.

    Args:
        launcher: ``'pytorch'`` (torchrun / ``torch.distributed.run``), ``'slurm'`` (srun) or ``'mpi'``
            (mpirun, Open MPI or MPICH environment).
        backend: Communication backend. Defaults to ``'nccl'`` when CUDA is available, else ``'gloo'``.
            ``'nccl'`` without CUDA falls back to ``'gloo'`` with a warning, so GPU configs run on CPU.
        init_backend: ``'torch'``, or ``'deepspeed'`` / ``'colossalai'`` to let those libraries create
            the process group.
        **kwargs: Passed to :func:`torch.distributed.init_process_group`. ``timeout`` may be seconds
            or a ``timedelta``: a rank that stops communicating makes the others raise after it.
            ``port`` (slurm only) sets the master port.

    Raises:
        DistValueError: Unknown launcher, init backend or timeout.
        DistEnvError: The launcher's environment variables are missing.
    """
    if launcher not in LAUNCHERS:
        raise DistValueError(f"invalid launcher {launcher!r}; expected one of {', '.join(LAUNCHERS)}")
    if init_backend not in _INIT_BACKENDS:
        raise DistValueError(f"invalid init_backend {init_backend!r}; expected one of {', '.join(_INIT_BACKENDS)}")
    if is_distributed():
        logger.warning("init_dist(%r) called but the default process group already exists; keeping it", launcher)
        return
    if kwargs.get("timeout") is not None:
        kwargs["timeout"] = _to_timedelta(kwargs["timeout"])
    else:
        kwargs.pop("timeout", None)
    backend = _resolve_backend(backend)
    if launcher == "pytorch":
        rank = _env_int("RANK")
        world_size = _env_int("WORLD_SIZE")
        local_rank = _env_int("LOCAL_RANK", default=0)
        local_size = _env_int("LOCAL_WORLD_SIZE", default=world_size)
    elif launcher == "slurm":
        rank, world_size, local_rank, local_size = _setup_slurm_env(kwargs.pop("port", None))
    else:
        rank, world_size, local_rank, local_size = _setup_mpi_env()
    kwargs.pop("port", None)
    if backend == "nccl":
        torch.cuda.set_device(local_rank % max(torch.cuda.device_count(), 1))
    logger.debug("init_dist: launcher=%s backend=%s rank=%d/%d", launcher, backend, rank, world_size)
    _init_process_group(init_backend, backend, rank, world_size, kwargs)
    _init_local_group(rank, world_size, local_size)
    global _OWNED, _ATEXIT_REGISTERED
    _OWNED = weakref.ref(torch_dist.distributed_c10d._get_default_group())
    if not _ATEXIT_REGISTERED:
        # a process group still alive at interpreter shutdown lets gloo's threads be destroyed
        # while joinable: "terminate called without an active exception" and SIGABRT
        atexit.register(_at_exit)
        _ATEXIT_REGISTERED = True


def _at_exit() -> None:
    global _STORE
    destroy_dist()
    _STORE = None


def destroy_dist() -> None:
    """Destroy the default process group if ``init_dist`` created it; otherwise do nothing.

    ``init_dist`` registers this to run at exit. Calling ``init_dist`` again afterwards creates a
    fresh group (all ranks must destroy and re-create in step, as with any collective).
    """
    global _OWNED
    owned = _OWNED() if _OWNED is not None else None
    _OWNED = None
    if owned is not None and is_distributed() and torch_dist.distributed_c10d._get_default_group() is owned:
        logger.debug("destroy_dist: destroying the default process group")
        del owned
        torch_dist.destroy_process_group()


def _generation_store(rank: int, world_size: int, timeout: datetime.timedelta | None) -> Any:
    """The env:// rendezvous store under a prefix of its own for each group this process makes.

    torch's own ``init_process_group`` after ``destroy_process_group`` reuses the keys of the
    previous group in the launcher's store, and gloo may then connect to a peer's old address.
    """
    global _STORE, _GENERATION
    if _STORE is None:
        extra = {} if timeout is None else {"timeout": timeout}
        _STORE, _, _ = next(torch_dist.rendezvous("env://", rank=rank, world_size=world_size, **extra))
    _GENERATION += 1
    return torch_dist.PrefixStore(f"mme_dist/{_GENERATION}/", _STORE)


def _init_process_group(init_backend: str, backend: str, rank: int, world_size: int, kwargs: dict[str, Any]) -> None:
    if init_backend == "torch":
        if "init_method" not in kwargs and "store" not in kwargs:
            kwargs["store"] = _generation_store(rank, world_size, kwargs.get("timeout"))
        torch_dist.init_process_group(backend=backend, rank=rank, world_size=world_size, **kwargs)
    elif init_backend == "deepspeed":
        try:
            import deepspeed
        except ImportError as exc:
            raise ImportError("init_backend='deepspeed' needs DeepSpeed: pip install deepspeed") from exc
        deepspeed.init_distributed(dist_backend=backend, **kwargs)
    else:
        try:
            import colossalai
        except ImportError as exc:
            raise ImportError("init_backend='colossalai' needs ColossalAI: pip install colossalai") from exc
        colossalai.launch_from_torch(backend=backend, **kwargs)


def _init_local_group(rank: int, world_size: int, local_size: int) -> None:
    """Create one group per node (nodes are assumed to run ``local_size`` processes each)."""
    if local_size >= world_size or local_size <= 0 or world_size % local_size:
        _set_local_group(torch_dist.distributed_c10d._get_default_group())
        return
    node_rank = rank // local_size
    for node in range(world_size // local_size):
        group = torch_dist.new_group(list(range(node * local_size, (node + 1) * local_size)))
        if node == node_rank:
            _set_local_group(group)


def init_local_group(node_rank: int, num_gpus_per_node: int) -> None:
    """Make the group of the processes on node ``node_rank`` this process's local group.

    Nodes are assumed to run ``num_gpus_per_node`` processes each, node ``n`` holding global ranks
    ``n * num_gpus_per_node`` to ``(n + 1) * num_gpus_per_node - 1``. Creating a group is
    collective: every process of the default group must call this with the same
    ``num_gpus_per_node`` (each passes its own node). ``get_local_group``, ``get_local_rank`` and
    ``get_local_size`` answer from this group afterwards.

    Raises:
        DistEnvError: No default process group has been initialized.
        DistValueError: The arguments do not describe the world (non-positive sizes, a world
            size not divisible by ``num_gpus_per_node``, or a node this process is not on).
    """
    if not is_distributed():
        raise DistEnvError("init_local_group needs an initialized default process group (call init_dist first)")
    if not isinstance(num_gpus_per_node, int) or num_gpus_per_node <= 0:
        raise DistValueError(f"init_local_group: num_gpus_per_node must be a positive int, got {num_gpus_per_node!r}")
    world_size, rank = torch_dist.get_world_size(), torch_dist.get_rank()
    if world_size % num_gpus_per_node:
        raise DistValueError(
            f"init_local_group: world size {world_size} is not a multiple of num_gpus_per_node={num_gpus_per_node}")
    if not isinstance(node_rank, int) or rank // num_gpus_per_node != node_rank:
        raise DistValueError(
            f"init_local_group: rank {rank} is on node {rank // num_gpus_per_node} with {num_gpus_per_node} "
            f"processes per node, not on node_rank={node_rank!r}")
    group = None
    for node in range(world_size // num_gpus_per_node):
        ranks = list(range(node * num_gpus_per_node, (node + 1) * num_gpus_per_node))
        new = torch_dist.new_group(ranks)
        if node == node_rank:
            group = new
    _set_local_group(group)


def _first_slurm_host(node_list: str) -> str:
    """First host name of a Slurm node list such as ``gpu[03-05,09],cpu1`` (-> ``gpu03``)."""
    scontrol = shutil.which("scontrol")
    if scontrol is not None:
        out = subprocess.run([scontrol, "show", "hostnames", node_list], capture_output=True, text=True, check=False)
        if out.returncode == 0 and out.stdout.strip():
            return out.stdout.split()[0]
    match = re.match(r"([^,\[]+)(?:\[([^\]]+)\])?", node_list.strip())
    if match is None:
        raise DistEnvError(f"cannot parse SLURM_NODELIST={node_list!r}")
    prefix, ranges = match.group(1), match.group(2)
    if ranges is None:
        return prefix
    return prefix + ranges.split(",")[0].split("-")[0]


def _setup_slurm_env(port: int | None) -> tuple[int, int, int, int]:
    rank = _env_int("SLURM_PROCID")
    world_size = _env_int("SLURM_NTASKS")
    num_nodes = _env_int("SLURM_NNODES", "SLURM_JOB_NUM_NODES", default=1)
    local_rank = _env_int("SLURM_LOCALID", default=rank % max(world_size // num_nodes, 1))
    local_size = world_size // num_nodes if world_size % num_nodes == 0 else world_size
    if "MASTER_ADDR" not in os.environ:
        node_list = os.environ.get("SLURM_STEP_NODELIST") or os.environ.get("SLURM_NODELIST")
        if node_list is None:
            raise DistEnvError("environment variable SLURM_NODELIST is not set and MASTER_ADDR is not given")
        os.environ["MASTER_ADDR"] = _first_slurm_host(node_list)
    if port is not None:
        os.environ["MASTER_PORT"] = str(port)
    os.environ.setdefault("MASTER_PORT", "29500")
    _export_rank_env(rank, world_size, local_rank, local_size)
    return rank, world_size, local_rank, local_size


def _setup_mpi_env() -> tuple[int, int, int, int]:
    rank = _env_int("OMPI_COMM_WORLD_RANK", "PMI_RANK", "PMIX_RANK")
    world_size = _env_int("OMPI_COMM_WORLD_SIZE", "PMI_SIZE")
    local_rank = _env_int("OMPI_COMM_WORLD_LOCAL_RANK", "MPI_LOCALRANKID", "PMI_LOCAL_RANK", default=0)
    local_size = _env_int("OMPI_COMM_WORLD_LOCAL_SIZE", "MPI_LOCALNRANKS", "PMI_LOCAL_SIZE", default=world_size)
    if "MASTER_ADDR" not in os.environ:
        raise DistEnvError("environment variable MASTER_ADDR is not set; the mpi launcher needs it (and MASTER_PORT)")
    os.environ.setdefault("MASTER_PORT", "29500")
    _export_rank_env(rank, world_size, local_rank, local_size)
    return rank, world_size, local_rank, local_size


def _export_rank_env(rank: int, world_size: int, local_rank: int, local_size: int) -> None:
    os.environ["RANK"] = str(rank)
    os.environ["WORLD_SIZE"] = str(world_size)
    os.environ["LOCAL_RANK"] = str(local_rank)
    os.environ["LOCAL_WORLD_SIZE"] = str(local_size)
