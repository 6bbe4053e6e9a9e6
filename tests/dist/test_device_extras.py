"""The MUSA/DIPU/NPU device checks, the device constants, and init_local_group."""

from __future__ import annotations

import pytest
import torch
from mme import device, dist
from mme.dist.testing import run_distributed


def test_checks_are_false_without_their_plugins(monkeypatch):
    monkeypatch.delattr(torch, "musa", raising=False)
    assert device.is_musa_available() is False and device.get_max_musa_memory() == 0
    assert device.is_dipu_available() is False
    assert device.is_npu_support_full_precision() is False
    assert device.DEVICE == device.get_device()
    assert (device.IS_NPU_AVAILABLE, device.IS_MLU_AVAILABLE, device.IS_MUSA_AVAILABLE,
            device.IS_DIPU_AVAILABLE) == (False, False, False, False)


def test_musa_is_detected_and_chosen(monkeypatch):
    calls = []

    class FakeMusa:
        @staticmethod
        def is_available():
            return True

        @staticmethod
        def max_memory_allocated(device=None):
            calls.append(("max", device))
            return 3 * 1024 * 1024

        @staticmethod
        def reset_peak_memory_stats(device=None):
            calls.append(("reset", device))

    monkeypatch.setattr(torch, "musa", FakeMusa, raising=False)
    monkeypatch.setattr(device._device, "is_cuda_available", lambda: False)
    monkeypatch.setattr(device._device, "is_npu_available", lambda: False)
    monkeypatch.setattr(device._device, "is_mlu_available", lambda: False)
    assert device.is_musa_available() is True
    assert device.get_device() == "musa"
    assert device.get_max_musa_memory("musa:0") == 3 and calls == [("max", "musa:0"), ("reset", "musa:0")]


def test_init_local_group_needs_a_process_group():
    with pytest.raises(dist.DistEnvError, match="init_local_group needs an initialized default process group"):
        dist.init_local_group(0, 1)


def _local_groups():
    rank = dist.get_rank()
    dist.init_local_group(rank // 2, 2)
    out = {"local": (dist.get_local_rank(), dist.get_local_size())}
    try:
        dist.init_local_group(0 if rank >= 2 else 1, 2)
    except dist.DistValueError as exc:
        out["wrong_node"] = str(exc)
    try:
        dist.init_local_group(0, 3)
    except dist.DistValueError as exc:
        out["not_divisible"] = str(exc)
    return out


def test_init_local_group_makes_one_group_per_node():
    results = run_distributed(_local_groups, world_size=4)
    assert [r["local"] for r in results] == [(0, 2), (1, 2), (0, 2), (1, 2)]
    assert all("not on node_rank" in r["wrong_node"] for r in results)
    assert all("not a multiple of num_gpus_per_node=3" in r["not_divisible"] for r in results)
