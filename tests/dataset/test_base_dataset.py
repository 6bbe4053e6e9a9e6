from __future__ import annotations

import json
from typing import ClassVar

import numpy as np
import pytest
from mme.dataset import (
    BaseDataset,
    DatasetKeyError,
    DatasetTypeError,
    DatasetValueError,
    FetchError,
)
from mme.registry import TRANSFORMS


class ClsDataset(BaseDataset):
    METAINFO: ClassVar[dict] = {"classes": ["default"], "source": "class"}


def make(root, **kwargs):
    kwargs.setdefault("data_prefix", {"img_path": "images"})
    return ClsDataset(ann_file="ann.json", data_root=str(root), **kwargs)


@pytest.mark.parametrize("serialize", [True, False])
def test_loads_and_joins_prefixes(ann_file, serialize):
    ds = make(ann_file, serialize_data=serialize)
    assert len(ds) == 10
    info = ds.get_data_info(3)
    assert info["img_path"] == str(ann_file / "images" / "3.jpg")
    assert info["label"] == 1 and info["sample_idx"] == 3
    assert ds.get_data_info(-1)["sample_idx"] == 9
    assert ds[2] == ds.get_data_info(2)  # empty pipeline
    if serialize:
        assert isinstance(ds.data_bytes, np.ndarray) and ds.data_bytes.dtype == np.uint8
        assert ds.data_list == [] and len(ds.data_address) == 10
    with pytest.raises(IndexError, match="out of range"):
        ds.get_data_info(10)


def test_get_data_info_returns_copies(ann_file):
    for serialize in (True, False):
        ds = make(ann_file, serialize_data=serialize)
        ds.get_data_info(0)["label"] = 99
        assert ds.get_data_info(0)["label"] == 0


def test_metainfo_precedence(ann_file, tmp_path):
    ds = make(ann_file)
    assert ds.metainfo == {"classes": ["default"], "source": "class", "task": "cls"}
    names = tmp_path / "classes.txt"
    names.write_text("a\nb\nc\n")
    ds = make(ann_file, metainfo={"classes": str(names), "extra": "x"})
    assert ds.metainfo["classes"] == ["a", "b", "c"] and ds.metainfo["extra"] == "x"
    ds.metainfo["extra"] = "changed"
    assert ds.metainfo["extra"] == "x"
    with pytest.raises(DatasetTypeError, match="metainfo must be a mapping"):
        make(ann_file, metainfo=["a"])


def test_lazy_init(ann_file):
    ds = make(ann_file, lazy_init=True)
    assert not ds._fully_initialized
    assert "not loaded yet" in repr(ds)
    assert len(ds) == 10  # loads on first use
    ds2 = make(ann_file, lazy_init=True)
    ds2.full_init()
    ds2.full_init()
    assert ds2[0]["label"] == 0


@pytest.mark.parametrize("serialize", [True, False])
def test_indices_and_subsets(ann_file, serialize):
    ds = make(ann_file, indices=[5, 1, -1], serialize_data=serialize)
    assert [ds.get_data_info(i)["label"] for i in range(3)] == [1, 1, 1]
    assert ds.get_data_info(0)["img_path"].endswith("5.jpg")
    assert len(make(ann_file, indices=4, serialize_data=serialize)) == 4
    full = make(ann_file, serialize_data=serialize)
    last = full.get_subset(-3)
    assert [last.get_data_info(i)["img_path"][-5:] for i in range(3)] == ["7.jpg", "8.jpg", "9.jpg"]
    assert len(full) == 10  # get_subset copies
    full.get_subset_([0, 2])
    assert len(full) == 2 and full.get_data_info(1)["img_path"].endswith("2.jpg")
    with pytest.raises(DatasetValueError, match="out of range"):
        full.get_subset([5])


def test_pipeline_from_callables_and_configs(ann_file):
    @TRANSFORMS.register_module(name="AddOneForTest", force=True)
    class AddOne:
        def __call__(self, results):
            results["label"] += 1
            return results

    ds = make(ann_file, pipeline=[{"type": "AddOneForTest"}, lambda r: {"y": r["label"] * 10}])
    assert ds[1] == {"y": 20}


