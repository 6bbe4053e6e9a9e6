from __future__ import annotations

import numpy as np
import pytest
import torch
from mme.structures import (
    DataElementTypeError,
    DataElementValueError,
    LabelData,
    PixelData,
)


def test_onehot_round_trip():
    label = torch.tensor([1, 3])
    onehot = LabelData.label_to_onehot(label, 5)
    assert onehot.tolist() == [0, 1, 0, 1, 0]
    assert LabelData.onehot_to_label(onehot).tolist() == [1, 3]
    assert LabelData.onehot_to_label(torch.zeros(3)).tolist() == []


def test_onehot_bad_input():
    with pytest.raises(DataElementValueError, match=r"\[0, 3\)"):
        LabelData.label_to_onehot(torch.tensor([3]), 3)
    with pytest.raises(DataElementTypeError, match="integer"):
        LabelData.label_to_onehot(torch.tensor([1.0]), 3)
    with pytest.raises(DataElementTypeError, match="tensor"):
        LabelData.label_to_onehot([1], 3)
    with pytest.raises(DataElementValueError, match="0 or 1"):
        LabelData.onehot_to_label(torch.tensor([0, 2]))
    with pytest.raises(DataElementValueError, match="1-D"):
        LabelData.onehot_to_label(torch.zeros(2, 2))


def test_label_data_is_a_data_element():
    d = LabelData(metainfo={"num_classes": 3}, score=torch.tensor([0.1, 0.9, 0.0]))
    assert d.num_classes == 3 and d.keys() == ["score"]


def test_pixel_data_shapes():
    p = PixelData(metainfo={"img_shape": (4, 5)})
    p.seg = torch.zeros(4, 5)
    p.heat = np.zeros((3, 4, 5))
    assert p.seg.shape == (1, 4, 5) and p.shape == (4, 5) and len(p) == 4
    with pytest.raises(DataElementValueError, match=r"\(4, 5\)"):
        p.other = torch.zeros(3, 3)
    with pytest.raises(DataElementValueError, match="2-D"):
        p.other = torch.zeros(5)
    with pytest.raises(DataElementTypeError, match="tensor or numpy"):
        p.other = [[1]]
    assert PixelData().shape is None


def test_pixel_data_slicing():
    p = PixelData(seg=torch.arange(20).view(4, 5))
    sub = p[1:3, 2:4]
    assert sub.shape == (2, 2)
    assert sub.seg[0].tolist() == [[7, 8], [12, 13]]
    assert p[-1, 0].seg.tolist() == [[[15]]]
    assert p["seg"] is p.seg
    with pytest.raises(DataElementTypeError, match="height, width"):
        p[1]
    with pytest.raises(DataElementTypeError, match="int or slice"):
        p[1.0, 2]
    with pytest.raises(IndexError, match="out of range"):
        p[9, 0]
