"""Sharded checkpoints: a directory every rank writes into, published whole by one rename.

Layout of ``<name>.pth/`` (the same name a full checkpoint file would have, so ``last_checkpoint``,
``--resume`` and ``max_keep_ckpts`` treat both alike):

* the strategy's shards (``torch.distributed.checkpoint`` files for FSDP, DeepSpeed's own files);
* ``extras.pth``: everything else of the checkpoint (``meta``, ``message_hub``, schedulers,
  sampler, random states, ``sharded_by``: the strategy that wrote it, ``sharded_optimizer``:
  whether the shards hold the optimizer state), written by rank 0 last.

The directory is filled under a temporary name (``.<name>.pth.<12 hex>.tmp``, the same on every
rank) and renamed when every rank is done, so a killed save leaves a temporary that the next
start removes, never a half-written checkpoint under the real name.
"""

from __future__ import annotations

import os
import os.path as osp
import secrets
import shutil
from typing import Any

import mme.fileio as fileio
from mme.dist import barrier, broadcast_object_list, get_rank, get_world_size
from mme.fileio import LocalBackend
from mme.registry import STRATEGIES

from ._checkpoint import SHARDED_EXTRAS as EXTRAS
from ._checkpoint import _load_checkpoint, save_checkpoint
from ._errors import CheckpointError

__all__ = ["EXTRAS", "is_sharded_checkpoint", "load_sharded_extras", "save_sharded_checkpoint", "sharding_strategy"]


def _local_dir(path: str, backend_args: dict | None) -> str:
    backend = fileio.get_file_backend(path, backend_args=backend_args)
    if not isinstance(backend, LocalBackend):
        raise CheckpointError(
            f"sharded checkpoints are written by every rank into a directory on a local or shared filesystem; "
            f"{path} is on {type(backend).__name__}: save to a local path (and copy it afterwards), or use a "
            f"strategy with state_dict_type='full'")
    return path


def is_sharded_checkpoint(path: str) -> bool:
    """Whether ``path`` is a sharded checkpoint directory (complete or not)."""
    return osp.isdir(path)


def save_sharded_checkpoint(strategy: Any, extras: dict[str, Any], path: str, model: Any, optim_wrapper: Any,
                            backend_args: dict | None = None) -> None:
    """Write a sharded checkpoint at ``path`` on every rank; it appears whole or not at all.

    Every rank calls it (the strategy's ``save_shards`` is a collective); rank 0 writes ``extras``.
    """
    _local_dir(path, backend_args)
    token = [secrets.token_hex(6)]
    if get_world_size() > 1:
        broadcast_object_list(token, src=0)  # every rank fills the same temporary directory
    tmp = fileio.temp_sibling(path, token[0])
    if get_rank() == 0:
        os.makedirs(tmp)
    barrier()
    try:
        strategy.save_shards(tmp, model, optim_wrapper)
        if get_rank() == 0:
            save_checkpoint({**extras, "sharded_by": type(strategy).__name__,
                             "sharded_optimizer": optim_wrapper is not None}, osp.join(tmp, EXTRAS))
        barrier()  # every rank's shards are on disk
        if get_rank() == 0:
            fileio.replace_dir(tmp, path)
    except BaseException:
        if get_rank() == 0:
            shutil.rmtree(tmp, ignore_errors=True)
        raise
    barrier()  # no rank goes on (e.g. to remove an old checkpoint) before the new one is published


def load_sharded_extras(path: str, map_location: Any = "cpu", weights_only: bool = True) -> dict[str, Any]:
    """The non-shard part of the sharded checkpoint ``path`` (``extras.pth``)."""
    extras_file = osp.join(path, EXTRAS)
    if not osp.exists(extras_file):
        raise CheckpointError(
            f"{path} is a directory but not a complete sharded checkpoint: it has no {EXTRAS} (written last)")
    return _load_checkpoint(extras_file, map_location=map_location, weights_only=weights_only)


def sharding_strategy(extras: dict[str, Any], path: str) -> type:
    """The strategy class that wrote a sharded checkpoint (named in its ``sharded_by``)."""
    name = extras.get("sharded_by")
    if not isinstance(name, str):
        raise CheckpointError(f"{path}/{EXTRAS} does not say which strategy wrote the shards ('sharded_by')")
    try:
        return STRATEGIES.get(name)
    except KeyError as e:
        raise CheckpointError(f"{path} was written by {name}, which is not registered here: {e}") from e
