"""DefaultSampler and InfiniteSampler: rank-aware samplers with a resumable position."""

from __future__ import annotations

import itertools
import math
import operator
from collections.abc import Iterator, Sized
from typing import Any

import mme.dist as mme_dist
import torch
from mme.registry import DATA_SAMPLERS
from torch.utils.data import Sampler

from ._errors import DatasetTypeError, DatasetValueError

_STATE_KEYS = ("epoch", "seed", "position")


def _setup(dataset: Any, seed: int | None) -> tuple[int, int, int]:
    if not isinstance(dataset, Sized):
        raise DatasetTypeError(f"a sampler needs a dataset with __len__, but got {type(dataset).__name__}")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise DatasetTypeError(f"seed must be an int or None, but got {seed!r}")
    rank, world_size = mme_dist.get_dist_info()
    if seed is None:
        seed = mme_dist.sync_random_seed()
    return rank, world_size, int(seed)


def _check_state(sampler: Any, state: dict) -> None:
    if not isinstance(state, dict):
        raise DatasetTypeError(f"sampler state must be a dict, but got {type(state).__name__}")
    missing = [k for k in _STATE_KEYS if k not in state]
    if missing:
        raise DatasetValueError(f"sampler state misses {missing}; expected keys {list(_STATE_KEYS)}, got {list(state)}")
    for key in _STATE_KEYS:
        value = state[key]
        if isinstance(value, bool) or not isinstance(value, int) or (key != "seed" and value < 0):
            raise DatasetValueError(f"sampler state[{key!r}] must be a non-negative int, but got {value!r}")


