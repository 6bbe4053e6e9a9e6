"""A dataset that raises while a DataLoader built by the Runner fetches from it gives an error
naming the dataset and the index, with the original exception chained (workers included)."""

from __future__ import annotations

import pickle

import pytest
import torch
from mme.dataset import BaseDataset, FetchError, name_fetch_errors
from mme.registry import DATASETS
from mme.runner import Runner
from mme.testing import ToyDataset, get_toy_cfg
from torch.utils.data import DataLoader, Dataset, Subset


@DATASETS.register_module(force=True)
class PlainBrokenAt(Dataset):
    """A plain torch Dataset (no mme base class, no custom repr) whose item ``bad`` raises."""

    def __init__(self, bad: int = 5, size: int = 16) -> None:
        self.toy = ToyDataset(size=size)
        self.bad = bad
        self.metainfo = {"classes": ("neg", "pos")}

    def __len__(self) -> int:
        return len(self.toy)

    def __getitem__(self, index: int) -> dict:
        if index == self.bad:
            raise ValueError(f"cannot decode sample {index}")
        return self.toy[index]


@DATASETS.register_module(force=True)
class AnnBrokenAt(BaseDataset):
    """An mme BaseDataset whose pipeline fails on one sample."""

    def __init__(self, bad: int = 5, **kwargs) -> None:
        self.bad = bad
        super().__init__(pipeline=[self._load], **kwargs)

    def load_data_list(self) -> list[dict]:
        return [{"inputs": torch.tensor([float(i), 0.0]), "data_samples": i % 2} for i in range(16)]

    def _load(self, info: dict) -> dict:
        if info["sample_idx"] == self.bad:
            raise KeyError("img_path")
        return {"inputs": info["inputs"], "data_samples": info["data_samples"]}


def _runner(tmp_path, dataset: dict, num_workers: int) -> Runner:
    cfg = get_toy_cfg(str(tmp_path), max_epochs=1, log_level="WARNING", size=16)
    cfg["train_dataloader"].update(dataset=dataset, num_workers=num_workers)
    cfg["val_dataloader"] = cfg["val_cfg"] = cfg["val_evaluator"] = None
    return Runner.from_cfg(cfg)


@pytest.mark.parametrize("num_workers", [0, 2])
def test_plain_dataset_error_names_dataset_and_index(tmp_path, num_workers):
    runner = _runner(tmp_path, dict(type="PlainBrokenAt", bad=5), num_workers)
    dataset = runner.train_dataloader.dataset
    assert type(dataset) is PlainBrokenAt and dataset.metainfo == {"classes": ("neg", "pos")} and len(dataset) == 16
    with pytest.raises(FetchError) as info:
        runner.train()
    text = str(info.value)
    assert "test_fetch_errors.PlainBrokenAt failed to fetch index 5: ValueError: cannot decode sample 5" in text
    if num_workers == 0:
        assert isinstance(info.value.__cause__, ValueError)
    else:  # the worker's traceback, original exception first, travels in the message
        assert "Caught FetchError in DataLoader worker process" in text
        assert text.index("ValueError: cannot decode sample 5") < text.index("failed to fetch index 5")


@pytest.mark.parametrize("num_workers", [0, 2])
def test_base_dataset_error_names_its_repr_and_index(tmp_path, num_workers):
    runner = _runner(tmp_path, dict(type="AnnBrokenAt", bad=3), num_workers)
    with pytest.raises(FetchError, match=r"AnnBrokenAt\(ann_file='', data_root='', size=16, serialize_data=True, "
                                         r"test_mode=False\) failed to fetch index 3: KeyError: 'img_path'"):
        runner.train()


def test_wrapped_dataset_keeps_identity_pickles_and_batches_through_getitems():
    dataset = PlainBrokenAt(bad=2, size=6)
    assert name_fetch_errors(dataset) is dataset and name_fetch_errors(dataset) is dataset
    assert dataset[1]["data_samples"] == ToyDataset(size=6)[1]["data_samples"]
    with pytest.raises(ValueError):  # direct indexing is untouched
        dataset[2]
    copy = pickle.loads(pickle.dumps(dataset))  # how a spawned DataLoader worker receives it
    with pytest.raises(FetchError, match="failed to fetch index 2") as info:
        list(DataLoader(copy, batch_size=3))
    assert isinstance(info.value.__cause__, ValueError)
    # a class that fetches batches itself (torch's Subset) keeps doing so; the batch is named
    subset = name_fetch_errors(Subset(dataset, [0, 1, 2, 3]))
    with pytest.raises(FetchError, match=r"Subset failed to fetch indices \[2, 3\]"):
        list(DataLoader(subset, batch_size=2))
