"""A matplotlib figure sized pixel-for-pixel to an image, rendered with the Agg backend.

No pyplot: the figure and its Agg canvas are created directly, so drawing touches no global
matplotlib state and needs no display. They are created on first use, so a Visualizer that only
records scalars never imports matplotlib.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

import numpy as np

from ._checks import check_image
from ._mpl import mpl

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure


class Canvas:
    """An image with a matplotlib axes laid exactly over it.

    Data coordinates are pixel coordinates: ``x`` in ``[0, width]`` from the left, ``y`` in
    ``[0, height]`` from the top; pixel ``(i, j)`` covers ``[j, j+1] x [i, i+1]``.

    Args:
        fig_cfg: Keyword arguments of ``matplotlib.figure.Figure``.
    """

    def __init__(self, fig_cfg: dict[str, Any] | None = None) -> None:
        self._fig_cfg = dict(fig_cfg) if fig_cfg else {}
        self._fig_cfg.setdefault("frameon", False)
        self._image: np.ndarray | None = None

    @functools.cached_property
    def _parts(self) -> tuple[Figure, FigureCanvasAgg, Axes]:
        figure = mpl("figure").Figure(**self._fig_cfg)
        agg = mpl("backends.backend_agg").FigureCanvasAgg(figure)
        axes = figure.add_axes((0, 0, 1, 1))
        axes.axis("off")
        return figure, agg, axes

    @property
    def figure(self) -> Figure:
        """The figure, created with its Agg canvas and axes on first use."""
        return self._parts[0]

    @property
    def axes(self) -> Axes:
        """The axes covering the whole figure."""
        return self._parts[2]

    @property
    def width(self) -> int:
        """Width in pixels of the current image (0 before one is set)."""
        return 0 if self._image is None else int(self._image.shape[1])

    @property
    def height(self) -> int:
        """Height in pixels of the current image (0 before one is set)."""
        return 0 if self._image is None else int(self._image.shape[0])

    @property
    def has_image(self) -> bool:
        """Whether an image has been set."""
        return self._image is not None

    def set_image(self, image: Any) -> None:
        """Replace the canvas content with ``image`` (RGB) and drop everything drawn so far."""
        image = check_image(image)
        self._image = image
        height, width = image.shape[:2]
        self.axes.cla()
        self.axes.axis("off")
        dpi = self.figure.get_dpi()
        # The small epsilon keeps int(width_in * dpi) from rounding one pixel short.
        self.figure.set_size_inches((width + 1e-2) / dpi, (height + 1e-2) / dpi)
        self.axes.imshow(image, extent=(0, width, height, 0), interpolation="none", aspect="auto")
        self.axes.set_xlim(0, width)
        self.axes.set_ylim(height, 0)

    def render(self) -> np.ndarray:
        """Render the figure and return it as an ``(H, W, 3)`` uint8 RGB array of the image's size."""
        if self._image is None:
            raise RuntimeError("no image has been set; call set_image first")
        agg = self._parts[1]
        agg.draw()
        buffer = np.asarray(agg.buffer_rgba())
        rgb = np.array(buffer[..., :3], dtype=np.uint8)
        height, width = self._image.shape[:2]
        if rgb.shape[:2] != (height, width):  # defensive: a DPI that does not divide evenly
            out = np.zeros((height, width, 3), dtype=np.uint8)
            h, w = min(height, rgb.shape[0]), min(width, rgb.shape[1])
            out[:h, :w] = rgb[:h, :w]
            rgb = out
        return rgb

    def close(self) -> None:
        """Drop the figure's artists."""
        if "_parts" in self.__dict__:  # else the figure was never created
            self.figure.clear()
        self._image = None
