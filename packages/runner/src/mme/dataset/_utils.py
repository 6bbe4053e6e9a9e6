"""Collate functions and the DataLoader worker seeding function."""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch
from mme.registry import FUNCTIONS
from mme.structures import BaseDataElement
from torch.utils.data import default_collate as torch_default_collate
from torch.utils.data import get_worker_info

from ._errors import DatasetTypeError, DatasetValueError

#: MMEngine's name for the FUNCTIONS registry, where collate functions are registered
COLLATE_FUNCTIONS = FUNCTIONS


def worker_init_fn(
    worker_id: int, num_workers: int, rank: int, seed: int, disable_subprocess_warning: bool = False
) -> None:
    """Seed ``random``, numpy and torch in a DataLoader worker.

    The seed mixes ``seed``, ``rank``, ``worker_id`` and ``torch.initial_seed()``, which the
    DataLoader sets in each worker from a base seed it draws from the main process's RNG every
    epoch. Random augmentations therefore differ from one epoch to the next (a seed made of
    ``seed``, ``rank`` and ``worker_id`` alone replays the same random stream in every epoch
    when workers are not persistent) and still follow from the run's seed.

    Use it with ``functools.partial(worker_init_fn, num_workers=..., rank=..., seed=...)``.
    ``disable_subprocess_warning`` silences Python warnings in workers other than rank 0's.
    """
    entropy = [seed % 2**64, num_workers, rank, worker_id, torch.initial_seed()]
    worker_seed = int(np.random.SeedSequence(entropy).generate_state(1, dtype=np.uint64)[0])
    np.random.seed(worker_seed % 2**32)
    random.seed(worker_seed)
    torch.manual_seed(worker_seed)
    if disable_subprocess_warning and worker_id != 0:
        import warnings

        warnings.simplefilter("ignore")


def _transpose(data_batch: Sequence[Any], collate: Any) -> Any:
    item = data_batch[0]
    if type(item) is dict:  # the usual sample; checked first as collate runs on every batch
        return {key: collate([d[key] for d in data_batch]) for key in item}
    if isinstance(item, tuple) and hasattr(item, "_fields"):
        return type(item)(*(collate(list(samples)) for samples in zip(*data_batch)))
    if isinstance(item, Sequence):
        lengths = {len(x) for x in data_batch}
        if len(lengths) != 1:
            raise DatasetValueError(f"every sample in a batch must have the same length, but got lengths {sorted(lengths)}")
        transposed = [collate(list(samples)) for samples in zip(*data_batch)]
        if isinstance(item, tuple):
            return transposed
        try:
            return type(item)(transposed)  # type: ignore[call-arg]
        except TypeError:
            return transposed
    if isinstance(item, Mapping):
        return type(item)({key: collate([d[key] for d in data_batch]) for key in item})  # type: ignore[call-arg]
    return None


def _check_batch(data_batch: Any) -> None:
    if type(data_batch) is list:
        return
    if not isinstance(data_batch, Sequence) or isinstance(data_batch, str):
        raise DatasetTypeError(f"a collate function takes a list of samples, but got {type(data_batch).__name__}")


def pseudo_collate(data_batch: Sequence[Any]) -> Any:
    """Turn a list of samples into one sample of lists, without stacking anything.

    Dicts are collated key by key and sequences position by position; everything else
    (tensors, arrays, data elements) ends up in a list.

    Examples:
        >>> pseudo_collate([dict(a=1, b=[1, 2]), dict(a=2, b=[3, 4])])
        {'a': [1, 2], 'b': [[1, 3], [2, 4]]}
    """
    _check_batch(data_batch)
    if not data_batch:
        return data_batch
    if isinstance(data_batch[0], (str, bytes)):
        return list(data_batch)
    out = _transpose(data_batch, pseudo_collate)
    return list(data_batch) if out is None else out


def default_collate(data_batch: Sequence[Any]) -> Any:
    """Like :func:`pseudo_collate`, but tensors, arrays and numbers are stacked by torch.

    Data elements stay in a list (they are not stackable).
    """
    _check_batch(data_batch)
    if not data_batch:
        return data_batch
    item = data_batch[0]
    if isinstance(item, torch.Tensor):
        if type(item) is torch.Tensor and item.layout is torch.strided and not item.is_nested \
                and get_worker_info() is None:
            # what torch's collate does in the main process, without its per-call type dispatch
            # (in a worker, torch's collate stacks into shared memory instead)
            return torch.stack(data_batch if type(data_batch) is list else list(data_batch))
        return torch_default_collate(list(data_batch))
    if isinstance(item, (str, bytes, BaseDataElement)):
        return list(data_batch)
    out = _transpose(data_batch, default_collate)
    if out is not None:
        return out
    return torch_default_collate(list(data_batch))


FUNCTIONS.register_module(module=pseudo_collate)
FUNCTIONS.register_module(module=default_collate)
