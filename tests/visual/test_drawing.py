"""Drawing methods on small images: the pixels change where expected, bad input raises."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from mme.visualization import DrawArgumentError, Visualizer

RED = np.array([255, 0, 0])


def changed(before: np.ndarray, after: np.ndarray) -> np.ndarray:
    """Boolean (H, W) map of the pixels that differ."""
    return (before != after).any(axis=-1)


def test_set_and_get_image_round_trip(vis, image):
    image[5, 7] = (10, 20, 30)
    vis.set_image(image)
    assert np.array_equal(vis.get_image(), image)
    assert (vis.width, vis.height) == (64, 48)


@pytest.mark.parametrize(
    ("given", "shape"),
    [
        (np.zeros((10, 12), dtype=np.uint8), (10, 12, 3)),
        (np.zeros((10, 12, 1), dtype=np.uint8), (10, 12, 3)),
        (np.zeros((10, 12, 4), dtype=np.uint8), (10, 12, 3)),
        (np.full((10, 12, 3), 300.0), (10, 12, 3)),
    ],
)
def test_set_image_converts_formats(vis, given, shape):
    vis.set_image(given)
    out = vis.get_image()
    assert out.shape == shape and out.dtype == np.uint8


@pytest.mark.parametrize("bad", [np.zeros((4, 4, 2)), np.zeros((2, 3, 4, 3)), np.zeros((0, 5, 3)), "img", [[1, 2]]])
def test_set_image_rejects_bad_images(vis, bad):
    with pytest.raises(DrawArgumentError, match="image"):
        vis.set_image(bad)


def test_drawing_without_image_says_so():
    vis = Visualizer(name="empty")
    with pytest.raises(DrawArgumentError, match="draw_points: no image has been set"):
        vis.draw_points(np.array([1, 1]))
    with pytest.raises(DrawArgumentError, match="no image has been set"):
        vis.get_image()


def test_set_image_drops_previous_drawings(vis, image):
    vis.draw_bboxes(np.array([2, 2, 20, 20]), face_colors="r", edge_colors="r")
    vis.set_image(image)
    assert not vis.get_image().any()


def test_draw_bboxes_fills_inside_only(vis, image):
    vis.draw_bboxes(np.array([[10, 8, 30, 20]]), edge_colors="r", face_colors="r")
    out = vis.get_image()
    assert np.array_equal(out[14, 20], RED)
    diff = changed(image, out)
    assert not diff[30:, :].any() and not diff[:, 40:].any() and not diff[:5, :].any()


def test_draw_bboxes_outline_leaves_center(vis, image):
    vis.draw_bboxes(np.array([10, 8, 50, 40]), edge_colors=(0, 0, 255), line_widths=2)
    out = vis.get_image()
    assert out[8, 30, 2] > 150  # top edge
    assert not out[24, 30].any()  # centre untouched


def test_draw_bboxes_accepts_tensor_and_per_box_colors(vis):
    vis.draw_bboxes(
        torch.tensor([[2.0, 2.0, 10.0, 10.0], [20.0, 20.0, 30.0, 30.0]]), edge_colors=["r", "b"], face_colors=["r", "b"]
    )
    out = vis.get_image()
    assert np.array_equal(out[6, 6], RED) and np.array_equal(out[25, 25], [0, 0, 255])


@pytest.mark.parametrize(
    ("bboxes", "message"),
    [
        (np.zeros((2, 3)), r"bboxes must have shape \(N, 4\) or \(4,\), got \(2, 3\)"),
        (np.zeros((2, 2, 4)), r"got \(2, 2, 4\)"),
        (np.array([30, 10, 20, 20]), r"bboxes\[0\].*x1 <= x2"),
        (
            np.array([[0, 0, 5, 5], [10, 10, 70, 20]]),
            r"bboxes\[1\] = \[10.0, 10.0, 70.0, 20.0\] lies outside the 64x48",
        ),
        (np.array([-1, 0, 5, 5]), "lies outside"),
        (np.array([0, 0, np.nan, 5]), "NaN"),
    ],
)
def test_draw_bboxes_bad_arguments(vis, bboxes, message):
    with pytest.raises(DrawArgumentError, match=message):
        vis.draw_bboxes(bboxes)


def test_bad_colors_and_counts(vis):
    with pytest.raises(DrawArgumentError, match="'notacolor' is not a color"):
        vis.draw_bboxes(np.array([0, 0, 5, 5]), edge_colors="notacolor")
    with pytest.raises(DrawArgumentError, match=r"got 3 colors for 2 items"):
        vis.draw_bboxes(np.array([[0, 0, 5, 5], [1, 1, 6, 6]]), edge_colors=["r", "g", "b"])
    with pytest.raises(DrawArgumentError, match=r"\[0, 255\]"):
        vis.draw_points(np.array([1, 1]), colors=(300, 0, 0))
    with pytest.raises(DrawArgumentError, match="alpha"):
        vis.draw_bboxes(np.array([0, 0, 5, 5]), alpha=2)


def test_draw_points(vis, image):
    vis.draw_points(np.array([[20, 10], [50, 40]]), colors=[(255, 0, 0), (0, 255, 0)], sizes=[60, 60])
    out = vis.get_image()
    assert out[10, 20, 0] > 200 and out[40, 50, 1] > 200
    diff = changed(image, out)
    assert not diff[20:30, 25:45].any()
    with pytest.raises(DrawArgumentError, match=r"positions\[1\] = \[80.0, 5.0\] lies outside"):
        vis.draw_points(np.array([[1, 1], [80, 5]]))
    with pytest.raises(DrawArgumentError, match=r"shape \(N, 2\)"):
        vis.draw_points(np.array([1, 2, 3]))


def test_draw_lines(vis, image):
    vis.draw_lines(np.array([[0, 64]]), np.array([[24, 24]]), colors="w", line_widths=3)
    out = vis.get_image()
    assert changed(image, out)[24, 2:62].all()
    assert not changed(image, out)[:18].any() and not changed(image, out)[30:].any()
    with pytest.raises(DrawArgumentError, match="same shape"):
        vis.draw_lines(np.array([[0, 1], [2, 3]]), np.array([0, 1]))
    with pytest.raises(DrawArgumentError, match=r"line\[0\].*lies outside"):
        vis.draw_lines(np.array([0, 10]), np.array([0, 49]))


def test_draw_circles(vis, image):
    vis.draw_circles(np.array([32, 24]), np.array([10]), edge_colors="r", face_colors="r")
    out = vis.get_image()
    assert np.array_equal(out[24, 32], RED) and np.array_equal(out[24, 38], RED)
    assert not changed(image, out)[0:10, 0:10].any()
    with pytest.raises(DrawArgumentError, match="radius must be > 0"):
        vis.draw_circles(np.array([5, 5]), 0)
    with pytest.raises(DrawArgumentError, match="2 radii for 1 circles"):
        vis.draw_circles(np.array([5, 5]), [1, 2])
    with pytest.raises(DrawArgumentError, match=r"center\[0\] = \[100.0, 5.0\] lies outside"):
        vis.draw_circles(np.array([100, 5]), 3)


def test_draw_polygons(vis, image):
    triangle = np.array([[10, 40], [50, 40], [30, 5]])
    vis.draw_polygons([triangle], edge_colors="r", face_colors="r")
    out = vis.get_image()
    assert np.array_equal(out[30, 30], RED)
    assert not changed(image, out)[0:3].any() and not changed(image, out)[:, 55:].any()
    with pytest.raises(DrawArgumentError, match=r"polygons\[0\] must have shape \(K, 2\) with K >= 3"):
        vis.draw_polygons(np.array([[1, 1], [2, 2]]))
    with pytest.raises(DrawArgumentError, match=r"polygons\[1\] vertices.*lies outside"):
        vis.draw_polygons([triangle, np.array([[0, 0], [1, 1], [99, 1]])])


def test_draw_texts(vis, image):
    vis.draw_texts(["mme", "ok"], np.array([[2, 2], [30, 30]]), font_sizes=[14, 10], colors="w")
    diff = changed(image, vis.get_image())
    assert diff[2:20, 2:30].any() and diff[30:45, 30:50].any()
    assert not diff[20:28, :].any()
    with pytest.raises(DrawArgumentError, match="2 texts but 1 positions"):
        vis.draw_texts(["a", "b"], np.array([1, 1]))
    with pytest.raises(DrawArgumentError, match="texts must be a string"):
        vis.draw_texts([1], np.array([1, 1]))
    with pytest.raises(DrawArgumentError, match="lies outside"):
        vis.draw_texts("a", np.array([1, 60]))


def test_draw_binary_masks(vis, image):
    mask = np.zeros((48, 64), dtype=bool)
    mask[10:20, 5:15] = True
    vis.draw_binary_masks(mask, colors=(0, 0, 255), alphas=0.5)
    out = vis.get_image()
    assert np.array_equal(out[15, 10], [0, 0, 128])
    assert np.array_equal(changed(image, out), mask)
    masks = torch.zeros((2, 48, 64), dtype=torch.uint8)
    masks[0, 0:2, 0:2] = 1
    masks[1, 40:, 60:] = 1
    vis.draw_binary_masks(masks, colors=["r", "g"], alphas=[1.0, 1.0])
    out = vis.get_image()
    assert np.array_equal(out[0, 0], RED) and np.array_equal(out[45, 62], [0, 128, 0])


def test_draw_binary_masks_bad_arguments(vis):
    with pytest.raises(DrawArgumentError, match=r"H, W = 48, 64 \(the image size\), got \(10, 10\)"):
        vis.draw_binary_masks(np.zeros((10, 10), dtype=bool))
    with pytest.raises(DrawArgumentError, match="only 0 and 1"):
        vis.draw_binary_masks(np.full((48, 64), 3))
    with pytest.raises(DrawArgumentError, match=r"alphas must lie in \[0, 1\]"):
        vis.draw_binary_masks(np.zeros((48, 64), dtype=bool), alphas=1.5)


def test_draws_accumulate_until_get_image(vis):
    vis.draw_bboxes(np.array([0, 0, 10, 10]), face_colors="r", edge_colors="r")
    vis.draw_circles(np.array([50, 30]), 5, face_colors="b", edge_colors="b")
    out = vis.get_image()
    assert np.array_equal(out[5, 5], RED) and out[30, 50, 2] == 255
