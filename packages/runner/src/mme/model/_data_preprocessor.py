"""Data preprocessors: move a batch to the model's device, normalise and stack images."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import torch
import torch.nn.functional as F
from mme.registry import MODELS
from mme.structures import BaseDataElement
from torch import nn

from ._errors import ModelTypeError, ModelValueError
from ._utils import stack_batch


@MODELS.register_module()
class BaseDataPreprocessor(nn.Module):
    """Move every tensor and data element of a batch to the preprocessor's device.

    The device follows the model: ``model.to(device)`` / ``.cuda()`` / ``.cpu()`` move it.

    Args:
        non_blocking: Copy with ``non_blocking=True`` (useful with pinned memory).
    """

    def __init__(self, non_blocking: bool = False) -> None:
        super().__init__()
        self._non_blocking = non_blocking
        self._device = torch.device("cpu")

    def cast_data(self, data: Any) -> Any:
        """Copy ``data`` (nested dicts, lists, tuples, tensors, data elements) to the device."""
        if isinstance(data, torch.Tensor):  # the common leaf first: this runs on every batch
            if data.device == self._device:  # cheaper than a no-op .to() through the dispatcher
                return data
            return data.to(self._device, non_blocking=self._non_blocking)
        if type(data) is dict:
            return {k: self.cast_data(v) for k, v in data.items()}
        if isinstance(data, Mapping):
            return type(data)({k: self.cast_data(v) for k, v in data.items()})  # type: ignore[call-arg]
        if isinstance(data, (str, bytes)) or data is None:
            return data
        if isinstance(data, tuple) and hasattr(data, "_fields"):
            return type(data)(*(self.cast_data(v) for v in data))
        if isinstance(data, Sequence):
            return type(data)(self.cast_data(v) for v in data)  # type: ignore[call-arg]
        if isinstance(data, BaseDataElement):
            return data.to(self._device, non_blocking=self._non_blocking)
        return data

    def forward(self, data: dict, training: bool = False) -> dict | list:
        """Return the batch on the device."""
        return self.cast_data(data)

    @property
    def device(self) -> torch.device:
        """The device batches are moved to."""
        return self._device

    def to(self, *args: Any, **kwargs: Any) -> BaseDataPreprocessor:
        device = torch._C._nn._parse_to(*args, **kwargs)[0]
        if device is not None:
            self._device = torch.device(device)
        return super().to(*args, **kwargs)

    def cuda(self, device: int | torch.device | None = None) -> BaseDataPreprocessor:
        if device is None:
            self._device = torch.device("cuda", torch.cuda.current_device())
        else:
            self._device = device if isinstance(device, torch.device) else torch.device("cuda", device)
        return super().cuda(device)

    def cpu(self) -> BaseDataPreprocessor:
        self._device = torch.device("cpu")
        return super().cpu()


@MODELS.register_module()
class ImgDataPreprocessor(BaseDataPreprocessor):
    """Normalise, channel-flip, pad and stack image batches.

    ``data['inputs']`` is a list of ``(C, H, W)`` tensors (stacked after padding to the largest
    size, rounded up to ``pad_size_divisor``) or an already stacked ``(N, C, H, W)`` tensor
    (padded to the divisor). Inputs are cast to float, the channel order is flipped if asked,
    then ``(x - mean) / std`` is applied.

    Args:
        mean: Per-channel mean (1 or 3 values), or None for no normalisation.
        std: Per-channel std, given together with ``mean``.
        pad_size_divisor: Pad height and width to a multiple of this.
        pad_value: Fill value of the padding.
        bgr_to_rgb: Flip BGR to RGB (3-channel inputs).
        rgb_to_bgr: Flip RGB to BGR (3-channel inputs).
        non_blocking: See :class:`BaseDataPreprocessor`.
    """

    mean: torch.Tensor
    std: torch.Tensor

    def __init__(
        self,
        mean: Sequence[float] | None = None,
        std: Sequence[float] | None = None,
        pad_size_divisor: int = 1,
        pad_value: float = 0,
        bgr_to_rgb: bool = False,
        rgb_to_bgr: bool = False,
        non_blocking: bool = False,
    ) -> None:
        super().__init__(non_blocking)
        if bgr_to_rgb and rgb_to_bgr:
            raise ModelValueError("bgr_to_rgb and rgb_to_bgr cannot both be True")
        if (mean is None) != (std is None):
            raise ModelValueError("mean and std must be given together (or both left None)")
        if mean is not None:
            if len(mean) not in (1, 3) or len(std) not in (1, 3):  # type: ignore[arg-type]
                raise ModelValueError(f"mean and std need 1 or 3 values, but got {list(mean)} and {list(std)}")  # type: ignore[arg-type]
            self._enable_normalize = True
            self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32).view(-1, 1, 1), False)
            self.register_buffer("std", torch.tensor(std, dtype=torch.float32).view(-1, 1, 1), False)
        else:
            self._enable_normalize = False
        if pad_size_divisor < 1:
            raise ModelValueError(f"pad_size_divisor must be >= 1, but got {pad_size_divisor}")
        self._channel_conversion = bgr_to_rgb or rgb_to_bgr
        self.pad_size_divisor = pad_size_divisor
        self.pad_value = pad_value

    def _convert(self, img: torch.Tensor, channel_dim: int) -> torch.Tensor:
        if self._channel_conversion and img.shape[channel_dim] == 3:
            img = img.flip(channel_dim)
        img = img.float()
        if self._enable_normalize:
            if self.mean.shape[0] == 3 and img.shape[channel_dim] != 3:
                raise ModelValueError(
                    f"mean and std have 3 values, but the input has {img.shape[channel_dim]} channels "
                    f"(shape {tuple(img.shape)})"
                )
            mean, std = (self.mean, self.std) if channel_dim == 0 else (self.mean[None], self.std[None])
            img = (img - mean) / std
        return img

    def forward(self, data: dict, training: bool = False) -> dict:
        """Return the batch with ``inputs`` normalised, padded and stacked."""
        if not isinstance(data, Mapping) or "inputs" not in data:
            raise ModelTypeError(f"ImgDataPreprocessor takes a dict with an 'inputs' key, but got {type(data).__name__}")
        data = self.cast_data(data)
        inputs = data["inputs"]
        if isinstance(inputs, torch.Tensor):
            if inputs.dim() != 4:
                raise ModelValueError(f"a stacked input batch must be (N, C, H, W), but got shape {tuple(inputs.shape)}")
            inputs = self._convert(inputs, 1)
            h, w = inputs.shape[2:]
            pad_h = math.ceil(h / self.pad_size_divisor) * self.pad_size_divisor - h
            pad_w = math.ceil(w / self.pad_size_divisor) * self.pad_size_divisor - w
            if pad_h or pad_w:
                inputs = F.pad(inputs, (0, pad_w, 0, pad_h), "constant", self.pad_value)
        elif isinstance(inputs, Sequence) and inputs and all(isinstance(t, torch.Tensor) for t in inputs):
            for t in inputs:
                if t.dim() != 3:
                    raise ModelValueError(f"each input image must be (C, H, W), but got shape {tuple(t.shape)}")
            inputs = stack_batch([self._convert(t, 0) for t in inputs], self.pad_size_divisor, self.pad_value)
        else:
            raise ModelTypeError(
                "data['inputs'] must be a (N, C, H, W) tensor or a non-empty list of (C, H, W) tensors, "
                f"but got {type(inputs).__name__}"
            )
        data = dict(data)
        data["inputs"] = inputs
        data.setdefault("data_samples", None)
        return data
