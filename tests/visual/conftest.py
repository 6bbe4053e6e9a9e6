"""Fixtures of the mme.visualization tests."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture
def image() -> np.ndarray:
    """A black 64 x 48 (width x height) RGB image."""
    return np.zeros((48, 64, 3), dtype=np.uint8)


@pytest.fixture
def vis(image):
    """A Visualizer drawing on ``image``, without backends."""
    from mme.visualization import Visualizer

    visualizer = Visualizer(name="test_vis", image=image)
    yield visualizer
    visualizer.close()
