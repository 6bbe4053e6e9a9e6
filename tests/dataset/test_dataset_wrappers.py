from __future__ import annotations

import math
from typing import ClassVar

import pytest
from mme.dataset import (
    BaseDataset,
    ClassBalancedDataset,
    ConcatDataset,
    DatasetTypeError,
    DatasetValueError,
    RepeatDataset,
)
from mme.registry import DATASETS


@DATASETS.register_module(name="ToyWrapperDataset", force=True)
class Toy(BaseDataset):
    METAINFO: ClassVar[dict] = {"classes": ["a", "b", "c"]}

    def __init__(self, n=4, cats=None, **kwargs):
        self.n = n
        self.cats = cats
        super().__init__(data_prefix={}, **kwargs)

    def load_data_list(self):
        return [{"i": i} for i in range(self.n)]

    def get_cat_ids(self, idx):
        return self.cats[idx]


def test_concat():
    ds = ConcatDataset([Toy(3), {"type": "ToyWrapperDataset", "n": 2}])
    assert len(ds) == 5
    assert [ds[i]["i"] for i in range(5)] == [0, 1, 2, 0, 1]
    assert ds[-1]["i"] == 1 and ds.get_data_info(3)["i"] == 0
    assert ds.metainfo == {"classes": ["a", "b", "c"]}
    with pytest.raises(IndexError):
        ds[5]
    with pytest.raises(NotImplementedError, match="subset the wrapped dataset"):
        ds.get_subset(1)


def test_concat_metainfo_must_agree():
    other = Toy(2, metainfo={"classes": ["x"]})
    with pytest.raises(DatasetValueError, match="metainfo\\['classes'\\] of datasets\\[0\\] and datasets\\[1\\] differ"):
        ConcatDataset([Toy(1), other])
    assert len(ConcatDataset([Toy(1), other], ignore_keys="classes")) == 3
    with pytest.raises(DatasetTypeError, match="non-empty list"):
        ConcatDataset([])
    with pytest.raises(DatasetTypeError, match="datasets\\[1\\]"):
        ConcatDataset([Toy(1), 3])


def test_lazy_wrappers():
    lazy = Toy(3, lazy_init=True)
    ds = ConcatDataset([lazy], lazy_init=True)
    assert not ds._fully_initialized
    assert len(ds) == 3 and lazy._fully_initialized


def test_repeat():
    ds = RepeatDataset({"type": "ToyWrapperDataset", "n": 3, "cats": [[0], [1], [2]]}, times=3)
    assert len(ds) == 9 and [ds[i]["i"] for i in range(9)] == [0, 1, 2] * 3
    assert ds.get_cat_ids(4) == [1] and ds.get_data_info(5)["i"] == 2
    assert ds.metainfo["classes"] == ["a", "b", "c"]
    with pytest.raises(DatasetValueError, match="times"):
        RepeatDataset(Toy(), times=0)


def test_class_balanced_repeat_factors():
    # category 0 in every sample, category 1 in one of four: f(1) = 0.25
    cats = [[0], [0], [0], [0, 1]]
    ds = ClassBalancedDataset(Toy(4, cats=cats), oversample_thr=0.5)
    r1 = max(1.0, math.sqrt(0.5 / 0.25))
    assert len(ds) == 3 + math.ceil(r1)
    assert [ds[i]["i"] for i in range(len(ds))] == [0, 1, 2, 3, 3]
    assert ds.get_cat_ids(4) == [0, 1]
    empty = ClassBalancedDataset(Toy(2, cats=[[], [0]]), oversample_thr=0.1)
    assert len(empty) == 2
    with pytest.raises(DatasetValueError, match="oversample_thr"):
        ClassBalancedDataset(Toy(), oversample_thr=0)
    with pytest.raises(DatasetTypeError, match="dataset must be"):
        ClassBalancedDataset(5, oversample_thr=0.1)
