"""Argument checks and conversions shared by the drawing methods."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ._errors import DrawArgumentError
from ._mpl import mpl

ColorType = str | tuple[int, int, int] | tuple[int, int, int, int]


def to_numpy(value: Any, what: str) -> np.ndarray:
    """Turn an array-like (list, numpy array, torch tensor) into a float numpy array."""
    if hasattr(value, "detach") and hasattr(value, "cpu"):  # a torch tensor, without importing torch
        value = value.detach().cpu().numpy()
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise DrawArgumentError(f"{what} must be numeric array-like, got {type(value).__name__}") from exc
    if not np.all(np.isfinite(array)):
        raise DrawArgumentError(f"{what} contains NaN or infinite values")
    return array


def as_rows(value: Any, width: int, what: str) -> np.ndarray:
    """Return ``value`` as an ``(N, width)`` array; a single row of ``width`` numbers is allowed."""
    array = to_numpy(value, what)
    if array.ndim == 1 and array.shape[0] == width:
        array = array[None]
    if array.ndim != 2 or array.shape[1] != width:
        raise DrawArgumentError(f"{what} must have shape (N, {width}) or ({width},), got {tuple(array.shape)}")
    return array


def check_inside(points: np.ndarray, width: int, height: int, what: str) -> None:
    """Raise if any ``(x, y)`` row of ``points`` lies outside the ``width`` x ``height`` image."""
    outside = (points[:, 0] < 0) | (points[:, 0] > width) | (points[:, 1] < 0) | (points[:, 1] > height)
    if outside.any():
        index = int(np.flatnonzero(outside)[0])
        raise DrawArgumentError(
            f"{what}[{index}] = {points[index].tolist()} lies outside the {width}x{height} image (x in [0, {width}], y in [0, {height}])"
        )


def check_rows_inside(rows: np.ndarray, width: int, height: int, what: str) -> None:
    """Raise if any item of ``rows`` (each row holds x, y pairs) has a point outside the image."""
    for index, row in enumerate(rows):
        points = row.reshape(-1, 2)
        outside = (points[:, 0] < 0) | (points[:, 0] > width) | (points[:, 1] < 0) | (points[:, 1] > height)
        if outside.any():
            raise DrawArgumentError(
                f"{what}[{index}] = {row.tolist()} lies outside the {width}x{height} image "
                f"(x in [0, {width}], y in [0, {height}])"
            )


def to_mpl_color(color: Any, what: str) -> str | tuple[float, ...]:
    """Convert a color name, hex string or 0-255 RGB(A) tuple into a matplotlib color."""
    if isinstance(color, str):
        if color.lower() == "none":
            return "none"
        if not mpl("colors").is_color_like(color):
            raise DrawArgumentError(f"{what}: {color!r} is not a color name or hex string matplotlib knows")
        return color
    if isinstance(color, (tuple, list, np.ndarray)) and len(color) in (3, 4):
        values = [float(c) for c in color]
        if any(v < 0 or v > 255 for v in values):
            raise DrawArgumentError(f"{what}: color values must lie in [0, 255], got {tuple(color)}")
        return tuple(v / 255 for v in values)
    raise DrawArgumentError(f"{what}: expected a color name or an (R, G, B) tuple of 0-255 values, got {color!r}")


def to_rgb255(color: Any, what: str) -> np.ndarray:
    """Convert a color into a float array of three 0-255 values."""
    mpl_color = to_mpl_color(color, what)
    if mpl_color == "none":
        raise DrawArgumentError(f"{what}: 'none' is not allowed here")
    return np.asarray(mpl("colors").to_rgb(mpl_color), dtype=np.float64) * 255


def expand_colors(colors: Any, count: int, what: str) -> list[str | tuple[float, ...]]:
    """One matplotlib color per item: a single color (str or tuple) is repeated, a list is per item."""
    if isinstance(colors, (str, tuple)):
        return [to_mpl_color(colors, what)] * count
    if isinstance(colors, list):
        if len(colors) == 1:
            return [to_mpl_color(colors[0], what)] * count
        if len(colors) != count:
            raise DrawArgumentError(f"{what}: got {len(colors)} colors for {count} items")
        return [to_mpl_color(c, f"{what}[{i}]") for i, c in enumerate(colors)]
    raise DrawArgumentError(f"{what}: expected a color, or a list of colors, got {type(colors).__name__}")


def expand(value: Any, count: int, what: str, kind: type | tuple[type, ...]) -> list[Any]:
    """One value per item: a scalar of type ``kind`` is repeated, a sequence must have ``count`` items."""
    if isinstance(value, kind):
        return [value] * count
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, Sequence) and not isinstance(value, str):
        items = list(value)
        if len(items) == 1:
            items = items * count
        if len(items) != count:
            raise DrawArgumentError(f"{what}: got {len(items)} values for {count} items")
        for i, item in enumerate(items):
            if not isinstance(item, kind):
                raise DrawArgumentError(f"{what}[{i}] must be {_kind_name(kind)}, got {item!r}")
        return items
    raise DrawArgumentError(f"{what} must be {_kind_name(kind)} or a list of them, got {value!r}")


def _kind_name(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(k.__name__ for k in kinds)


def check_image(image: Any, what: str = "image") -> np.ndarray:
    """Validate an image and return it as a contiguous ``(H, W, 3)`` uint8 RGB array.

    Accepts ``(H, W)`` grayscale, ``(H, W, 1)``, ``(H, W, 3)`` RGB and ``(H, W, 4)`` RGBA (alpha
    dropped). Float images are clipped to [0, 255] before the cast.
    """
    if hasattr(image, "detach") and hasattr(image, "cpu"):
        image = image.detach().cpu().numpy()
    if not isinstance(image, np.ndarray):
        raise DrawArgumentError(f"{what} must be a numpy array, got {type(image).__name__}")
    if image.ndim == 2:
        image = image[..., None]
    if image.ndim != 3 or image.shape[2] not in (1, 3, 4):
        raise DrawArgumentError(f"{what} must have shape (H, W), (H, W, 1), (H, W, 3) or (H, W, 4), got {image.shape}")
    if image.shape[0] == 0 or image.shape[1] == 0:
        raise DrawArgumentError(f"{what} is empty: shape {image.shape}")
    if image.shape[2] == 1:
        image = np.repeat(image, 3, axis=2)
    elif image.shape[2] == 4:
        image = image[..., :3]
    if image.dtype != np.uint8:
        if image.dtype == np.bool_ or not np.issubdtype(image.dtype, np.number):
            raise DrawArgumentError(f"{what} must hold numbers, got dtype {image.dtype}")
        image = np.clip(image, 0, 255).astype(np.uint8)
    return np.ascontiguousarray(image)
