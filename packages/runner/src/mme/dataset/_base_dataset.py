"""BaseDataset: annotations loaded lazily, filtered, subset and stored as one shared byte buffer."""

from __future__ import annotations

import copy
import functools
import logging
import os.path as osp
import pickle
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar

import numpy as np
from mme import fileio

from ._compose import Compose
from ._errors import DatasetKeyError, DatasetTypeError, DatasetValueError, FetchError

logger = logging.getLogger(__name__)


def _is_abs(path: str) -> bool:
    return osp.isabs(path) or "://" in path


def force_full_init(method: Callable) -> Callable:
    """Decorator for dataset methods that need the annotations: run ``full_init()`` first."""

    @functools.wraps(method)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        if not self._fully_initialized:
            self.full_init()
        return method(self, *args, **kwargs)

    return wrapper


class BaseDataset:
    """A map-style dataset of annotation dicts passed through a transform pipeline.

    The annotation file holds ``{'metainfo': {...}, 'data_list': [{...}, ...]}``; subclasses
    may override :meth:`load_data_list` (and :meth:`parse_data_info`, :meth:`filter_data`) for
    other formats. With ``serialize_data=True`` (the default) the data list is pickled into one
    numpy byte buffer plus an offset array: DataLoader workers forked from the main process
    then share those pages instead of touching (and so copying) millions of Python objects.

    Args:
        ann_file: Annotation file, relative to ``data_root`` unless absolute or a URI.
        metainfo: Dataset meta information, overriding the class's ``METAINFO`` and the file's.
            A string value naming an existing file is read as a list of lines.
        data_root: Root prefixed to ``ann_file`` and to each ``data_prefix`` value.
        data_prefix: Path prefixes joined onto the same-named keys of every data info.
        filter_cfg: Settings for :meth:`filter_data` (used by subclasses).
        indices: Keep only these indices (a sequence), or the first N (an int).
        serialize_data: Store the data list as one byte buffer (see above).
        pipeline: Transforms (callables or TRANSFORMS configs) applied to each data info.
        test_mode: In test mode a pipeline returning None is an error instead of a refetch.
        lazy_init: Do not load the annotations until :meth:`full_init` or first use.
        max_refetch: How many other random samples to try when the pipeline returns None.
    """

    METAINFO: ClassVar[dict] = {}
    _fully_initialized: bool = False

    def __init__(
        self,
        ann_file: str | None = "",
        metainfo: Mapping | None = None,
        data_root: str | None = "",
        data_prefix: dict | None = None,
        filter_cfg: dict | None = None,
        indices: Sequence[int] | int | None = None,
        serialize_data: bool = True,
        pipeline: Sequence[dict | Callable] | None = (),
        test_mode: bool = False,
        lazy_init: bool = False,
        max_refetch: int = 1000,
    ) -> None:
        self.ann_file = ann_file or ""
        self.data_root = data_root or ""
        self.data_prefix = copy.copy(data_prefix) if data_prefix is not None else {"img_path": ""}
        if not isinstance(self.data_prefix, dict):
            raise DatasetTypeError(f"data_prefix must be a dict, but got {type(data_prefix).__name__}")
        self.filter_cfg = copy.deepcopy(filter_cfg)
        if indices is not None and not isinstance(indices, (int, Sequence)):
            raise DatasetTypeError(f"indices must be an int or a sequence of ints, but got {type(indices).__name__}")
        self._indices = indices
        self.serialize_data = serialize_data
        self.test_mode = test_mode
        if not isinstance(max_refetch, int) or max_refetch < 0:
            raise DatasetValueError(f"max_refetch must be a non-negative int, but got {max_refetch!r}")
        self.max_refetch = max_refetch
        self.data_list: list[dict] = []
        self.data_bytes: np.ndarray
        self.data_address: np.ndarray
        self._metainfo = self._load_metainfo(copy.deepcopy(metainfo))
        self._join_prefix()
        self.pipeline = Compose(list(pipeline) if pipeline is not None else [])
        if not lazy_init:
            self.full_init()

    # ------------------------------------------------------------------ metainfo
    @classmethod
    def _load_metainfo(cls, metainfo: Mapping | None = None) -> dict:
        cls_metainfo = copy.deepcopy(cls.METAINFO)
        if metainfo is None:
            return cls_metainfo
        if not isinstance(metainfo, Mapping):
            raise DatasetTypeError(f"metainfo must be a mapping, but got {type(metainfo).__name__}")
        for key, value in metainfo.items():
            if isinstance(value, str) and value and fileio.exists(value):
                cls_metainfo[key] = fileio.list_from_file(value)
            else:
                cls_metainfo[key] = value
        return cls_metainfo

    @property
    def metainfo(self) -> dict:
        """A copy of the dataset's meta information."""
        return copy.deepcopy(self._metainfo)

    def _join_prefix(self) -> None:
        if self.ann_file and not _is_abs(self.ann_file) and self.data_root:
            self.ann_file = fileio.join_path(self.data_root, self.ann_file)
        for key, prefix in self.data_prefix.items():
            if not isinstance(prefix, str):
                raise DatasetTypeError(f"data_prefix[{key!r}] must be a str, but got {type(prefix).__name__}")
            if not _is_abs(prefix) and self.data_root:
                self.data_prefix[key] = fileio.join_path(self.data_root, prefix)

    # ------------------------------------------------------------------ loading
    def full_init(self) -> None:
        """Load, filter, subset and serialize the annotations (once)."""
        if self._fully_initialized:
            return
        self.data_list = self.load_data_list()
        self.data_list = self.filter_data()
        if self._indices is not None:
            self.data_list = self._subset_list(self.data_list, self._indices)
        if self.serialize_data:
            self.data_bytes, self.data_address = self._serialize_data()
        self._fully_initialized = True

    def load_data_list(self) -> list[dict]:
        """Read ``ann_file`` and return the list of data infos (override for other formats)."""
        if not self.ann_file:
            raise DatasetValueError(f"{type(self).__name__} has no ann_file; pass one or override load_data_list()")
        annotations = fileio.load(self.ann_file)
        if not isinstance(annotations, dict):
            raise DatasetTypeError(
                f"annotation file {self.ann_file} must hold a dict, but holds a {type(annotations).__name__}"
            )
        missing = [k for k in ("data_list", "metainfo") if k not in annotations]
        if missing:
            raise DatasetKeyError(f"annotation file {self.ann_file} has no {' or '.join(repr(k) for k in missing)} key")
        for key, value in annotations["metainfo"].items():
            self._metainfo.setdefault(key, value)
        data_list: list[dict] = []
        for i, raw in enumerate(annotations["data_list"]):
            info = self.parse_data_info(raw)
            if isinstance(info, dict):
                data_list.append(info)
            elif isinstance(info, list) and all(isinstance(x, dict) for x in info):
                data_list.extend(info)
            else:
                raise DatasetTypeError(
                    f"parse_data_info must return a dict or a list of dicts, but returned "
                    f"{type(info).__name__} for item {i} of {self.ann_file}"
                )
        return data_list

    def parse_data_info(self, raw_data_info: dict) -> dict | list[dict]:
        """Join ``data_prefix`` onto the matching keys of one raw annotation."""
        for key, prefix in self.data_prefix.items():
            if key not in raw_data_info and not prefix:
                continue  # nothing to join
            if key not in raw_data_info:
                raise DatasetKeyError(f"annotation {raw_data_info!r} has no {key!r} key (listed in data_prefix)")
            raw_data_info[key] = fileio.join_path(prefix, raw_data_info[key]) if prefix else raw_data_info[key]
        return raw_data_info

    def filter_data(self) -> list[dict]:
        """Return the data infos to keep (all of them here; subclasses use ``filter_cfg``)."""
        return self.data_list

    def get_cat_ids(self, idx: int) -> list[int]:
        """Category ids of sample ``idx`` (needed by ClassBalancedDataset)."""
        raise NotImplementedError(f"{type(self).__name__} does not implement get_cat_ids()")

    # ------------------------------------------------------------------ serialization
    def _serialize_data(self) -> tuple[np.ndarray, np.ndarray]:
        buffer = bytearray()
        lengths = np.empty(len(self.data_list), dtype=np.int64)
        for i, info in enumerate(self.data_list):
            chunk = pickle.dumps(info, protocol=4)
            lengths[i] = len(chunk)
            buffer += chunk
        address = np.cumsum(lengths)
        data_bytes = np.frombuffer(buffer, dtype=np.uint8)  # a view: no second copy at peak
        self.data_list.clear()  # refcounting frees the dicts; no gc.collect() pass needed
        return data_bytes, address

    @staticmethod
    def _normalize_indices(indices: Sequence[int] | int, length: int) -> list[int]:
        if isinstance(indices, bool) or not isinstance(indices, (int, Sequence)):
            raise DatasetTypeError(f"indices must be an int or a sequence of ints, but got {indices!r}")
        if isinstance(indices, int):
            return list(range(length))[:indices] if indices >= 0 else list(range(length))[indices:]
        out = []
        for i in indices:
            if not isinstance(i, (int, np.integer)) or not -length <= i < length:
                raise DatasetValueError(f"index {i!r} is out of range for a dataset of length {length}")
            out.append(int(i) % length)
        return out

    def _subset_list(self, data_list: list[dict], indices: Sequence[int] | int) -> list[dict]:
        return [data_list[i] for i in self._normalize_indices(indices, len(data_list))]

    # ------------------------------------------------------------------ access
    @force_full_init
    def get_data_info(self, idx: int) -> dict:
        """A fresh copy of data info ``idx``, with ``sample_idx`` added."""
        n = len(self)
        if not -n <= idx < n:
            raise IndexError(f"index {idx} is out of range for {type(self).__name__} of length {n}")
        idx = idx % n
        if self.serialize_data:
            start = 0 if idx == 0 else int(self.data_address[idx - 1])
            end = int(self.data_address[idx])
            info = pickle.loads(memoryview(self.data_bytes[start:end]))  # type: ignore[arg-type]
        else:
            info = copy.deepcopy(self.data_list[idx])
        info["sample_idx"] = idx
        return info

    @force_full_init
    def __len__(self) -> int:
        return len(self.data_address) if self.serialize_data else len(self.data_list)

    def prepare_data(self, idx: int) -> Any:
        """Run the pipeline on data info ``idx``."""
        return self.pipeline(self.get_data_info(idx))

    def __getitem__(self, idx: int) -> Any:
        if not self._fully_initialized:
            logger.info("%s is lazily initialised; call full_init() first to avoid the delay", type(self).__name__)
            self.full_init()
        if self.test_mode:
            data = self.prepare_data(idx)
            if data is None:
                raise FetchError(f"the test pipeline returned None for sample {idx}")
            return data
        for _ in range(self.max_refetch + 1):
            data = self.prepare_data(idx)
            if data is not None:
                return data
            idx = self._rand_another()
        raise FetchError(
            f"the pipeline returned None for {self.max_refetch + 1} samples in a row; "
            "check the data paths and the pipeline"
        )

    def _rand_another(self) -> int:
        return int(np.random.randint(0, len(self)))

    # ------------------------------------------------------------------ subsets
    @force_full_init
    def get_subset_(self, indices: Sequence[int] | int) -> None:
        """Keep only ``indices`` (or the first/last N for an int) of this dataset, in place."""
        if self.serialize_data:
            self.data_bytes, self.data_address = self._serialized_subset(indices)
        else:
            self.data_list = self._subset_list(self.data_list, indices)

    @force_full_init
    def get_subset(self, indices: Sequence[int] | int) -> BaseDataset:
        """A copy of this dataset holding only ``indices`` (or the first/last N for an int)."""
        sub = self._copy_without_annotation()
        if self.serialize_data:
            sub.data_bytes, sub.data_address = self._serialized_subset(indices)
        else:
            sub.data_list = self._subset_list(self.data_list, indices)
        return sub

    def _serialized_subset(self, indices: Sequence[int] | int) -> tuple[np.ndarray, np.ndarray]:
        keep = self._normalize_indices(indices, len(self))
        starts = np.concatenate([[0], self.data_address[:-1]]).astype(np.int64)
        chunks = [self.data_bytes[starts[i] : self.data_address[i]] for i in keep]
        lengths = np.asarray([len(c) for c in chunks], dtype=np.int64)
        data_bytes = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.uint8)
        return data_bytes, np.cumsum(lengths)

    def _copy_without_annotation(self) -> BaseDataset:
        cls = type(self)
        other = cls.__new__(cls)
        for key, value in self.__dict__.items():
            if key in ("data_list", "data_bytes", "data_address"):
                continue
            other.__dict__[key] = copy.deepcopy(value)
        other.data_list = []
        return other

    def __repr__(self) -> str:
        size = len(self) if self._fully_initialized else "not loaded yet"
        return (
            f"{type(self).__name__}(ann_file={self.ann_file!r}, data_root={self.data_root!r}, "
            f"size={size}, serialize_data={self.serialize_data}, test_mode={self.test_mode})"
        )
