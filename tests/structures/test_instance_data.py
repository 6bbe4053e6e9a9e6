from __future__ import annotations

import numpy as np
import pytest
import torch
from mme.structures import DataElementTypeError, DataElementValueError, InstanceData


def make() -> InstanceData:
    inst = InstanceData(metainfo={"img_shape": (8, 8)})
    inst.labels = torch.tensor([0, 1, 2, 3])
    inst.boxes = np.arange(16).reshape(4, 4)
    inst.names = ["a", "b", "c", "d"]
    inst.tags = ("w", "x", "y", "z")
    inst.chars = "pqrs"
    return inst


def test_length_is_checked():
    inst = make()
    assert len(inst) == 4
    with pytest.raises(DataElementValueError, match="length 3"):
        inst.bad = torch.zeros(3)
    with pytest.raises(DataElementTypeError, match="must have a length"):
        inst.bad = 3
    assert len(InstanceData()) == 0


@pytest.mark.parametrize(
    "index, expected",
    [
        (1, [1]),
        (-1, [3]),
        (slice(1, 3), [1, 2]),
        ([0, 2], [0, 2]),
        (torch.tensor([3, 0]), [3, 0]),
        (torch.tensor([True, False, True, False]), [0, 2]),
        (np.array([1, 3]), [1, 3]),
        ([True, False, False, True], [0, 3]),
    ],
)
def test_indexing(index, expected):
    inst = make()
    sub = inst[index]
    assert sub.labels.tolist() == expected
    assert sub.boxes[:, 0].tolist() == [4 * i for i in expected]
    assert sub.names == ["abcd"[i] for i in expected]
    assert sub.tags == tuple("wxyz"[i] for i in expected)
    assert sub.chars == "".join("pqrs"[i] for i in expected)
    assert sub.img_shape == (8, 8)


def test_index_by_name_and_empty_mask():
    inst = make()
    assert inst["names"] is inst.names
    empty = inst[torch.zeros(4, dtype=torch.bool)]
    assert len(empty) == 0 and empty.names == [] and empty.chars == ""


def test_bad_indices():
    inst = make()
    with pytest.raises(IndexError, match="out of range"):
        inst[4]
    with pytest.raises(IndexError, match="out of range"):
        inst[torch.tensor([5])]
    with pytest.raises(DataElementValueError, match="boolean index has length 3"):
        inst[torch.tensor([True, False, True])]
    with pytest.raises(DataElementValueError, match="1-D"):
        inst[torch.zeros(2, 2, dtype=torch.long)]
    with pytest.raises(DataElementTypeError, match="bool or integer"):
        inst[torch.tensor([0.5])]
    with pytest.raises(DataElementTypeError, match="indices must be"):
        inst[1.5]


def test_cat():
    a, b = make(), make()[0:2]
    c = InstanceData.cat([a, b])
    assert len(c) == 6
    assert c.labels.tolist() == [0, 1, 2, 3, 0, 1]
    assert c.names == ["a", "b", "c", "d", "a", "b"]
    assert c.tags == ("w", "x", "y", "z", "w", "x")
    assert c.chars == "pqrspq"
    assert c.boxes.shape == (6, 4)
    assert InstanceData.cat([a]) is a


def test_cat_bad_input():
    a = make()
    b = InstanceData(labels=torch.tensor([1]))
    with pytest.raises(DataElementValueError, match="same fields"):
        InstanceData.cat([a, b])
    with pytest.raises(DataElementTypeError, match="non-empty list"):
        InstanceData.cat([])
    with pytest.raises(DataElementTypeError, match="non-empty list"):
        InstanceData.cat([a, {"labels": 1}])


def test_custom_type_with_cat():
    class Boxes:
        def __init__(self, values):
            self.values = list(values)

        def __len__(self):
            return len(self.values)

        def __getitem__(self, item):
            return Boxes(self.values[item])

        @classmethod
        def cat(cls, parts):
            return cls([v for p in parts for v in p.values])

    inst = InstanceData(boxes=Boxes([1, 2, 3]))
    assert inst[torch.tensor([2, 0])].boxes.values == [3, 1]
    assert InstanceData.cat([inst, inst]).boxes.values == [1, 2, 3, 1, 2, 3]
