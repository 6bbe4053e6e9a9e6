"""MMEngine's visualization helpers (``mmengine.visualization.utils``): argument checks, colours, canvases."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._featmap import heatmap, resize_bilinear
from ._mpl import mpl

__all__ = [
    "check_length",
    "check_type",
    "check_type_and_length",
    "color_str2rgb",
    "color_val_matplotlib",
    "convert_overlay_heatmap",
    "img_from_canvas",
    "tensor2ndarray",
    "value2list",
    "wait_continue",
]


def tensor2ndarray(value: Any) -> Any:
    """A ``torch.Tensor`` as a numpy array (detached, on the CPU); anything else unchanged."""
    if type(value).__module__.startswith("torch") and hasattr(value, "detach") and hasattr(value, "numpy"):
        return value.detach().cpu().numpy()
    return value


def value2list(value: Any, valid_type: type | tuple[type, ...], expand_dim: int) -> Any:
    """``[value] * expand_dim`` when ``value`` is a ``valid_type``; anything else (a list) unchanged."""
    if isinstance(value, valid_type):
        return [value] * expand_dim
    return value


def _type_name(valid_type: type | tuple[type, ...]) -> str:
    if isinstance(valid_type, tuple):
        return " or ".join(t.__name__ for t in valid_type)
    return valid_type.__name__


def check_type(name: str, value: Any, valid_type: type | tuple[type, ...]) -> None:
    """Raise ``TypeError`` naming the argument when ``value`` is not a ``valid_type``."""
    if not isinstance(value, valid_type):
        raise TypeError(f"`{name}` should be {_type_name(valid_type)}, but got {type(value).__name__} ({value!r})")


def check_length(name: str, value: Any, valid_length: int) -> None:
    """Raise ``AssertionError`` when ``value`` is a list shorter than ``valid_length`` (non-lists pass)."""
    if isinstance(value, list) and len(value) < valid_length:
        raise AssertionError(
            f"The length of {name} must equal with or greater than {valid_length}, but got {len(value)}")


def check_type_and_length(name: str, value: Any, valid_type: type | tuple[type, ...], valid_length: int) -> None:
    """:func:`check_type`, then :func:`check_length`."""
    check_type(name, value, valid_type)
    check_length(name, value, valid_length)


def color_val_matplotlib(colors: str | tuple | list) -> str | tuple | list:
    """Colours as matplotlib takes them: names unchanged, 0-255 RGB tuples scaled to 0-1, lists element-wise.

    Raises:
        TypeError: A colour is neither a str, a tuple nor a list.
        ValueError: A tuple is not three values in 0-255.
    """
    if isinstance(colors, str):
        return colors
    if isinstance(colors, tuple):
        if len(colors) != 3 or not all(isinstance(c, (int, float, np.integer, np.floating)) and 0 <= c <= 255
                                       for c in colors):
            raise ValueError(f"a colour tuple must be three values in 0-255, got {colors!r}")
        return tuple(c / 255 for c in colors)
    if isinstance(colors, list):
        return [color_val_matplotlib(c) for c in colors]
    raise TypeError(f"colours must be a str, a tuple or a list of them, got {type(colors).__name__}")


def color_str2rgb(color: str) -> tuple[int, int, int]:
    """A matplotlib colour name or hex string as a 0-255 RGB tuple (``"red"`` -> ``(255, 0, 0)``).

    Raises:
        ValueError: matplotlib does not know the colour.
    """
    rgb = np.array(mpl("colors").to_rgb(color)) * 255
    return tuple(int(c) for c in rgb)  # type: ignore[return-value]


def convert_overlay_heatmap(feat_map: Any, img: np.ndarray | None = None, alpha: float = 0.5) -> np.ndarray:
    """A feature map as a ``jet`` heat map (uint8 RGB), blended over ``img`` with weight ``alpha``.

    Args:
        feat_map: ``(H, W)`` or ``(1, H, W)`` array or tensor.
        img: ``(H', W', 3)`` RGB image; the map is resized to it.
        alpha: Weight of the heat map in the blend.

    Raises:
        ValueError: The map is not 2-D (or 3-D with one channel), or ``img`` is not an RGB image.
    """
    feat = np.asarray(tensor2ndarray(feat_map), dtype=np.float64)
    if feat.ndim == 3 and feat.shape[0] == 1:
        feat = feat[0]
    if feat.ndim != 2:
        raise ValueError(f"convert_overlay_heatmap: feat_map must be (H, W) or (1, H, W), got shape {feat.shape}")
    if img is not None:
        img = np.asarray(img)
        if img.ndim != 3 or img.shape[2] != 3:
            raise ValueError(f"convert_overlay_heatmap: img must be an (H, W, 3) image, got shape {img.shape}")
        if img.shape[:2] != feat.shape:
            feat = resize_bilinear(feat, img.shape[0], img.shape[1])
    return heatmap(feat, img, alpha)


def img_from_canvas(canvas: Any) -> np.ndarray:
    """The RGB pixels (uint8, ``(H, W, 3)``) of a drawn matplotlib Agg canvas."""
    buffer, (width, height) = canvas.print_to_buffer()
    rgba = np.frombuffer(buffer, dtype=np.uint8).reshape(height, width, 4)
    return rgba[..., :3].astype(np.uint8)


def wait_continue(figure: Any, timeout: float = 0, continue_key: str = " ") -> int:
    """Wait for a key press on ``figure``'s window.

    Returns:
        1 when the window was closed; 0 when ``continue_key`` was pressed or ``timeout`` seconds
        passed (``timeout <= 0`` waits without limit). With a non-interactive matplotlib backend
        (nobody can press a key) it returns 0 at once rather than hang.
    """
    backend = mpl().get_backend().lower()
    if "inline" in backend or (timeout <= 0 and backend in {"agg", "cairo", "pdf", "pgf", "ps", "svg", "template"}):
        return 0
    backend_bases = mpl("backend_bases")
    canvas = figure.canvas
    if canvas.manager is not None:
        figure.show()
    while True:
        event = None

        def handler(ev: Any) -> None:
            nonlocal event
            # a close event wins over any key pressed before it
            if not isinstance(event, backend_bases.CloseEvent):
                event = ev
            canvas.stop_event_loop()

        cids = [canvas.mpl_connect(name, handler) for name in ("key_press_event", "close_event")]
        try:
            canvas.start_event_loop(timeout)
        finally:
            for cid in cids:
                canvas.mpl_disconnect(cid)
        if isinstance(event, backend_bases.CloseEvent):
            return 1
        if event is None or event.key == continue_key or (continue_key == " " and event.key == "space"):
            return 0
