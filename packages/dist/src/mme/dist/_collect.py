"""Collecting per-rank evaluation results in dataset order: ``collect_results``."""

from __future__ import annotations

import os
import pickle
import shutil
import tempfile
from collections.abc import Sequence
from typing import Any

from ._collectives import all_gather_object, broadcast_object_list
from ._errors import DistTypeError, DistValueError
from ._info import barrier, get_rank, get_world_size, is_distributed


def _interleave(parts: Sequence[Sequence[Any]], size: int) -> list[Any]:
    """Merge per-rank parts of an interleaved split (rank r held items r, r + ws, ...).

    Parts may differ in length by one (no padding); padding beyond ``size`` is dropped.
    """
    ordered: list[Any] = []
    longest = max((len(p) for p in parts), default=0)
    for i in range(longest):
        for part in parts:
            if i < len(part):
                ordered.append(part[i])
    return ordered[:size]


def _check_args(results: Any, size: Any) -> None:
    if not isinstance(results, list):
        raise DistTypeError(f"collect_results expects `results` to be a list, got {type(results).__name__}")
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise DistValueError(f"collect_results expects `size` to be a non-negative int, got {size!r}")


def collect_results(results: list, size: int, device: str = "cpu", tmpdir: str | None = None) -> list | None:
    """Collect the results every rank computed on its share of a dataset, in dataset order.

    Each rank is assumed to hold the items of an interleaved split (``DefaultSampler``: rank ``r`` got
    indices ``r, r + world_size, ...``). The parts are merged back into dataset order and truncated
    to ``size``, which drops the padding a sampler adds to make the shares equal.

    Args:
        results: This rank's results.
        size: Length of the dataset.
        device: ``'cpu'`` to exchange the parts through files in a shared directory, ``'gpu'`` to send
            them through the communication backend (works with gloo on CPU too).
        tmpdir: Shared directory for ``'cpu'``; a fresh temporary directory by default. It must be
            reachable by every rank (a temporary directory is only shared between ranks of one node).

    Returns:
        The ordered results on rank 0, ``None`` on other ranks.

    Examples:
        >>> collect_results([1, 2, 3], size=2)
        [1, 2]
    """
    _check_args(results, size)
    if device not in ("cpu", "gpu"):
        raise DistValueError(f"collect_results: device must be 'cpu' or 'gpu', got {device!r}")
    if device == "cpu":
        return collect_results_cpu(results, size, tmpdir)
    return collect_results_gpu(results, size)


def collect_results_cpu(result_part: list, size: int, tmpdir: str | None = None) -> list | None:
    """Collect results through pickles in a directory shared by every rank; see :func:`collect_results`."""
    _check_args(result_part, size)
    rank, world_size = get_rank(), get_world_size()
    if world_size == 1 or not is_distributed():
        return result_part[:size]
    created = tmpdir is None
    holder: list[Any] = [None]
    if rank == 0:
        if tmpdir is None:
            tmpdir = tempfile.mkdtemp(prefix="mme_collect_")
        else:
            os.makedirs(tmpdir, exist_ok=True)
        holder[0] = tmpdir
    broadcast_object_list(holder, src=0)
    tmpdir = str(holder[0])
    os.makedirs(tmpdir, exist_ok=True)
    part_file = os.path.join(tmpdir, f"part_{rank}.pkl")
    with open(part_file + ".tmp", "wb") as f:
        pickle.dump(result_part, f, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(part_file + ".tmp", part_file)
    barrier()
    if rank != 0:
        barrier()  # wait until rank 0 has read the parts before anyone moves on
        return None
    parts = []
    for r in range(world_size):
        with open(os.path.join(tmpdir, f"part_{r}.pkl"), "rb") as f:
            parts.append(pickle.load(f))
    for r in range(world_size):
        os.remove(os.path.join(tmpdir, f"part_{r}.pkl"))
    if created:
        shutil.rmtree(tmpdir, ignore_errors=True)
    barrier()
    return _interleave(parts, size)


def collect_results_gpu(result_part: list, size: int) -> list | None:
    """Collect results through the communication backend; see :func:`collect_results`."""
    _check_args(result_part, size)
    if get_world_size() == 1 or not is_distributed():
        return result_part[:size]
    parts = all_gather_object(result_part)
    if get_rank() != 0:
        return None
    return _interleave(parts, size)
