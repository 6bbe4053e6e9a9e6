"""LabelData: sample-level labels, with one-hot conversion helpers."""

from __future__ import annotations

import torch

from ._base_data_element import BaseDataElement
from ._errors import DataElementTypeError, DataElementValueError


class LabelData(BaseDataElement):
    """Data fields for sample-level labels (classification labels, scores, ...)."""

    @staticmethod
    def onehot_to_label(onehot: torch.Tensor) -> torch.Tensor:
        """Turn a one-hot (or multi-hot) 1-D tensor into the 1-D tensor of its positive indices.

        Examples:
            >>> LabelData.onehot_to_label(torch.tensor([0, 1, 0, 1]))
            tensor([1, 3])
        """
        if not isinstance(onehot, torch.Tensor):
            raise DataElementTypeError(f"onehot must be a tensor, but got {type(onehot).__name__}")
        if onehot.ndim != 1:
            raise DataElementValueError(f"onehot must be 1-D, but got shape {tuple(onehot.shape)}")
        if onehot.numel() and (onehot.max().item() > 1 or onehot.min().item() < 0):
            raise DataElementValueError("onehot values must be 0 or 1")
        return torch.nonzero(onehot).view(-1)

    @staticmethod
    def label_to_onehot(label: torch.Tensor, num_classes: int) -> torch.Tensor:
        """Turn a 1-D tensor of class indices into a one-hot tensor of length ``num_classes``.

        Examples:
            >>> LabelData.label_to_onehot(torch.tensor([1, 3]), 4)
            tensor([0, 1, 0, 1])
        """
        if not isinstance(label, torch.Tensor):
            raise DataElementTypeError(f"label must be a tensor, but got {type(label).__name__}")
        if label.ndim != 1:
            raise DataElementValueError(f"label must be 1-D, but got shape {tuple(label.shape)}")
        if label.is_floating_point():
            raise DataElementTypeError(f"label must hold integer class indices, but got {label.dtype}")
        if label.numel() and (label.max().item() >= num_classes or label.min().item() < 0):
            raise DataElementValueError(
                f"labels must lie in [0, {num_classes}), but got {label.tolist()}"
            )
        onehot = label.new_zeros((num_classes,))
        onehot[label] = 1
        return onehot