def test_refetch_and_test_mode(ann_file):
    ds = make(ann_file, pipeline=[lambda r: r if r["label"] == 1 else None])
    np.random.seed(0)
    assert ds[0]["label"] == 1  # refetched another sample
    none = make(ann_file, pipeline=[lambda r: None], max_refetch=3)
    with pytest.raises(FetchError, match="4 samples in a row"):
        none[0]
    test = make(ann_file, pipeline=[lambda r: None], test_mode=True)
    with pytest.raises(FetchError, match="test pipeline returned None for sample 0"):
        test[0]


def test_override_load_data_list():
    class Synthetic(BaseDataset):
        def load_data_list(self):
            return [{"x": i} for i in range(4)]

    ds = Synthetic(data_prefix={})
    assert len(ds) == 4 and ds[3] == {"x": 3, "sample_idx": 3}


def test_parse_data_info_may_return_lists(ann_file):
    class Doubled(ClsDataset):
        def parse_data_info(self, raw):
            return [dict(raw, copy=0), dict(raw, copy=1)]

    assert len(Doubled(ann_file="ann.json", data_root=str(ann_file))) == 20


def test_bad_annotation_files(tmp_path):
    (tmp_path / "list.json").write_text(json.dumps([1, 2]))
    with pytest.raises(DatasetTypeError, match="must hold a dict"):
        BaseDataset(ann_file=str(tmp_path / "list.json"))
    (tmp_path / "nometa.json").write_text(json.dumps({"data_list": []}))
    with pytest.raises(DatasetKeyError, match="no 'metainfo' key"):
        BaseDataset(ann_file=str(tmp_path / "nometa.json"))
    (tmp_path / "noprefix.json").write_text(json.dumps({"metainfo": {}, "data_list": [{"label": 1}]}))
    with pytest.raises(DatasetKeyError, match="no 'img_path' key"):
        BaseDataset(ann_file="noprefix.json", data_root=str(tmp_path), data_prefix={"img_path": "imgs"})
    assert len(BaseDataset(ann_file=str(tmp_path / "noprefix.json"))) == 1  # empty prefix: nothing to join
    with pytest.raises(DatasetValueError, match="no ann_file"):
        BaseDataset()


def test_bad_arguments(ann_file):
    with pytest.raises(DatasetTypeError, match="data_prefix must be a dict"):
        make(ann_file, data_prefix="images")
    with pytest.raises(DatasetTypeError, match=r"data_prefix\['img_path'\] must be a str"):
        make(ann_file, data_prefix={"img_path": 3})
    with pytest.raises(DatasetTypeError, match="indices"):
        make(ann_file, indices=2.5)
    with pytest.raises(DatasetValueError, match="max_refetch"):
        make(ann_file, max_refetch=-1)

    class BadParse(ClsDataset):
        def parse_data_info(self, raw):
            return "oops"

    with pytest.raises(DatasetTypeError, match="returned str for item 0"):
        BadParse(ann_file="ann.json", data_root=str(ann_file))
    with pytest.raises(NotImplementedError, match="get_cat_ids"):
        make(ann_file).get_cat_ids(0)


def test_empty_dataset():
    class Empty(BaseDataset):
        def load_data_list(self):
            return []

    ds = Empty(data_prefix={})
    assert len(ds) == 0 and len(ds.get_subset(0)) == 0


def test_workers_read_the_serialized_buffer(ann_file):
    from functools import partial

    from mme.dataset import DefaultSampler, pseudo_collate, worker_init_fn
    from torch.utils.data import DataLoader

    ds = make(ann_file)
    loader = DataLoader(
        ds, batch_size=3, num_workers=2, sampler=DefaultSampler(ds, shuffle=True, seed=1),
        collate_fn=pseudo_collate, worker_init_fn=partial(worker_init_fn, num_workers=2, rank=0, seed=1),
    )
    seen = [idx for batch in loader for idx in batch["sample_idx"]]
    assert sorted(seen) == list(range(10))
