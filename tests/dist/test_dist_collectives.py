"""Every collective across real gloo processes, with tensors and with objects."""

from __future__ import annotations

import os

import pytest
import torch
from mme import dist
from mme.dist.testing import run_distributed


def _queries():
    rank, world_size = dist.get_dist_info()
    return {
        "rank": rank,
        "world_size": world_size,
        "local": (dist.get_local_rank(), dist.get_local_size()),
        "backend": dist.get_backend(),
        "distributed": dist.is_distributed(),
        "main": dist.is_main_process(),
        "default_group": dist.get_default_group() is not None,
        "local_group": dist.get_local_group() is not None,
        "master_only": dist.master_only(lambda: "ran")(),
        "comm_device": str(dist.get_comm_device()),
    }


@pytest.mark.parametrize("world_size", [2, 3])
def test_queries(world_size):
    out = run_distributed(_queries, world_size=world_size)
    for rank, info in enumerate(out):
        assert info["rank"] == rank and info["world_size"] == world_size
        assert info["local"] == (rank, world_size)
        assert info["backend"] == "gloo" and info["distributed"]
        assert info["main"] == (rank == 0)
        assert info["master_only"] == ("ran" if rank == 0 else None)
        assert info["default_group"] and info["local_group"]
        assert info["comm_device"] == "cpu"


def _tensor_collectives():
    rank = dist.get_rank()
    out = {}
    for op in ("sum", "mean", "max", "min", "product"):
        t = torch.tensor([rank + 1.0, 2.0 * (rank + 1)])
        dist.all_reduce(t, op=op)
        out[op] = t.tolist()
    bits = torch.tensor([1 << rank])
    dist.all_reduce(bits, op="bor")
    out["bor"] = bits.item()
    out["all_gather"] = [t.tolist() for t in dist.all_gather(torch.full((2,), float(rank)))]
    out["gather"] = [t.tolist() for t in dist.gather(torch.tensor([rank * 10]), dst=1)]
    b = torch.tensor([float(rank)] * 3)
    dist.broadcast(b, src=1)
    out["broadcast"] = b.tolist()
    d = {"loss": torch.tensor(float(rank)), "acc": torch.tensor([1.0, rank]), "n": torch.tensor(rank + 1)}
    dist.all_reduce_dict(d, op="sum")
    out["dict"] = {k: v.tolist() for k, v in d.items()}
    m = torch.nn.Linear(2, 1)
    with torch.no_grad():
        m.weight.fill_(rank)
        m.bias.fill_(rank * 2)
    dist.all_reduce_params(m.parameters(), op="mean")
    out["params"] = (m.weight.tolist(), m.bias.tolist())
    buf = [torch.full((3,), float(rank)), torch.full((5,), 2.0 * rank)]
    dist.all_reduce_params(buf, bucket_size_mb=1)
    dist.all_reduce_params(buf, coalesce=False, op="max")
    out["buckets"] = [t.tolist() for t in buf]
    # a noncontiguous tensor keeps its layout and gets the result
    nc = torch.arange(6.0).reshape(2, 3).t() * (rank + 1)
    dist.all_reduce(nc)
    out["noncontiguous"] = nc.tolist()
    return out


def test_tensor_collectives():
    results = run_distributed(_tensor_collectives, world_size=2)
    r0, r1 = results
    assert r0["sum"] == r1["sum"] == [3.0, 6.0]
    assert r0["mean"] == [1.5, 3.0]
    assert r0["max"] == [2.0, 4.0] and r0["min"] == [1.0, 2.0] and r0["product"] == [2.0, 8.0]
    assert r0["bor"] == r1["bor"] == 3
    assert r0["all_gather"] == r1["all_gather"] == [[0.0, 0.0], [1.0, 1.0]]
    assert r0["gather"] == [] and r1["gather"] == [[0], [10]]
    assert r0["broadcast"] == r1["broadcast"] == [1.0, 1.0, 1.0]
    assert r0["dict"] == r1["dict"] == {"loss": 1.0, "acc": [2.0, 1.0], "n": 3}
    assert r0["params"] == r1["params"] == ([[0.5, 0.5]], [1.0])
    assert r0["buckets"] == r1["buckets"] == [[1.0] * 3, [2.0] * 5]
    expected = (torch.arange(6.0).reshape(2, 3).t() * 3).tolist()
    assert r0["noncontiguous"] == expected


