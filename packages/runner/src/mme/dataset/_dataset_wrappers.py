"""Dataset wrappers: ConcatDataset, RepeatDataset and ClassBalancedDataset."""

from __future__ import annotations

import bisect
import copy
import math
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from mme.registry import DATASETS

from ._base_dataset import BaseDataset, force_full_init
from ._errors import DatasetTypeError, DatasetValueError


def _build(dataset: BaseDataset | dict, where: str) -> Any:
    if isinstance(dataset, dict):
        return DATASETS.build(dataset)
    if hasattr(dataset, "__getitem__") and hasattr(dataset, "__len__"):
        return dataset
    raise DatasetTypeError(f"{where} must be a dataset or a config dict, but got {type(dataset).__name__}")


class _Wrapper:
    _fully_initialized = False
    _metainfo: dict

    @property
    def metainfo(self) -> dict:
        """A copy of the wrapped dataset's metainfo (the first one's, for ConcatDataset)."""
        return copy.deepcopy(self._metainfo)

    def _wrapped_full_init(self, datasets: Sequence[Any]) -> None:
        for d in datasets:
            if hasattr(d, "full_init"):
                d.full_init()

    def get_subset_(self, indices: Sequence[int] | int) -> None:
        """Not supported: take the subset of the wrapped dataset instead."""
        raise NotImplementedError(f"{type(self).__name__} does not support get_subset_; subset the wrapped dataset")

    def get_subset(self, indices: Sequence[int] | int) -> Any:
        """Not supported: take the subset of the wrapped dataset instead."""
        raise NotImplementedError(f"{type(self).__name__} does not support get_subset; subset the wrapped dataset")


@DATASETS.register_module()
class ConcatDataset(_Wrapper):
    """Several datasets one after another; their metainfo must agree (except ``ignore_keys``).

    Args:
        datasets: Datasets or their configs.
        lazy_init: Defer :meth:`full_init`.
        ignore_keys: Metainfo keys allowed to differ between the datasets.
    """

    def __init__(
        self, datasets: Sequence[BaseDataset | dict], lazy_init: bool = False, ignore_keys: str | list[str] | None = None
    ) -> None:
        if not isinstance(datasets, Sequence) or not datasets:
            raise DatasetTypeError("ConcatDataset takes a non-empty list of datasets")
        self.datasets = [_build(d, f"datasets[{i}]") for i, d in enumerate(datasets)]
        if ignore_keys is None:
            ignore_keys = []
        elif isinstance(ignore_keys, str):
            ignore_keys = [ignore_keys]
        elif not (isinstance(ignore_keys, list) and all(isinstance(k, str) for k in ignore_keys)):
            raise DatasetTypeError(f"ignore_keys must be a str or a list of str, but got {ignore_keys!r}")
        first = getattr(self.datasets[0], "metainfo", {})
        for i, d in enumerate(self.datasets[1:], start=1):
            meta = getattr(d, "metainfo", {})
            for key in set(first) | set(meta):
                if key in ignore_keys:
                    continue
                if key not in first or key not in meta or first[key] != meta[key]:
                    raise DatasetValueError(
                        f"metainfo[{key!r}] of datasets[0] and datasets[{i}] differ "
                        f"({first.get(key, '<missing>')!r} vs {meta.get(key, '<missing>')!r}); "
                        "pass ignore_keys to allow it"
                    )
        self._metainfo = copy.deepcopy(first)
        if not lazy_init:
            self.full_init()

    def full_init(self) -> None:
        """Initialise the wrapped datasets and compute the cumulative sizes."""
        if self._fully_initialized:
            return
        self._wrapped_full_init(self.datasets)
        self.cumulative_sizes: list[int] = []
        total = 0
        for d in self.datasets:
            total += len(d)
            self.cumulative_sizes.append(total)
        self._fully_initialized = True

    @force_full_init
    def _get_ori_dataset_idx(self, idx: int) -> tuple[int, int]:
        total = self.cumulative_sizes[-1]
        if not -total <= idx < total:
            raise IndexError(f"index {idx} is out of range for ConcatDataset of length {total}")
        idx %= total
        dataset_idx = bisect.bisect_right(self.cumulative_sizes, idx)
        sample_idx = idx - (self.cumulative_sizes[dataset_idx - 1] if dataset_idx else 0)
        return dataset_idx, sample_idx

    def get_data_info(self, idx: int) -> dict:
        """Data info ``idx`` of the concatenation."""
        d, s = self._get_ori_dataset_idx(idx)
        return self.datasets[d].get_data_info(s)

    @force_full_init
    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, idx: int) -> Any:
        d, s = self._get_ori_dataset_idx(idx)
        return self.datasets[d][s]