@DATA_SAMPLERS.register_module()
class DefaultSampler(Sampler[int]):
    """Each epoch, a (shuffled) pass over the dataset, split between the ranks.

    The epoch's index list (a permutation seeded by ``seed + epoch``, or ``range(len)``) is
    rounded up by repeating its start to a multiple of the world size (with ``round_up``), and
    rank ``r`` takes items ``r, r + world_size, ...``. Call :meth:`set_epoch` before each epoch
    for a new permutation.

    The sampler counts how many of its indices it has yielded in the current epoch.
    :meth:`state_dict` returns ``{'epoch', 'seed', 'position'}`` and :meth:`load_state_dict`
    makes the *next* iteration start at ``position`` of that epoch, so a resumed run skips the
    consumed samples without loading them. A position at the end of the epoch (or a
    :meth:`set_epoch` to another epoch) leaves nothing pending: the next iteration is a full pass.

    Args:
        dataset: The dataset (only its length is used).
        shuffle: Permute the indices each epoch.
        seed: Shuffle seed, the same on every rank; a random one synchronised across ranks
            when None.
        round_up: Pad so every rank gets the same number of indices.
    """

    def __init__(self, dataset: Sized, shuffle: bool = True, seed: int | None = None, round_up: bool = True) -> None:
        self.rank, self.world_size, self.seed = _setup(dataset, seed)
        self.dataset = dataset
        self.shuffle = shuffle
        self.round_up = round_up
        self.epoch = 0
        size = len(dataset)
        if round_up:
            self.num_samples = math.ceil(size / self.world_size)
            self.total_size = self.num_samples * self.world_size
        else:
            self.num_samples = max(0, math.ceil((size - self.rank) / self.world_size))
            self.total_size = size
        self._position = 0
        self._pending: int | None = None
        self._iterator: Iterator[int] | None = None
        self._iterator_size = 0

    def _epoch_indices(self) -> list[int]:
        size = len(self.dataset)
        if self.shuffle:
            g = torch.Generator()
            g.manual_seed(self.seed + self.epoch)
            indices = torch.randperm(size, generator=g).tolist()
        else:
            indices = list(range(size))
        if self.round_up and indices:
            indices = (indices * (self.total_size // len(indices) + 1))[: self.total_size]
        return indices[self.rank : self.total_size : self.world_size]

    def __iter__(self) -> Iterator[int]:
        start = self._pending or 0
        self._pending = None
        remaining = self._epoch_indices()[start:]
        self._position = start
        self._iterator = iter(remaining)
        self._iterator_size = len(remaining)
        return self._iterator

    def _yielded(self) -> int:
        """This epoch's indices handed out so far, read off the list iterator (no per-index counting)."""
        if self._iterator is None:
            return self._position
        return self._position + self._iterator_size - operator.length_hint(self._iterator)

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """Set the epoch (the permutation seed is ``seed + epoch``); another epoch drops a pending position."""
        if epoch != self.epoch:
            self._pending = None
            self._position = 0
            self._iterator = None
        self.epoch = epoch

    def state_dict(self) -> dict[str, int]:
        """``{'epoch', 'seed', 'position'}``: position counts this rank's indices yielded this epoch."""
        position = self._pending if self._pending is not None else self._yielded()
        return {"epoch": self.epoch, "seed": self.seed, "position": position}

    def load_state_dict(self, state: dict[str, int]) -> None:
        """Restore a state; the next iteration continues at ``state['position']`` of ``state['epoch']``."""
        _check_state(self, state)
        if state["position"] > self.num_samples:
            raise DatasetValueError(
                f"sampler position {state['position']} is beyond this rank's {self.num_samples} samples per epoch"
            )
        self.epoch = state["epoch"]
        self.seed = state["seed"]
        self._position = state["position"]
        self._iterator = None
        self._pending = state["position"] if state["position"] < self.num_samples else None


@DATA_SAMPLERS.register_module()
class InfiniteSampler(Sampler[int]):
    """An endless stream of (shuffled) passes over the dataset, split between the ranks.

    The stream is ``perm_0 + perm_1 + ...`` (permutations drawn one after another from a
    generator seeded by ``seed``) and rank ``r`` takes items ``r, r + world_size, ...``. Every
    iteration continues where the previous one stopped; ``position`` in :meth:`state_dict`
    counts the indices this rank has yielded since the start, and :meth:`load_state_dict`
    makes the next iteration continue from there.

    Args:
        dataset: The dataset (only its length is used).
        shuffle: Permute each pass.
        seed: Shuffle seed, the same on every rank; random and synchronised when None.
    """

    def __init__(self, dataset: Sized, shuffle: bool = True, seed: int | None = None) -> None:
        self.rank, self.world_size, self.seed = _setup(dataset, seed)
        self.dataset = dataset
        self.shuffle = shuffle
        self.size = len(dataset)
        if self.size == 0:
            raise DatasetValueError("InfiniteSampler needs a non-empty dataset")
        self.epoch = 0
        self._position = 0

    def _stream(self, start: int) -> Iterator[int]:
        """The global index stream from item ``start`` on."""
        g = torch.Generator()
        g.manual_seed(self.seed)
        skip_passes, offset = divmod(start, self.size)
        if self.shuffle:
            for _ in range(skip_passes):
                torch.randperm(self.size, generator=g)
        first = True
        while True:
            order = torch.randperm(self.size, generator=g).tolist() if self.shuffle else list(range(self.size))
            yield from (order[offset:] if first else order)
            first = False

    def __iter__(self) -> Iterator[int]:
        start = self.rank + self._position * self.world_size
        for idx in itertools.islice(self._stream(start), 0, None, self.world_size):
            self._position += 1
            yield idx

    def __len__(self) -> int:
        return self.size

    def set_epoch(self, epoch: int) -> None:
        """Record the epoch; it does not change the stream."""
        self.epoch = epoch

    def state_dict(self) -> dict[str, int]:
        """``{'epoch', 'seed', 'position'}``: position counts this rank's indices yielded so far."""
        return {"epoch": self.epoch, "seed": self.seed, "position": self._position}

    def load_state_dict(self, state: dict[str, int]) -> None:
        """Restore a state; the next iteration continues at ``state['position']``."""
        _check_state(self, state)
        self.epoch = state["epoch"]
        self.seed = state["seed"]
        self._position = state["position"]
