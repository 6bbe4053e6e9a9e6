"""Visualizer.draw_featmap: channel reduction, top-k grid, overlay and resizing."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from mme.visualization import DrawArgumentError, Visualizer


def featmap(channels: int = 6, size: int = 8) -> torch.Tensor:
    """Channel c is constant c except a bright spot at (c, c), so channels order by activation."""
    feat = torch.arange(channels, dtype=torch.float32)[:, None, None].repeat(1, size, size)
    for c in range(channels):
        feat[c, c % size, c % size] += 10
    return feat


def test_squeeze_mean_heatmap_shape_and_hot_spot():
    feat = torch.zeros(3, 8, 8)
    feat[:, 2, 5] = 1.0
    out = Visualizer.draw_featmap(feat)
    assert out.shape == (8, 8, 3) and out.dtype == np.uint8
    # jet maps the maximum to dark red and the minimum to dark blue
    assert out[2, 5, 0] > 100 and out[2, 5, 2] < 50
    assert out[7, 0, 2] > 100 and out[7, 0, 0] < 50


def test_select_max_picks_the_most_active_channel():
    feat = torch.zeros(4, 6, 6)
    feat[1, 0, 0] = 1.0  # weak
    feat[3, 4:, 4:] = 5.0  # strongest channel
    out = Visualizer.draw_featmap(feat, channel_reduction="select_max")
    assert out[5, 5, 0] > 100 and out[0, 0, 2] > 100


def test_overlay_and_resize():
    image = np.full((16, 20, 3), 255, dtype=np.uint8)
    out = Visualizer.draw_featmap(featmap(), overlaid_image=image, alpha=0.5)
    assert out.shape == (16, 20, 3)
    assert (out >= 127).all()  # blended halfway with white
    out = Visualizer.draw_featmap(featmap(), overlaid_image=image, resize_shape=(32, 40))
    assert out.shape == (32, 40, 3)
    assert Visualizer.draw_featmap(featmap(), resize_shape=(4, 12)).shape == (4, 12, 3)


def test_alpha_zero_returns_the_image():
    image = np.random.default_rng(0).integers(0, 255, (8, 8, 3), dtype=np.uint8)
    out = Visualizer.draw_featmap(featmap(), overlaid_image=image, alpha=0.0)
    assert np.array_equal(out, image)


def test_topk_grid_uses_arrangement():
    out = Visualizer.draw_featmap(featmap(6, 8), channel_reduction=None, topk=4, arrangement=(2, 2))
    assert out.shape == (2 * 8 + 2, 2 * 8 + 2, 3)
    out = Visualizer.draw_featmap(featmap(6, 8), channel_reduction=None, topk=3, arrangement=(1, 5))
    assert out.shape == (8, 3 * 8 + 2 * 2, 3)  # grid shrinks to the channels shown


def test_topk_grid_shows_the_most_active_channels_first():
    # channel c: a constant base (totals rank the channels 1, 3, 5, 0, 4, 2) and one hot pixel in
    # column 2c + 1 of row 12 (below the "ch N" labels), which tells the tiles apart
    size, base = 16, [2.0, 5.0, 0.0, 4.0, 1.0, 3.0]
    feat = torch.tensor(base)[:, None, None].repeat(1, size, size)
    for c in range(len(base)):
        feat[c, 12, 2 * c + 1] += 10
    out = Visualizer.draw_featmap(feat, channel_reduction=None, topk=3, arrangement=(1, 3))
    assert out.shape == (size, 3 * size + 2 * 2, 3)
    shown = []
    for slot in range(3):
        tile = out[:, slot * (size + 2) : slot * (size + 2) + size].astype(int)
        hot = np.argwhere((tile[..., 0] > 100) & (tile[..., 2] < 50))  # jet's maximum: dark red
        assert len(hot) == 1 and hot[0][0] == 12, hot
        shown.append((hot[0][1] - 1) // 2)
    assert shown == [1, 3, 5]


def test_topk_zero_shows_one_or_three_channels_as_is():
    assert Visualizer.draw_featmap(torch.rand(1, 5, 5), channel_reduction=None, topk=0).shape == (5, 5, 3)
    rgb = torch.zeros(3, 5, 5)
    rgb[0] = 1.0
    out = Visualizer.draw_featmap(rgb, channel_reduction=None, topk=0)
    assert (out[..., 0] == 255).all() and not out[..., 1:].any()
    with pytest.raises(DrawArgumentError, match="1 or 3 channels, got 4"):
        Visualizer.draw_featmap(torch.rand(4, 5, 5), channel_reduction=None, topk=0)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"featmap": torch.rand(5, 5)}, r"shape \(C, H, W\)"),
        ({"featmap": "x"}, "torch.Tensor or numpy array"),
        ({"featmap": torch.rand(2, 4, 4), "channel_reduction": "max"}, "channel_reduction must be one of"),
        ({"featmap": torch.rand(2, 4, 4), "alpha": 1.5}, r"alpha must lie in \[0, 1\]"),
        ({"featmap": torch.rand(2, 4, 4), "resize_shape": (0, 4)}, "resize_shape"),
        ({"featmap": torch.rand(2, 4, 4), "channel_reduction": None, "arrangement": (0, 2)}, "arrangement"),
        ({"featmap": torch.rand(2, 4, 4), "overlaid_image": np.zeros((4, 4, 2))}, "overlaid_image"),
    ],
)
def test_bad_arguments(kwargs, message):
    with pytest.raises(DrawArgumentError, match=message):
        Visualizer.draw_featmap(**kwargs)
