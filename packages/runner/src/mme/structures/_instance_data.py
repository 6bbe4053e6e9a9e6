"""InstanceData: per-instance fields that all have the same length."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from ._base_data_element import _PRIVATE, BaseDataElement
from ._errors import DataElementFieldError, DataElementTypeError, DataElementValueError

IndexType = str | slice | int | list | torch.Tensor | np.ndarray


class InstanceData(BaseDataElement):
    """Data fields that describe the instances of one sample (boxes, labels, masks, ...).

    Every data field must have a length and all of them the same length, so the instances can
    be indexed, sliced, masked and concatenated together. Supported field types are tensors,
    numpy arrays, lists, tuples, strings and any object with ``__getitem__``, ``__len__`` and a
    ``cat`` classmethod.

    Examples:
        >>> inst = InstanceData(metainfo=dict(img_shape=(8, 8)))
        >>> inst.labels = torch.tensor([0, 1, 2])
        >>> inst.names = ["a", "b", "c"]
        >>> sub = inst[inst.labels > 0]
        >>> len(sub), sub.names
        (2, ['b', 'c'])
    """

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _PRIVATE:
            if hasattr(self, name):
                raise DataElementFieldError(f"{name} is a private attribute and cannot be reassigned")
            object.__setattr__(self, name, value)
            return
        if not hasattr(value, "__len__"):
            raise DataElementTypeError(
                f"InstanceData field {name!r} must have a length, but got {type(value).__name__}"
            )
        length = len(self)
        if length > 0 and len(value) != length and not (len(self.keys()) == 1 and name in self.keys()):
            raise DataElementValueError(
                f"InstanceData field {name!r} has length {len(value)}, but the other fields "
                f"have length {length}"
            )
        super().__setattr__(name, value)

    def __getitem__(self, item: IndexType) -> Any:
        if isinstance(item, str):
            return getattr(self, item)
        if isinstance(item, bool):
            raise DataElementTypeError("InstanceData cannot be indexed by a bool")
        length = len(self)
        if isinstance(item, int):
            if item >= length or item < -length:
                raise IndexError(f"index {item} is out of range for InstanceData of length {length}")
            item = item + length if item < 0 else item
            item = slice(item, item + 1)
        if isinstance(item, list):
            item = np.array(item, dtype=np.int64 if not item or not isinstance(item[0], bool) else bool)
        if isinstance(item, np.ndarray):
            item = torch.from_numpy(item)
        new_data = self.__class__(metainfo=self.metainfo)
        if isinstance(item, slice):
            for k, v in self.items():
                new_data[k] = v[item]
            return new_data
        if not isinstance(item, torch.Tensor):
            raise DataElementTypeError(
                "InstanceData indices must be str, int, slice, list, numpy array or tensor, "
                f"but got {type(item).__name__}"
            )
        if item.dim() != 1:
            raise DataElementValueError(f"InstanceData index tensors must be 1-D, but got shape {tuple(item.shape)}")
        if item.dtype == torch.bool:
            if len(item) != length:
                raise DataElementValueError(
                    f"boolean index has length {len(item)}, but InstanceData has length {length}"
                )
            positions = torch.nonzero(item).view(-1)
        elif item.dtype in (torch.int64, torch.int32, torch.int16, torch.int8, torch.uint8):
            positions = item.long()
        else:
            raise DataElementTypeError(f"index tensors must be bool or integer, but got {item.dtype}")
        positions = torch.where(positions < 0, positions + length, positions)
        if len(positions) and (positions.min() < 0 or positions.max() >= length):
            raise IndexError(f"index out of range for InstanceData of length {length}")
        for k, v in self.items():
            new_data[k] = _take(k, v, positions)
        return new_data

    @staticmethod
    def cat(instances_list: Sequence[InstanceData]) -> InstanceData:
        """Concatenate InstanceData objects that have the same data fields.

        The metainfo of the first one is kept.
        """
        if not instances_list or not all(isinstance(r, InstanceData) for r in instances_list):
            raise DataElementTypeError("cat() takes a non-empty list of InstanceData")
        if len(instances_list) == 1:
            return instances_list[0]
        keys = set(instances_list[0].keys())
        for i, r in enumerate(instances_list[1:], start=1):
            if set(r.keys()) != keys:
                raise DataElementValueError(
                    f"cat() needs the same fields in every InstanceData: item 0 has {sorted(keys)}, "
                    f"item {i} has {sorted(r.keys())}"
                )
        new_data = InstanceData(metainfo=instances_list[0].metainfo)
        field_names = instances_list[0].keys()  # InstanceData is not iterable over its keys
        for k in field_names:
            values = [r[k] for r in instances_list]
            v0 = values[0]
            if isinstance(v0, torch.Tensor):
                new_value: Any = torch.cat(values, dim=0)
            elif isinstance(v0, np.ndarray):
                new_value = np.concatenate(values, axis=0)
            elif isinstance(v0, (str, list, tuple)):
                new_value = v0[:]
                for v in values[1:]:
                    new_value = new_value + v
            elif hasattr(v0, "cat"):
                new_value = type(v0).cat(values)
            else:
                raise DataElementTypeError(
                    f"cannot concatenate field {k!r} of type {type(v0).__name__}: it is not a tensor, "
                    "array, str, list or tuple and has no cat()"
                )
            new_data[k] = new_value
        return new_data

    def __len__(self) -> int:
        keys = self.keys()
        return len(getattr(self, keys[0])) if keys else 0


def _take(name: str, value: Any, positions: torch.Tensor) -> Any:
    if isinstance(value, torch.Tensor):
        return value[positions.to(value.device)]
    if isinstance(value, np.ndarray):
        return value[positions.cpu().numpy()]
    idx = positions.cpu().tolist()
    if isinstance(value, (str, list, tuple)):
        if isinstance(value, str):
            return "".join(value[i] for i in idx)
        return type(value)(value[i] for i in idx)
    if hasattr(value, "__getitem__") and hasattr(value, "cat"):
        parts = [value[i : i + 1] for i in idx] or [value[:0]]
        return type(value).cat(parts)
    raise DataElementTypeError(
        f"cannot index field {name!r} of type {type(value).__name__}: it needs __getitem__ and cat()"
    )
