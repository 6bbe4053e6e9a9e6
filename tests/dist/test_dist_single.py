"""mme.dist and mme.device without a process group: everything behaves as a world of size 1."""

from __future__ import annotations

import datetime
from collections import namedtuple

import numpy as np
import pytest
import torch
from mme import device, dist


def test_queries_without_process_group():
    assert not dist.is_distributed()
    assert dist.get_dist_info() == (0, 1)
    assert dist.get_rank() == 0 and dist.get_world_size() == 1
    assert dist.get_local_rank() == 0 and dist.get_local_size() == 1
    assert dist.get_backend() is None
    assert dist.get_default_group() is None and dist.get_local_group() is None
    assert dist.is_main_process()
    dist.barrier()
    assert dist.get_comm_device() == torch.device("cpu")


def test_master_only_runs_on_the_only_process():
    @dist.master_only
    def f(x):
        return x + 1

    assert f(1) == 2
    assert f.__name__ == "f"


def test_tensor_collectives_are_identity():
    t = torch.tensor([1.0, 2.0])
    for op in ("sum", "mean", "max", "MIN", "product"):
        dist.all_reduce(t, op=op)
    assert t.tolist() == [1.0, 2.0]
    assert dist.all_gather(t)[0] is t
    assert dist.gather(t)[0] is t
    dist.broadcast(t)
    d = {"a": torch.ones(2), "b": torch.zeros(1, dtype=torch.long)}
    dist.all_reduce_dict(d, op="mean")
    assert d["a"].tolist() == [1.0, 1.0]
    p = torch.nn.Parameter(torch.ones(3))
    dist.all_reduce_params([p])
    assert p.data.tolist() == [1.0, 1.0, 1.0]


def test_object_collectives_are_identity():
    obj = {"x": [1, 2], "y": "z"}
    assert dist.all_gather_object(obj) == [obj]
    assert dist.gather_object(obj) == [obj]
    holder = [obj, 3]
    dist.broadcast_object_list(holder)
    assert holder == [obj, 3]
    assert isinstance(dist.sync_random_seed(), int)


def test_collect_results_truncates_padding():
    assert dist.collect_results(list(range(5)), size=4) == [0, 1, 2, 3]
    assert dist.collect_results(list(range(5)), size=4, device="gpu") == [0, 1, 2, 3]
    assert dist.collect_results_cpu([1], 1) == [1]
    assert dist.collect_results_gpu([1], 1) == [1]


@pytest.mark.parametrize(
    ("call", "exc", "words"),
    [
        (lambda: dist.all_reduce(torch.ones(1), op="median"), dist.DistValueError, "median"),
        (lambda: dist.all_reduce([1.0]), dist.DistTypeError, "all_reduce expects a torch.Tensor"),
        (lambda: dist.all_reduce(torch.ones(1, dtype=torch.long), op="mean"), dist.DistTypeError, "floating"),
        (lambda: dist.all_reduce_dict({"a": 1}), dist.DistTypeError, "'a'"),
        (lambda: dist.broadcast_object_list((1,)), dist.DistTypeError, "list"),
        (lambda: dist.collect_results((1,), 1), dist.DistTypeError, "results"),
        (lambda: dist.collect_results([1], -1), dist.DistValueError, "size"),
        (lambda: dist.collect_results([1], 1, device="tpu"), dist.DistValueError, "tpu"),
    ],
)
def test_bad_input_is_named(call, exc, words):
    with pytest.raises(exc, match=words):
        call()


def test_data_device_helpers():
    t = torch.zeros(2)
    assert dist.get_data_device(t) == torch.device("cpu")
    assert dist.get_data_device({"a": [t, t], "b": (t,)}) == torch.device("cpu")
    assert dist.get_data_device([]) is None
    with pytest.raises(dist.DistTypeError, match="str"):
        dist.get_data_device(["x"])
    meta = torch.zeros(1, device="meta")
    with pytest.raises(dist.DistValueError, match="one device"):
        dist.get_data_device([t, meta])

    Pair = namedtuple("Pair", "a b")
    moved = dist.cast_data_device({"p": Pair(t, t), "l": [t]}, "meta")
    assert isinstance(moved["p"], Pair) and moved["p"].a.device.type == "meta"
    out = [torch.empty(2)]
    assert dist.cast_data_device([torch.ones(2)], "cpu", out=out) is out
    assert out[0].tolist() == [1.0, 1.0]
    with pytest.raises(dist.DistTypeError, match="numpy"):
        dist.cast_data_device(np.zeros(1), "cpu")
    with pytest.raises(dist.DistTypeError, match="items"):
        dist.cast_data_device([t], "cpu", out=[t, t])


