"""mme.visualization's MMEngine helpers: argument checks, colours, heat maps, canvases, waiting for a key."""

from __future__ import annotations

import threading

import numpy as np
import pytest
import torch

from mme.visualization import (
    check_length,
    check_type,
    check_type_and_length,
    color_str2rgb,
    color_val_matplotlib,
    convert_overlay_heatmap,
    img_from_canvas,
    tensor2ndarray,
    value2list,
    wait_continue,
)


def test_checks():
    check_type("x", 1, (int, float))
    with pytest.raises(TypeError, match="`x` should be int or float, but got str"):
        check_type("x", "a", (int, float))
    check_length("x", [1, 2], 2)
    check_length("x", 5, 10)  # not a list: nothing to check
    with pytest.raises(AssertionError, match="length of x must equal with or greater than 3, but got 2"):
        check_length("x", [1, 2], 3)
    with pytest.raises(TypeError):
        check_type_and_length("x", "ab", list, 1)
    with pytest.raises(AssertionError):
        check_type_and_length("x", [1], list, 2)


def test_conversions():
    assert value2list(3, int, 2) == [3, 3] and value2list([1], int, 2) == [1]
    array = tensor2ndarray(torch.ones(2, requires_grad=True))
    assert isinstance(array, np.ndarray) and array.tolist() == [1.0, 1.0]
    assert tensor2ndarray([1]) == [1]
    assert color_val_matplotlib("red") == "red"
    assert color_val_matplotlib((255, 0, 51)) == (1.0, 0.0, 0.2)
    assert color_val_matplotlib([(0, 0, 255), "g"]) == [(0.0, 0.0, 1.0), "g"]
    with pytest.raises(ValueError, match="three values in 0-255"):
        color_val_matplotlib((256, 0, 0))
    with pytest.raises(TypeError):
        color_val_matplotlib(3)
    assert color_str2rgb("red") == (255, 0, 0) and color_str2rgb("#00ff00") == (0, 255, 0)


def test_convert_overlay_heatmap():
    feat = torch.arange(16.0).reshape(1, 4, 4)
    heat = convert_overlay_heatmap(feat)
    assert heat.shape == (4, 4, 3) and heat.dtype == np.uint8
    assert tuple(heat[0, 0]) != tuple(heat[3, 3])  # low and high ends of the colour map
    img = np.full((8, 8, 3), 200, np.uint8)
    blended = convert_overlay_heatmap(feat, img, alpha=0.0)
    assert blended.shape == (8, 8, 3) and (blended == 200).all()
    with pytest.raises(ValueError, match=r"must be \(H, W\) or \(1, H, W\)"):
        convert_overlay_heatmap(np.zeros((2, 4, 4)))


def test_img_from_canvas():
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(2, 1), dpi=10)
    fig.patch.set_facecolor((1.0, 0.0, 0.0))
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    img = img_from_canvas(canvas)
    assert img.shape == (10, 20, 3) and img.dtype == np.uint8
    assert tuple(img[5, 10]) == (255, 0, 0)


def _figure():
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure()
    FigureCanvasAgg(fig)
    return fig


def test_wait_continue_returns_on_timeout_key_and_close():
    from matplotlib.backend_bases import CloseEvent, KeyEvent

    fig = _figure()
    assert wait_continue(fig, timeout=0) == 0  # non-interactive backend: nobody can press a key
    assert wait_continue(fig, timeout=0.05) == 0  # timed out

    def fire(event_factory):
        timer = threading.Timer(0.1, lambda: fig.canvas.callbacks.process(*event_factory()))
        timer.start()
        return timer

    fire(lambda: ("key_press_event", KeyEvent("key_press_event", fig.canvas, key=" ")))
    assert wait_continue(fig, timeout=5) == 0
    fire(lambda: ("close_event", CloseEvent("close_event", fig.canvas)))
    assert wait_continue(fig, timeout=5) == 1
