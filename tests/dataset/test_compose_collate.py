from __future__ import annotations

import random
from collections import namedtuple

import numpy as np
import pytest
import torch
from mme.dataset import (
    Compose,
    DatasetTypeError,
    DatasetValueError,
    default_collate,
    pseudo_collate,
    worker_init_fn,
)
from mme.registry import FUNCTIONS, TRANSFORMS
from mme.structures import InstanceData


def test_compose():
    c = Compose([lambda d: d + 1, lambda d: d * 2])
    assert c(1) == 4
    assert Compose(None)(5) == 5
    assert Compose([lambda d: None, lambda d: 1 / 0])(1) is None
    assert "Compose" in repr(c)
    assert "Compose" not in TRANSFORMS  # as in MMEngine: mmcv registers its own Compose there


def test_compose_bad_input():
    with pytest.raises(DatasetTypeError, match="transform 1 must be a callable"):
        Compose([lambda d: d, 3])
    with pytest.raises(DatasetTypeError, match="list of dicts"):
        Compose("Resize")
    with pytest.raises(KeyError, match="NoSuchTransform"):
        Compose([{"type": "NoSuchTransform"}])


def test_pseudo_collate():
    Pair = namedtuple("Pair", "a b")
    batch = [
        {"inputs": torch.ones(2), "meta": {"id": 1}, "pair": Pair(1, "x"), "seq": (1, 2), "lst": [1, 2]},
        {"inputs": torch.zeros(2), "meta": {"id": 2}, "pair": Pair(2, "y"), "seq": (3, 4), "lst": [3, 4]},
    ]
    out = pseudo_collate(batch)
    assert isinstance(out["inputs"], list) and len(out["inputs"]) == 2
    assert out["meta"] == {"id": [1, 2]}
    assert out["pair"] == Pair([1, 2], ["x", "y"])
    assert out["seq"] == [[1, 3], [2, 4]] and out["lst"] == [[1, 3], [2, 4]]
    assert pseudo_collate(["a", "b"]) == ["a", "b"]


def test_default_collate():
    samples = [InstanceData(t=torch.ones(1)), InstanceData(t=torch.ones(1))]
    batch = [
        {"inputs": torch.ones(2), "x": 1.5, "arr": np.ones(3), "sample": samples[0], "name": "a"},
        {"inputs": torch.zeros(2), "x": 2.5, "arr": np.zeros(3), "sample": samples[1], "name": "b"},
    ]
    out = default_collate(batch)
    assert out["inputs"].shape == (2, 2) and out["arr"].shape == (2, 3)
    assert out["x"].tolist() == [1.5, 2.5]
    assert out["sample"] == samples and out["name"] == ["a", "b"]
    assert default_collate([(torch.ones(1), 0), (torch.ones(1), 1)])[1].tolist() == [0, 1]


class _Samples(torch.utils.data.Dataset):
    def __len__(self):
        return 6

    def __getitem__(self, i):
        return {"x": torch.full((2, 3), float(i)), "y": torch.tensor(i), "half": torch.ones(2, dtype=torch.float16)}


@pytest.mark.parametrize("num_workers", [0, 1])
def test_default_collate_stacks_tensors_as_torch_does(num_workers):
    # in the main process mme stacks directly; in a worker torch's collate (shared memory) does it
    loader = torch.utils.data.DataLoader(_Samples(), batch_size=3, collate_fn=default_collate,
                                         num_workers=num_workers)
    reference = torch.utils.data.DataLoader(_Samples(), batch_size=3)
    for ours, theirs in zip(loader, reference, strict=True):
        assert ours.keys() == theirs.keys()
        for key in ours:
            assert ours[key].dtype == theirs[key].dtype and torch.equal(ours[key], theirs[key])
    with pytest.raises(RuntimeError, match="equal size"):
        default_collate([torch.ones(2), torch.ones(3)])


def test_collate_bad_input():
    with pytest.raises(DatasetValueError, match="same length"):
        pseudo_collate([[1, 2], [1]])
    with pytest.raises(DatasetTypeError, match="list of samples"):
        default_collate("abc")
    assert pseudo_collate([]) == []


def test_collate_functions_registered():
    assert FUNCTIONS.get("pseudo_collate") is pseudo_collate
    assert FUNCTIONS.get("default_collate") is default_collate


def test_worker_init_fn_seeds_everything():
    def draws(worker_id, rank=1, base=123):
        torch.manual_seed(base)  # what the DataLoader does in a worker before calling worker_init_fn
        worker_init_fn(worker_id, num_workers=2, rank=rank, seed=10)
        return random.random(), np.random.rand(), torch.rand(1).item()

    first = draws(1)
    assert draws(1) == first
    others = [draws(0), draws(0, rank=0), draws(1, rank=0), draws(1, base=124)]
    assert all(len({a, b}) == 2 for other in others for a, b in zip(first, other))


class _Noisy(torch.utils.data.Dataset):
    """Returns the random draws a transform in a worker would make."""

    def __len__(self):
        return 8

    def __getitem__(self, index):
        return torch.tensor([random.random(), float(np.random.rand()), torch.rand(1).item()])


def test_worker_randomness_changes_every_epoch_and_follows_the_seed():
    from functools import partial

    def epochs(main_seed):
        torch.manual_seed(main_seed)
        init = partial(worker_init_fn, num_workers=2, rank=0, seed=7)
        loader = torch.utils.data.DataLoader(_Noisy(), batch_size=2, num_workers=2, worker_init_fn=init)
        return [torch.cat(list(loader)) for _ in range(2)]

    first, second = epochs(0)
    assert not torch.equal(first, second)  # a fixed per-worker seed would replay epoch 1's draws
    again = epochs(0)
    assert torch.equal(again[0], first) and torch.equal(again[1], second)
    assert len({tuple(row.tolist()) for row in first}) == len(first)  # workers draw different streams
