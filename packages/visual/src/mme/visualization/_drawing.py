"""Drawing primitives of the Visualizer: points, texts, lines, circles, boxes, polygons, masks."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ._checks import (
    as_rows,
    check_inside,
    check_rows_inside,
    expand,
    expand_colors,
    to_numpy,
    to_rgb255,
)
from ._errors import DrawArgumentError
from ._mpl import mpl

if TYPE_CHECKING:
    from ._canvas import Canvas

_NUM = (int, float, np.integer, np.floating)


class DrawingMixin:
    """The ``draw_*`` methods; coordinates are pixels, ``x`` to the right and ``y`` down.

    Every method checks its arguments before drawing and raises ``DrawArgumentError`` (a
    ``ValueError``) naming the method, the argument and the offending item when a shape is wrong
    or a coordinate lies outside the image.
    """

    _canvas: Canvas

    def _require_image(self, method: str) -> None:  # overridden by Visualizer
        raise NotImplementedError

    @property
    def _size(self) -> tuple[int, int]:
        return self._canvas.width, self._canvas.height

    def draw_points(self, positions: Any, colors: Any = "g", marker: str | None = None, sizes: Any = None) -> None:
        """Draw points.

        Args:
            positions: ``(N, 2)`` or ``(2,)`` x, y coordinates.
            colors: A color (name, hex or 0-255 RGB tuple) or one per point.
            marker: A matplotlib marker (``"o"`` by default).
            sizes: Marker areas in points squared, one number or one per point.
        """
        self._require_image("draw_points")
        points = as_rows(positions, 2, "draw_points: positions")
        check_inside(points, *self._size, "draw_points: positions")
        n = len(points)
        colors_ = expand_colors(colors, n, "draw_points: colors")
        sizes_ = None if sizes is None else expand(sizes, n, "draw_points: sizes", _NUM)
        self._canvas.axes.scatter(points[:, 0], points[:, 1], c=colors_, s=sizes_, marker=marker or "o")

    def draw_texts(
        self,
        texts: str | list[str],
        positions: Any,
        font_sizes: Any = None,
        colors: Any = "g",
        vertical_alignments: str | list[str] = "top",
        horizontal_alignments: str | list[str] = "left",
        font_families: str | list[str] = "sans-serif",
        bboxes: dict[str, Any] | list[dict[str, Any]] | None = None,
        font_properties: Any = None,
    ) -> None:
        """Draw texts, each anchored at its position.

        Args:
            texts: One string or a list of them.
            positions: ``(N, 2)`` or ``(2,)`` anchor coordinates.
            font_sizes: Font size(s) in points (matplotlib's default if ``None``).
            colors: A color or one per text.
            vertical_alignments: ``"top"``, ``"center"``, ``"baseline"`` or ``"bottom"``, or one per text.
            horizontal_alignments: ``"left"``, ``"center"`` or ``"right"``, or one per text.
            font_families: Font family, or one per text.
            bboxes: A matplotlib ``bbox`` dict (background box), or one per text.
            font_properties: A ``matplotlib.font_manager.FontProperties``, or one per text.
        """
        self._require_image("draw_texts")
        texts_ = [texts] if isinstance(texts, str) else texts
        if not isinstance(texts_, (list, tuple)) or not all(isinstance(t, str) for t in texts_):
            raise DrawArgumentError(f"draw_texts: texts must be a string or a list of strings, got {texts!r}")
        points = as_rows(positions, 2, "draw_texts: positions")
        if len(points) != len(texts_):
            raise DrawArgumentError(f"draw_texts: got {len(texts_)} texts but {len(points)} positions")
        check_inside(points, *self._size, "draw_texts: positions")
        n = len(texts_)
        sizes = expand(font_sizes, n, "draw_texts: font_sizes", (*_NUM, type(None)))
        colors_ = expand_colors(colors, n, "draw_texts: colors")
        valign = expand(vertical_alignments, n, "draw_texts: vertical_alignments", str)
        halign = expand(horizontal_alignments, n, "draw_texts: horizontal_alignments", str)
        families = expand(font_families, n, "draw_texts: font_families", str)
        boxes = bboxes if isinstance(bboxes, list) else [bboxes] * n
        if len(boxes) != n:
            raise DrawArgumentError(f"draw_texts: got {len(boxes)} bboxes for {n} texts")
        props = font_properties if isinstance(font_properties, list) else [font_properties] * n
        if len(props) != n:
            raise DrawArgumentError(f"draw_texts: got {len(props)} font_properties for {n} texts")
        for i, text in enumerate(texts_):
            self._canvas.axes.text(
                points[i, 0],
                points[i, 1],
                text,
                size=sizes[i],
                color=colors_[i],
                va=valign[i],
                ha=halign[i],
                family=families[i],
                bbox=boxes[i],
                fontproperties=props[i],
            )

    def draw_lines(
        self, x_datas: Any, y_datas: Any, colors: Any = "g", line_styles: Any = "-", line_widths: Any = 2
    ) -> None:
        """Draw line segments from ``(x_datas[i, 0], y_datas[i, 0])`` to ``(x_datas[i, 1], y_datas[i, 1])``.

        Args:
            x_datas: ``(N, 2)`` or ``(2,)`` start and end x coordinates.
            y_datas: Same shape as ``x_datas``, y coordinates.
            colors: A color or one per line.
            line_styles: ``"-"``, ``"--"``, ``"-."``, ``":"`` or one per line.
            line_widths: Width(s) in points.
        """
        self._require_image("draw_lines")
        xs = as_rows(x_datas, 2, "draw_lines: x_datas")
        ys = as_rows(y_datas, 2, "draw_lines: y_datas")
        if xs.shape != ys.shape:
            raise DrawArgumentError(f"draw_lines: x_datas {xs.shape} and y_datas {ys.shape} must have the same shape")
        segments = np.stack([xs, ys], axis=-1)  # (N, 2 points, xy)
        check_rows_inside(segments.reshape(len(segments), 4), *self._size, "draw_lines: line")
        n = len(segments)
        self._canvas.axes.add_collection(
            mpl("collections").LineCollection(
                list(segments),
                colors=expand_colors(colors, n, "draw_lines: colors"),
                linestyles=expand(line_styles, n, "draw_lines: line_styles", str),
                linewidths=expand(line_widths, n, "draw_lines: line_widths", _NUM),
            )
        )

    def draw_circles(
        self,
        center: Any,
        radius: Any,
        edge_colors: Any = "g",
        line_styles: Any = "-",
        line_widths: Any = 2,
        face_colors: Any = "none",
        alpha: float = 1.0,
    ) -> None:
        """Draw circles.

        Args:
            center: ``(N, 2)`` or ``(2,)`` centres (inside the image).
            radius: ``(N,)`` radii or one radius (> 0).
            edge_colors: A color or one per circle.
            line_styles: Line style(s).
            line_widths: Line width(s) in points.
            face_colors: Fill color(s); ``"none"`` for no fill.
            alpha: Opacity in [0, 1].
        """
        self._require_image("draw_circles")
        centers = as_rows(center, 2, "draw_circles: center")
        check_inside(centers, *self._size, "draw_circles: center")
        radii = to_numpy(radius, "draw_circles: radius").reshape(-1)
        if radii.size == 1:
            radii = np.repeat(radii, len(centers))
        if radii.shape != (len(centers),):
            raise DrawArgumentError(f"draw_circles: got {radii.size} radii for {len(centers)} circles")
        if (radii <= 0).any():
            raise DrawArgumentError(f"draw_circles: radius must be > 0, got {radii.tolist()}")
        circles = [mpl("patches").Circle((float(x), float(y)), float(r)) for (x, y), r in zip(centers, radii)]
        self._add_patches(circles, "draw_circles", edge_colors, line_styles, line_widths, face_colors, alpha)

    def draw_bboxes(
        self,
        bboxes: Any,
        edge_colors: Any = "g",
        line_styles: Any = "-",
        line_widths: Any = 2,
        face_colors: Any = "none",
        alpha: float = 1.0,
    ) -> None:
        """Draw axis-aligned boxes.

        Args:
            bboxes: ``(N, 4)`` or ``(4,)`` boxes as ``x1, y1, x2, y2`` with ``x1 <= x2`` and ``y1 <= y2``.
            edge_colors: A color or one per box.
            line_styles: Line style(s).
            line_widths: Line width(s) in points.
            face_colors: Fill color(s); ``"none"`` for no fill.
            alpha: Opacity in [0, 1].
        """
        self._require_image("draw_bboxes")
        boxes = as_rows(bboxes, 4, "draw_bboxes: bboxes")
        bad = np.flatnonzero((boxes[:, 2] < boxes[:, 0]) | (boxes[:, 3] < boxes[:, 1]))
        if bad.size:
            raise DrawArgumentError(
                f"draw_bboxes: bboxes[{bad[0]}] = {boxes[bad[0]].tolist()} is not x1, y1, x2, y2 with x1 <= x2, y1 <= y2"
            )
        check_rows_inside(boxes, *self._size, "draw_bboxes: bboxes")
        polygons = [np.array([[x1, y1], [x2, y1], [x2, y2], [x1, y2]]) for x1, y1, x2, y2 in boxes]
        self._add_polygons(polygons, "draw_bboxes", edge_colors, line_styles, line_widths, face_colors, alpha)

    def draw_polygons(
        self,
        polygons: Any,
        edge_colors: Any = "g",
        line_styles: Any = "-",
        line_widths: Any = 2,
        face_colors: Any = "none",
        alpha: float = 1.0,
    ) -> None:
        """Draw closed polygons.

        Args:
            polygons: One ``(K, 2)`` array of vertices, or a list of them (K >= 3).
            edge_colors: A color or one per polygon.
            line_styles: Line style(s).
            line_widths: Line width(s) in points.
            face_colors: Fill color(s); ``"none"`` for no fill.
            alpha: Opacity in [0, 1].
        """
        self._require_image("draw_polygons")
        if isinstance(polygons, (list, tuple)) and polygons and np.ndim(polygons[0]) == 2:
            items = list(polygons)
        else:
            items = [polygons]
        arrays = []
        for i, poly in enumerate(items):
            array = to_numpy(poly, f"draw_polygons: polygons[{i}]")
            if array.ndim != 2 or array.shape[1] != 2 or array.shape[0] < 3:
                raise DrawArgumentError(
                    f"draw_polygons: polygons[{i}] must have shape (K, 2) with K >= 3, got {tuple(array.shape)}"
                )
            check_rows_inside(array.reshape(1, -1), *self._size, f"draw_polygons: polygons[{i}] vertices")
            arrays.append(array)
        self._add_polygons(arrays, "draw_polygons", edge_colors, line_styles, line_widths, face_colors, alpha)

    def draw_binary_masks(self, binary_masks: Any, colors: Any = "g", alphas: Any = 0.8) -> None:
        """Blend colored binary masks into the image.

        Args:
            binary_masks: ``(H, W)`` or ``(N, H, W)`` boolean (or 0/1) masks the size of the image.
            colors: A color or one per mask.
            alphas: Opacity in [0, 1], one number or one per mask.
        """
        self._require_image("draw_binary_masks")
        masks = binary_masks.detach().cpu().numpy() if hasattr(binary_masks, "detach") else np.asarray(binary_masks)
        given = masks.shape
        if masks.ndim == 2:
            masks = masks[None]
        width, height = self._size
        if masks.ndim != 3 or masks.shape[1:] != (height, width):
            raise DrawArgumentError(
                f"draw_binary_masks: binary_masks must have shape (H, W) or (N, H, W) with H, W = {height}, {width} "
                f"(the image size), got {given}"
            )
        if masks.dtype != np.bool_:
            if not np.isin(masks, (0, 1)).all():
                raise DrawArgumentError("draw_binary_masks: binary_masks must be boolean or hold only 0 and 1")
            masks = masks.astype(bool)
        n = len(masks)
        rgb = [to_rgb255(c, "draw_binary_masks: colors") for c in _color_list(colors, n, "draw_binary_masks: colors")]
        alpha_list = expand(alphas, n, "draw_binary_masks: alphas", _NUM)
        for a in alpha_list:
            if not 0 <= a <= 1:
                raise DrawArgumentError(f"draw_binary_masks: alphas must lie in [0, 1], got {a}")
        image = self._canvas.render().astype(np.float64)
        for mask, color, a in zip(masks, rgb, alpha_list):
            image[mask] = image[mask] * (1 - a) + color * a
        self._canvas.set_image(np.clip(np.round(image), 0, 255).astype(np.uint8))

    # ------------------------------------------------------------------ helpers
    def _style(
        self, method: str, n: int, edge_colors: Any, line_styles: Any, line_widths: Any, face_colors: Any, alpha: float
    ) -> dict[str, Any]:
        if not isinstance(alpha, _NUM) or not 0 <= alpha <= 1:
            raise DrawArgumentError(f"{method}: alpha must be a number in [0, 1], got {alpha!r}")
        return {
            "edgecolors": expand_colors(edge_colors, n, f"{method}: edge_colors"),
            "facecolors": expand_colors(face_colors, n, f"{method}: face_colors"),
            "linestyles": expand(line_styles, n, f"{method}: line_styles", str),
            "linewidths": expand(line_widths, n, f"{method}: line_widths", _NUM),
            "alpha": float(alpha),
        }

    def _add_patches(self, patches: list[Any], method: str, *style: Any) -> None:
        kwargs = self._style(method, len(patches), *style)
        self._canvas.axes.add_collection(mpl("collections").PatchCollection(patches, match_original=False, **kwargs))

    def _add_polygons(self, polygons: list[np.ndarray], method: str, *style: Any) -> None:
        kwargs = self._style(method, len(polygons), *style)
        self._canvas.axes.add_collection(mpl("collections").PolyCollection(polygons, closed=True, **kwargs))


def _color_list(colors: Any, n: int, what: str) -> list[Any]:
    if isinstance(colors, (str, tuple)):
        return [colors] * n
    if isinstance(colors, list):
        if len(colors) == 1:
            return colors * n
        if len(colors) != n:
            raise DrawArgumentError(f"{what}: got {len(colors)} colors for {n} masks")
        return colors
    raise DrawArgumentError(f"{what}: expected a color or a list of colors, got {colors!r}")
