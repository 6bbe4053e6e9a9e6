from __future__ import annotations

import itertools
from collections import Counter

import mme.dist
import pytest
from mme.dataset import (
    DatasetTypeError,
    DatasetValueError,
    DefaultSampler,
    InfiniteSampler,
)
from mme.dist.testing import run_distributed
from mme.registry import DATA_SAMPLERS
from torch.utils.data import DataLoader


class Range:
    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return i


@pytest.fixture
def ranks(monkeypatch):
    """Make samplers built inside ``with_rank`` believe they run as rank r of world_size."""

    def with_rank(rank, world_size, factory):
        monkeypatch.setattr(mme.dist, "get_dist_info", lambda group=None: (rank, world_size))
        return factory()

    return with_rank


def test_registered():
    assert DATA_SAMPLERS.get("DefaultSampler") is DefaultSampler
    assert DATA_SAMPLERS.get("InfiniteSampler") is InfiniteSampler
    s = DATA_SAMPLERS.build({"type": "DefaultSampler", "dataset": Range(5), "shuffle": False})
    assert list(s) == [0, 1, 2, 3, 4]


def test_shuffle_is_seeded_by_seed_and_epoch():
    a, b = DefaultSampler(Range(20), seed=3), DefaultSampler(Range(20), seed=3)
    first = list(a)
    assert first == list(b) and sorted(first) == list(range(20)) and first != list(range(20))
    assert list(a) == first  # same epoch, same order
    a.set_epoch(1)
    assert list(a) != first and sorted(a) == list(range(20))


@pytest.mark.parametrize("n, world_size, round_up", [(10, 2, True), (11, 2, True), (11, 3, True), (11, 3, False), (3, 4, True)])
@pytest.mark.parametrize("shuffle", [True, False])
def test_ranks_cover_the_dataset_once_per_epoch(ranks, n, world_size, round_up, shuffle):
    for epoch in range(2):
        parts = []
        for rank in range(world_size):
            s = ranks(rank, world_size, lambda: DefaultSampler(Range(n), shuffle=shuffle, seed=7, round_up=round_up))
            s.set_epoch(epoch)
            part = list(s)
            assert len(part) == len(s)
            parts.append(part)
        counts = Counter(itertools.chain.from_iterable(parts))
        assert set(counts) == set(range(n))
        if round_up:
            assert len({len(p) for p in parts}) == 1
            assert sum(counts.values()) - n == len(parts[0]) * world_size - n  # only the padding repeats
        else:
            assert all(c == 1 for c in counts.values())
        if not shuffle and round_up and n % world_size == 0:
            assert parts[1] == list(range(1, n, world_size))


def _pairs_from_each_rank():
    # seed=None: the seed is drawn on rank 0 and broadcast to every rank
    sampler = DefaultSampler(Range(9))
    sampler.set_epoch(2)
    inf = InfiniteSampler(Range(5), seed=1)
    return {"epoch": list(sampler), "infinite": list(itertools.islice(inf, 5)), "seed": sampler.seed}


def test_real_two_rank_samplers():
    out = run_distributed(_pairs_from_each_rank, world_size=2, timeout=120)
    assert out[0]["seed"] == out[1]["seed"]
    assert len(out[0]["epoch"]) == len(out[1]["epoch"]) == 5
    assert set(out[0]["epoch"]) | set(out[1]["epoch"]) == set(range(9))
    stream = [x for pair in zip(out[0]["infinite"], out[1]["infinite"]) for x in pair]
    assert sorted(stream[:5]) == list(range(5)) and sorted(stream[5:10]) == list(range(5))


@pytest.mark.parametrize("consumed", [0, 1, 4, 9])
def test_resume_mid_epoch_yields_exactly_the_rest(ranks, consumed):
    def build():
        return DefaultSampler(Range(23), seed=5)

    s = ranks(1, 2, build)
    s.set_epoch(3)
    full = list(s)
    it = iter(s)
    taken = [next(it) for _ in range(consumed)]
    state = s.state_dict()
    assert state == {"epoch": 3, "seed": 5, "position": consumed}
    assert taken == full[:consumed]

    resumed = ranks(1, 2, lambda: DefaultSampler(Range(23), seed=99))
    resumed.load_state_dict(state)
    assert resumed.state_dict() == state
    resumed.set_epoch(3)  # what a runner does before the epoch: keeps the pending position
    assert list(resumed) == full[consumed:]
    assert list(resumed) == full  # the following pass is a full one again


