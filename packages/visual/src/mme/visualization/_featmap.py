"""Feature-map rendering: channel reduction, top-k channels, heat-map overlay and tiling."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ._canvas import Canvas
from ._checks import check_image
from ._errors import DrawArgumentError
from ._mpl import mpl

CHANNEL_REDUCTIONS = ("squeeze_mean", "select_max")


def resize_bilinear(array: np.ndarray, height: int, width: int) -> np.ndarray:
    """Resize a ``(H, W)`` or ``(H, W, C)`` float array with bilinear interpolation (align_corners=False)."""
    src_h, src_w = array.shape[:2]
    if (src_h, src_w) == (height, width):
        return array.astype(np.float64, copy=True)

    def coords(dst: int, src: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        pos = np.clip((np.arange(dst) + 0.5) * (src / dst) - 0.5, 0, src - 1)
        low = np.floor(pos).astype(np.int64)
        high = np.minimum(low + 1, src - 1)
        return low, high, pos - low

    y0, y1, wy = coords(height, src_h)
    x0, x1, wx = coords(width, src_w)
    a = array.astype(np.float64)
    if a.ndim == 3:
        wy, wx = wy[:, None, None], wx[None, :, None]
    else:
        wy, wx = wy[:, None], wx[None, :]
    top = a[y0][:, x0] * (1 - wx) + a[y0][:, x1] * wx
    bottom = a[y1][:, x0] * (1 - wx) + a[y1][:, x1] * wx
    return top * (1 - wy) + bottom * wy


def heatmap(feat: np.ndarray, overlay: np.ndarray | None, alpha: float) -> np.ndarray:
    """Normalise a 2-D map to [0, 255], color it with the ``jet`` map and blend it over ``overlay``."""
    low, high = float(feat.min()), float(feat.max())
    norm = (feat - low) / (high - low) if high > low else np.zeros_like(feat)
    colored = mpl().colormaps["jet"](norm)[..., :3] * 255
    if overlay is not None:
        colored = overlay.astype(np.float64) * (1 - alpha) + colored * alpha
    return np.clip(colored, 0, 255).astype(np.uint8)


def _feat_to_numpy(featmap: Any) -> np.ndarray:
    if hasattr(featmap, "detach") and hasattr(featmap, "cpu"):
        featmap = featmap.detach().float().cpu().numpy()
    if not isinstance(featmap, np.ndarray):
        raise DrawArgumentError(
            f"draw_featmap: featmap must be a torch.Tensor or numpy array, got {type(featmap).__name__}"
        )
    if featmap.ndim != 3:
        raise DrawArgumentError(f"draw_featmap: featmap must have shape (C, H, W), got {featmap.shape}")
    if featmap.size == 0:
        raise DrawArgumentError(f"draw_featmap: featmap is empty: shape {featmap.shape}")
    return featmap.astype(np.float64)


def draw_featmap(
    featmap: Any,
    overlaid_image: np.ndarray | None = None,
    channel_reduction: str | None = "squeeze_mean",
    topk: int = 20,
    arrangement: tuple[int, int] = (4, 5),
    resize_shape: tuple[int, int] | None = None,
    alpha: float = 0.5,
) -> np.ndarray:
    """Render a ``(C, H, W)`` feature map as an RGB image; see ``Visualizer.draw_featmap``."""
    feat = _feat_to_numpy(featmap)
    if channel_reduction is not None and channel_reduction not in CHANNEL_REDUCTIONS:
        raise DrawArgumentError(
            f"draw_featmap: channel_reduction must be one of {CHANNEL_REDUCTIONS} or None, got {channel_reduction!r}"
        )
    if not 0 <= alpha <= 1:
        raise DrawArgumentError(f"draw_featmap: alpha must lie in [0, 1], got {alpha}")
    if resize_shape is not None:
        if len(resize_shape) != 2 or any(int(s) <= 0 for s in resize_shape):
            raise DrawArgumentError(f"draw_featmap: resize_shape must be (height, width) > 0, got {resize_shape}")
        resize_shape = (int(resize_shape[0]), int(resize_shape[1]))

    overlay = None
    if overlaid_image is not None:
        overlay = check_image(overlaid_image, "draw_featmap: overlaid_image")
        if resize_shape is not None:
            overlay = resize_bilinear(overlay, *resize_shape).round().astype(np.uint8)
    target = resize_shape or (overlay.shape[:2] if overlay is not None else feat.shape[1:])

    def one(channel: np.ndarray) -> np.ndarray:
        return heatmap(resize_bilinear(channel, *target), overlay, alpha)

    if channel_reduction == "squeeze_mean":
        return one(feat.mean(axis=0))
    if channel_reduction == "select_max":
        return one(feat[int(np.argmax(feat.sum(axis=(1, 2))))])
    if topk <= 0:
        channels = feat.shape[0]
        if channels == 1:
            return one(feat[0])
        if channels == 3:
            rgb = resize_bilinear(np.transpose(feat, (1, 2, 0)), *target)
            low, high = float(rgb.min()), float(rgb.max())
            rgb = (rgb - low) / (high - low) * 255 if high > low else np.zeros_like(rgb)
            if overlay is not None:
                rgb = overlay * (1 - alpha) + rgb * alpha
            return np.clip(rgb, 0, 255).astype(np.uint8)
        raise DrawArgumentError(
            "draw_featmap: with channel_reduction=None and topk <= 0 the featmap must have 1 or 3 channels, "
            f"got {channels}"
        )
    return _topk_grid(feat, overlay, alpha, topk, arrangement, target)


def _topk_grid(
    feat: np.ndarray,
    overlay: np.ndarray | None,
    alpha: float,
    topk: int,
    arrangement: tuple[int, int],
    target: tuple[int, int],
) -> np.ndarray:
    """Tile the ``topk`` channels with the largest total activation into a labelled grid."""
    if len(arrangement) != 2 or any(int(a) <= 0 for a in arrangement):
        raise DrawArgumentError(f"draw_featmap: arrangement must be (rows, cols) > 0, got {arrangement}")
    rows, cols = int(arrangement[0]), int(arrangement[1])
    count = min(topk, feat.shape[0], rows * cols)
    order = np.argsort(-feat.sum(axis=(1, 2)), kind="stable")[:count]
    if rows * cols > count:  # shrink the grid to what is shown, keeping the column count
        cols = min(cols, count)
        rows = math.ceil(count / cols)
    height, width = target
    gap = 2
    grid = np.full((rows * height + (rows - 1) * gap, cols * width + (cols - 1) * gap, 3), 255, dtype=np.uint8)
    for slot, channel in enumerate(order):
        r, c = divmod(slot, cols)
        y, x = r * (height + gap), c * (width + gap)
        grid[y : y + height, x : x + width] = heatmap(resize_bilinear(feat[channel], height, width), overlay, alpha)
    canvas = Canvas()
    canvas.set_image(grid)
    font = max(6, min(12, height // 6))
    for slot, channel in enumerate(order):
        r, c = divmod(slot, cols)
        canvas.axes.text(
            c * (width + gap) + 1,
            r * (height + gap) + 1,
            f"ch {int(channel)}",
            color="white",
            fontsize=font,
            va="top",
            ha="left",
        )
    image = canvas.render()
    canvas.close()
    return image
