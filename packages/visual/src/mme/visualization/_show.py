"""Showing an image in a window, when there is a display and an interactive matplotlib backend."""

from __future__ import annotations

import logging
import os
import sys
from typing import Any

import numpy as np

logger = logging.getLogger(__name__)

_NON_INTERACTIVE = {"agg", "cairo", "pdf", "pgf", "ps", "svg", "template"}


def has_display() -> bool:
    """Whether a window can be opened: always on macOS and Windows, else needs DISPLAY or WAYLAND_DISPLAY."""
    if sys.platform in ("darwin", "win32"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def _requested_backend() -> str:
    """matplotlib's configured backend, without triggering its automatic selection."""
    import matplotlib

    env = os.environ.get("MPLBACKEND")
    if env:
        return env.lower()
    raw_get = getattr(matplotlib.rcParams, "_get", None)  # the raw value; may be the auto sentinel
    backend = raw_get("backend") if callable(raw_get) else matplotlib.rcParams["backend"]
    return str(backend).lower()


def show_image(image: np.ndarray, win_name: str, wait_time: float, continue_key: str, fig_cfg: dict[str, Any]) -> bool:
    """Show ``image`` with pyplot; return ``False`` without opening anything when that is impossible."""
    if not has_display():
        logger.info("show(%r) skipped: no display is available", win_name)
        return False
    if _requested_backend() in _NON_INTERACTIVE:
        logger.info("show(%r) skipped: matplotlib backend %s is not interactive", win_name, _requested_backend())
        return False
    from matplotlib import pyplot as plt  # only here: importing pyplot picks a GUI backend

    if plt.get_backend().lower() in _NON_INTERACTIVE:
        logger.info("show(%r) skipped: matplotlib backend %s is not interactive", win_name, plt.get_backend())
        return False
    height, width = image.shape[:2]
    fig = plt.figure(win_name, **fig_cfg)
    dpi = fig.get_dpi()
    fig.set_size_inches((width + 1e-2) / dpi, (height + 1e-2) / dpi)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.axis("off")
    ax.imshow(image)
    if fig.canvas.manager is not None:
        fig.canvas.manager.set_window_title(win_name)
    if wait_time > 0:
        plt.show(block=False)
        plt.pause(wait_time)
    else:

        def on_key(event: Any) -> None:
            if event.key == continue_key or (continue_key == " " and event.key == "space"):
                plt.close(fig)

        fig.canvas.mpl_connect("key_press_event", on_key)
        plt.show(block=True)
    plt.close(fig)
    return True
