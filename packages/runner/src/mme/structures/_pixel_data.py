"""PixelData: per-pixel fields (segmentation maps, heat maps) that share one height and width."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from ._base_data_element import _PRIVATE, BaseDataElement
from ._errors import DataElementFieldError, DataElementTypeError, DataElementValueError


class PixelData(BaseDataElement):
    """Data fields of shape ``(C, H, W)`` that all share ``(H, W)``; a 2-D value gets ``C = 1``.

    Examples:
        >>> p = PixelData(seg=torch.zeros(4, 5))
        >>> p.seg.shape, p.shape
        (torch.Size([1, 4, 5]), (4, 5))
        >>> p[1:3, 0:2].shape
        (2, 2)
    """

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _PRIVATE:
            if hasattr(self, name):
                raise DataElementFieldError(f"{name} is a private attribute and cannot be reassigned")
            object.__setattr__(self, name, value)
            return
        if not isinstance(value, (torch.Tensor, np.ndarray)):
            raise DataElementTypeError(
                f"PixelData field {name!r} must be a tensor or numpy array, but got {type(value).__name__}"
            )
        if value.ndim not in (2, 3):
            raise DataElementValueError(
                f"PixelData field {name!r} must be 2-D (H, W) or 3-D (C, H, W), but got shape {tuple(value.shape)}"
            )
        if value.ndim == 2:
            value = value[None]
        shape = self.shape
        others = [k for k in self.keys() if k != name]
        if shape is not None and others and tuple(value.shape[-2:]) != shape:
            raise DataElementValueError(
                f"PixelData field {name!r} has height and width {tuple(value.shape[-2:])}, "
                f"but the other fields have {shape}"
            )
        super().__setattr__(name, value)

    @property
    def shape(self) -> tuple[int, int] | None:
        """``(H, W)`` of the fields, or None when there are none."""
        keys = self.keys()
        if not keys:
            return None
        return tuple(getattr(self, keys[0]).shape[-2:])  # type: ignore[return-value]

    def __getitem__(self, item: Any) -> Any:
        if isinstance(item, str):
            return getattr(self, item)
        if not isinstance(item, tuple) or len(item) != 2:
            raise DataElementTypeError(
                f"PixelData is indexed by a field name or a (height, width) pair, but got {item!r}"
            )
        shape = self.shape or (0, 0)
        parts: list[slice] = []
        for axis, single in enumerate(item):
            if isinstance(single, bool) or not isinstance(single, (int, slice)):
                raise DataElementTypeError(f"PixelData indices must be int or slice, but got {type(single).__name__}")
            if isinstance(single, int):
                size = shape[axis]
                if single >= size or single < -size:
                    raise IndexError(f"index {single} is out of range for axis of size {size}")
                single = single + size if single < 0 else single
                single = slice(single, single + 1)
            parts.append(single)
        new_data = self.__class__(metainfo=self.metainfo)
        for k, v in self.items():
            setattr(new_data, k, v[(slice(None), parts[0], parts[1])])
        return new_data

    def __len__(self) -> int:
        shape = self.shape
        return shape[0] if shape is not None else 0
