"""tensor2imgs: a batch of normalised image tensors back to uint8 arrays."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from ._errors import DLUtilsTypeError, DLUtilsValueError


def tensor2imgs(
    tensor: torch.Tensor,
    mean: Sequence[float] | None = None,
    std: Sequence[float] | None = None,
    to_bgr: bool = True,
) -> list[np.ndarray]:
    """Turn an ``(N, C, H, W)`` batch (C is 3, RGB, or 1) into ``N`` ``(H, W, C)`` uint8 images.

    Each image is denormalised as ``x * std + mean``, clipped to ``[0, 255]`` (MMEngine lets
    out-of-range values wrap around) and truncated to uint8.

    Args:
        tensor: The batch.
        mean: Per-channel mean; zeros by default.
        std: Per-channel standard deviation; ones by default.
        to_bgr: Reverse the channels of a 3-channel batch to BGR; must be False for 1 channel.

    Examples:
        >>> import torch
        >>> imgs = tensor2imgs(torch.zeros(2, 3, 4, 5), mean=(1, 2, 3), std=(1, 1, 1))
        >>> len(imgs), imgs[0].shape, imgs[0].dtype, imgs[0][0, 0].tolist()
        (2, (4, 5, 3), dtype('uint8'), [3, 2, 1])
    """
    if not isinstance(tensor, torch.Tensor) or tensor.ndim != 4:
        got = f"shape {tuple(tensor.shape)}" if isinstance(tensor, torch.Tensor) else type(tensor).__name__
        raise DLUtilsTypeError(f"tensor2imgs takes an (N, C, H, W) tensor, but got {got}")
    channels = tensor.size(1)
    if channels not in (1, 3):
        raise DLUtilsValueError(f"tensor2imgs takes 1 or 3 channels, but got {channels}")
    if channels == 1 and to_bgr:
        raise DLUtilsValueError("a 1-channel tensor has no RGB order to convert: pass to_bgr=False")
    mean_arr = np.zeros(channels, np.float32) if mean is None else np.asarray(mean, np.float32)
    std_arr = np.ones(channels, np.float32) if std is None else np.asarray(std, np.float32)
    if mean_arr.shape != (channels,) or std_arr.shape != (channels,):
        raise DLUtilsValueError(
            f"mean and std need {channels} values for {channels} channels, but got {list(mean_arr)} and {list(std_arr)}"
        )
    imgs = []
    for img in tensor.detach().cpu().float().numpy():
        img = img.transpose(1, 2, 0) * std_arr + mean_arr
        if to_bgr:
            img = img[..., ::-1]
        imgs.append(np.ascontiguousarray(np.clip(img, 0, 255).astype(np.uint8)))
    return imgs
