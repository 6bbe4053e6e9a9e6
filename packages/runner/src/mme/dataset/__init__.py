"""mme.dataset: BaseDataset, dataset wrappers, resumable samplers and collate functions."""

from __future__ import annotations

from mme.runner.version import __version__

from ._base_dataset import BaseDataset, force_full_init
from ._compose import Compose
from ._dataset_wrappers import ClassBalancedDataset, ConcatDataset, RepeatDataset
from ._errors import DatasetKeyError, DatasetTypeError, DatasetValueError, FetchError
from ._fetch import name_fetch_errors
from ._sampler import DefaultSampler, InfiniteSampler
from ._utils import COLLATE_FUNCTIONS, default_collate, pseudo_collate, worker_init_fn

__all__ = [
    "BaseDataset",
    "COLLATE_FUNCTIONS",
    "ClassBalancedDataset",
    "Compose",
    "ConcatDataset",
    "DatasetKeyError",
    "DatasetTypeError",
    "DatasetValueError",
    "DefaultSampler",
    "FetchError",
    "InfiniteSampler",
    "RepeatDataset",
    "__version__",
    "default_collate",
    "force_full_init",
    "name_fetch_errors",
    "pseudo_collate",
    "worker_init_fn",
]