def _object_collectives():
    rank = dist.get_rank()
    obj = {"rank": rank, "name": f"r{rank}", "items": list(range(rank + 1))}
    holder = [None, None] if rank else ["from0", {"k": (1, 2)}]
    dist.broadcast_object_list(holder, src=0)
    return {
        "all_gather_object": dist.all_gather_object(obj),
        "gather_object": dist.gather_object(obj, dst=0),
        "broadcast_object_list": holder,
        "seed": dist.sync_random_seed(),
    }


def test_object_collectives():
    r0, r1, r2 = run_distributed(_object_collectives, world_size=3)
    objs = [{"rank": r, "name": f"r{r}", "items": list(range(r + 1))} for r in range(3)]
    assert r0["all_gather_object"] == r1["all_gather_object"] == r2["all_gather_object"] == objs
    assert r0["gather_object"] == objs and r1["gather_object"] is None
    assert r1["broadcast_object_list"] == r2["broadcast_object_list"] == ["from0", {"k": (1, 2)}]
    assert r0["seed"] == r1["seed"] == r2["seed"]


def _subgroup_collectives():
    rank = dist.get_rank()
    group = torch.distributed.new_group([1, 2])
    out = {}
    if rank in (1, 2):
        t = torch.tensor([float(rank)])
        dist.all_reduce(t, group=group)
        out["sum"] = t.item()
        b = torch.tensor([float(rank)])
        dist.broadcast(b, src=1, group=group)  # src is the rank inside the group (global rank 2)
        out["bcast"] = b.item()
        out["gather"] = [x.item() for x in dist.gather(torch.tensor([rank]), dst=0, group=group)]
        out["objs"] = dist.gather_object(rank, dst=1, group=group)
        out["info"] = dist.get_dist_info(group)
    dist.barrier()
    return out


def test_collectives_on_a_subgroup():
    r0, r1, r2 = run_distributed(_subgroup_collectives, world_size=3)
    assert r0 == {}
    assert r1["sum"] == r2["sum"] == 3.0
    assert r1["bcast"] == r2["bcast"] == 2.0
    assert r1["gather"] == [1, 2] and r2["gather"] == []
    assert r1["objs"] is None and r2["objs"] == [1, 2]
    assert r1["info"] == (0, 2) and r2["info"] == (1, 2)


def _collect(size, device, tmpdir):
    rank, ws = dist.get_dist_info()
    # DefaultSampler-style interleaved split, padded (round_up) so every rank has the same count
    padded = -(-size // ws) * ws
    indices = [i % size for i in range(padded)][rank::ws]
    part = [{"idx": i, "pred": i * i} for i in indices]
    return dist.collect_results(part, size, device=device, tmpdir=tmpdir)


@pytest.mark.parametrize("device", ["cpu", "gpu"])
@pytest.mark.parametrize(("world_size", "size"), [(2, 7), (3, 9), (4, 6)])
def test_collect_results_keeps_dataset_order(device, world_size, size):
    results = run_distributed(_collect, world_size=world_size, args=(size, device, None))
    assert results[0] == [{"idx": i, "pred": i * i} for i in range(size)]
    assert all(r is None for r in results[1:])


def _collect_unpadded(tmpdir):
    rank, ws = dist.get_dist_info()
    part = list(range(5))[rank::ws]  # 5 items, no padding: shares of 3 and 2
    return dist.collect_results(part, 5, device="cpu", tmpdir=tmpdir)


def test_collect_results_cpu_in_given_dir_without_padding(tmp_path):
    shared = str(tmp_path / "collect")
    results = run_distributed(_collect_unpadded, world_size=2, args=(shared,))
    assert results == [[0, 1, 2, 3, 4], None]
    assert os.listdir(shared) == []  # the part files are cleaned up, the given dir is kept


def _bad_all_reduce_dict():
    keys = {"a": torch.ones(1)} if dist.get_rank() == 0 else {"b": torch.ones(1)}
    dist.all_reduce_dict(keys)


def test_all_reduce_dict_with_different_keys_names_the_problem():
    with pytest.raises(dist.WorkerFailedError, match="same keys") as info:
        run_distributed(_bad_all_reduce_dict, world_size=2)
    assert isinstance(info.value.__cause__, dist.DistValueError)