def test_infer_launcher(monkeypatch):
    for var in ("WORLD_SIZE", "SLURM_NTASKS", "OMPI_COMM_WORLD_LOCAL_RANK"):
        monkeypatch.delenv(var, raising=False)
    assert dist.infer_launcher() == "none"
    monkeypatch.setenv("OMPI_COMM_WORLD_LOCAL_RANK", "0")
    assert dist.infer_launcher() == "mpi"
    monkeypatch.setenv("SLURM_NTASKS", "2")
    assert dist.infer_launcher() == "slurm"
    monkeypatch.setenv("WORLD_SIZE", "2")
    assert dist.infer_launcher() == "pytorch"


def test_init_dist_rejects_bad_arguments(monkeypatch):
    with pytest.raises(dist.DistValueError, match="launcher 'none'"):
        dist.init_dist("none")
    with pytest.raises(dist.DistValueError, match="init_backend"):
        dist.init_dist("pytorch", init_backend="horovod")
    monkeypatch.delenv("RANK", raising=False)
    with pytest.raises(dist.DistEnvError, match="RANK is not set"):
        dist.init_dist("pytorch")
    monkeypatch.setenv("RANK", "zero")
    with pytest.raises(dist.DistEnvError, match="RANK='zero'"):
        dist.init_dist("pytorch")
    with pytest.raises(dist.DistValueError, match="timeout"):
        dist.init_dist("pytorch", timeout=-3)
    monkeypatch.delenv("MASTER_ADDR", raising=False)
    for var in ("OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE"):
        monkeypatch.setenv(var, "1")
    with pytest.raises(dist.DistEnvError, match="MASTER_ADDR"):
        dist.init_dist("mpi")
    assert not dist.is_distributed()


def test_init_dist_single_process_with_file_store(tmp_path, monkeypatch):
    monkeypatch.setenv("RANK", "0")
    monkeypatch.setenv("WORLD_SIZE", "1")
    dist.init_dist("pytorch", backend="nccl", init_method=f"file://{tmp_path / 'store'}",
                   timeout=datetime.timedelta(seconds=30))
    try:
        # nccl without CUDA falls back to gloo
        assert dist.get_backend() == ("nccl" if torch.cuda.is_available() else "gloo")
        assert dist.get_dist_info() == (0, 1)
        assert dist.get_local_group() is dist.get_default_group()
        dist.init_dist("pytorch")  # already initialised: kept, no error
        t = torch.ones(2)
        dist.all_reduce(t)
        assert t.tolist() == [1.0, 1.0]
    finally:
        torch.distributed.destroy_process_group()


def test_device_module():
    assert device.get_device() in {"cuda", "npu", "mlu", "mps", "cpu"}
    assert isinstance(device.is_cuda_available(), bool)
    assert isinstance(device.is_mps_available(), bool)
    assert isinstance(device.is_npu_available(), bool)
    assert isinstance(device.is_mlu_available(), bool)
    if not device.is_cuda_available():
        assert device.get_max_cuda_memory() == 0
    assert device.__version__ == dist.__version__


def test_local_group_is_not_stale_after_a_new_process_group(tmp_path, monkeypatch):
    monkeypatch.setenv("RANK", "0")
    monkeypatch.setenv("WORLD_SIZE", "1")
    dist.init_dist("pytorch", init_method=f"file://{tmp_path / 'a'}")
    torch.distributed.destroy_process_group()
    assert dist.get_local_group() is None
    torch.distributed.init_process_group("gloo", init_method=f"file://{tmp_path / 'b'}", rank=0, world_size=1)
    try:
        assert dist.get_local_group() is dist.get_default_group()
        assert (dist.get_local_rank(), dist.get_local_size()) == (0, 1)
    finally:
        torch.distributed.destroy_process_group()