def test_resume_with_overwritten_position_and_dataloader():
    sampler = DefaultSampler(Range(30), seed=0)
    loader = DataLoader(Range(30), batch_size=4, sampler=sampler)
    batches = iter(loader)
    seen = [next(batches).tolist() for _ in range(2)]
    # a runner overwrites position with the samples it consumed (prefetch may run ahead)
    state = dict(sampler.state_dict(), position=8)
    fresh = DefaultSampler(Range(30), seed=0)
    fresh.load_state_dict(state)
    rest = [b.tolist() for b in DataLoader(Range(30), batch_size=4, sampler=fresh)]
    flat = [x for b in seen + rest for x in b]
    assert flat == list(DefaultSampler(Range(30), seed=0))


def test_end_of_epoch_state_and_other_epoch_leave_nothing_pending():
    s = DefaultSampler(Range(6), seed=0)
    full = list(s)
    state = s.state_dict()
    assert state["position"] == 6
    r = DefaultSampler(Range(6), seed=0)
    r.load_state_dict(state)
    assert list(r) == full
    r.load_state_dict({"epoch": 0, "seed": 0, "position": 2})
    r.set_epoch(1)
    assert len(list(r)) == 6


def test_infinite_sampler_stream_and_resume(ranks):
    s = ranks(0, 2, lambda: InfiniteSampler(Range(7), seed=4))
    first = list(itertools.islice(s, 10))
    assert s.state_dict()["position"] == 10
    # each iteration continues the stream
    more = list(itertools.islice(s, 5))
    assert s.state_dict()["position"] == 15
    fresh = ranks(0, 2, lambda: InfiniteSampler(Range(7), seed=4))
    assert list(itertools.islice(fresh, 15)) == first + more
    resumed = ranks(0, 2, lambda: InfiniteSampler(Range(7), seed=0))
    resumed.load_state_dict({"epoch": 0, "seed": 4, "position": 10})
    assert list(itertools.islice(resumed, 5)) == more
    unshuffled = ranks(0, 1, lambda: InfiniteSampler(Range(3), shuffle=False, seed=0))
    assert list(itertools.islice(unshuffled, 7)) == [0, 1, 2, 0, 1, 2, 0]
    assert len(unshuffled) == 3
    unshuffled.set_epoch(5)
    assert unshuffled.state_dict()["epoch"] == 5


def test_infinite_two_ranks_cover_each_pass(ranks):
    streams = [list(itertools.islice(ranks(r, 2, lambda: InfiniteSampler(Range(8), seed=2)), 8)) for r in range(2)]
    merged = [x for pair in zip(*streams) for x in pair]
    for k in range(2):
        assert sorted(merged[8 * k : 8 * (k + 1)]) == list(range(8))


@pytest.mark.parametrize(
    "state, message",
    [
        ({"epoch": 0, "seed": 0}, "misses"),
        ({"epoch": 0, "seed": 0, "position": -1}, "non-negative"),
        ({"epoch": "0", "seed": 0, "position": 0}, "non-negative"),
        ({"epoch": 0, "seed": 0, "position": 50}, "beyond"),
    ],
)
def test_bad_states(state, message):
    with pytest.raises(DatasetValueError, match=message):
        DefaultSampler(Range(10), seed=0).load_state_dict(state)


def test_bad_arguments():
    with pytest.raises(DatasetTypeError, match="__len__"):
        DefaultSampler(iter([1]), seed=0)
    with pytest.raises(DatasetTypeError, match="seed"):
        InfiniteSampler(Range(3), seed="1")
    with pytest.raises(DatasetValueError, match="non-empty"):
        InfiniteSampler(Range(0), seed=0)
    with pytest.raises(DatasetTypeError, match="must be a dict"):
        InfiniteSampler(Range(2), seed=0).load_state_dict([0, 0, 0])