@DATASETS.register_module()
class RepeatDataset(_Wrapper):
    """A dataset repeated ``times`` times (to shorten epochs' overhead on small datasets).

    Args:
        dataset: A dataset or its config.
        times: Number of repeats.
        lazy_init: Defer :meth:`full_init`.
    """

    def __init__(self, dataset: BaseDataset | dict, times: int, lazy_init: bool = False) -> None:
        if isinstance(times, bool) or not isinstance(times, int) or times < 1:
            raise DatasetValueError(f"times must be a positive int, but got {times!r}")
        self.dataset = _build(dataset, "dataset")
        self.times = times
        self._metainfo = copy.deepcopy(getattr(self.dataset, "metainfo", {}))
        if not lazy_init:
            self.full_init()

    def full_init(self) -> None:
        """Initialise the wrapped dataset."""
        if self._fully_initialized:
            return
        self._wrapped_full_init([self.dataset])
        self._ori_len = len(self.dataset)
        self._fully_initialized = True

    @force_full_init
    def _get_ori_dataset_idx(self, idx: int) -> int:
        total = self.times * self._ori_len
        if not -total <= idx < total:
            raise IndexError(f"index {idx} is out of range for RepeatDataset of length {total}")
        return (idx % total) % self._ori_len

    def get_data_info(self, idx: int) -> dict:
        """Data info ``idx`` of the repeated dataset."""
        return self.dataset.get_data_info(self._get_ori_dataset_idx(idx))

    def get_cat_ids(self, idx: int) -> list[int]:
        """Category ids of sample ``idx``."""
        return self.dataset.get_cat_ids(self._get_ori_dataset_idx(idx))

    @force_full_init
    def __len__(self) -> int:
        return self.times * self._ori_len

    def __getitem__(self, idx: int) -> Any:
        return self.dataset[self._get_ori_dataset_idx(idx)]


@DATASETS.register_module()
class ClassBalancedDataset(_Wrapper):
    """Repeat samples of rare categories (repeat factor sampling, LVIS paper).

    A category ``c`` seen in a fraction ``f(c)`` of the samples gets ``r(c) = max(1,
    sqrt(oversample_thr / f(c)))``; a sample is repeated ``ceil(max r(c))`` times over its
    categories. The wrapped dataset must implement ``get_cat_ids``.

    Args:
        dataset: A dataset or its config.
        oversample_thr: Frequency below which categories are oversampled.
        lazy_init: Defer :meth:`full_init`.
    """

    def __init__(self, dataset: BaseDataset | dict, oversample_thr: float, lazy_init: bool = False) -> None:
        if not isinstance(oversample_thr, (int, float)) or oversample_thr <= 0:
            raise DatasetValueError(f"oversample_thr must be a positive number, but got {oversample_thr!r}")
        self.dataset = _build(dataset, "dataset")
        self.oversample_thr = oversample_thr
        self._metainfo = copy.deepcopy(getattr(self.dataset, "metainfo", {}))
        if not lazy_init:
            self.full_init()

    def full_init(self) -> None:
        """Initialise the wrapped dataset and compute the repeat indices."""
        if self._fully_initialized:
            return
        self._wrapped_full_init([self.dataset])
        factors = self._get_repeat_factors(self.dataset, self.oversample_thr)
        self.repeat_indices = [i for i, f in enumerate(factors) for _ in range(math.ceil(f))]
        self._fully_initialized = True

    @staticmethod
    def _get_repeat_factors(dataset: Any, repeat_thr: float) -> list[float]:
        cat_ids = [set(dataset.get_cat_ids(i)) for i in range(len(dataset))]
        counts: dict[int, int] = defaultdict(int)
        for ids in cat_ids:
            for c in ids:
                counts[c] += 1
        n = len(dataset)
        cat_repeat = {c: max(1.0, math.sqrt(repeat_thr / (k / n))) for c, k in counts.items()}
        return [max((cat_repeat[c] for c in ids), default=1.0) for ids in cat_ids]

    @force_full_init
    def _get_ori_dataset_idx(self, idx: int) -> int:
        return self.repeat_indices[idx]

    def get_data_info(self, idx: int) -> dict:
        """Data info ``idx`` of the balanced dataset."""
        return self.dataset.get_data_info(self._get_ori_dataset_idx(idx))

    def get_cat_ids(self, idx: int) -> list[int]:
        """Category ids of sample ``idx``."""
        return self.dataset.get_cat_ids(self._get_ori_dataset_idx(idx))

    @force_full_init
    def __len__(self) -> int:
        return len(self.repeat_indices)

    def __getitem__(self, idx: int) -> Any:
        return self.dataset[self._get_ori_dataset_idx(idx)]
