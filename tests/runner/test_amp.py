"""mme.runner.autocast: device type from mme.device, bf16 by default on CPU, clear errors."""

from __future__ import annotations

import pytest
import torch
from mme.runner import RunnerConfigError, autocast

A = torch.ones(4, 4)


def test_cpu_bf16_by_default():
    with autocast(device_type="cpu"):
        assert (A @ A).dtype == torch.bfloat16
        assert torch.get_autocast_dtype("cpu") == torch.bfloat16
    assert (A @ A).dtype == torch.float32


def test_device_type_from_get_device(monkeypatch):
    monkeypatch.setattr("mme.runner._amp.get_device", lambda: "cpu")
    with autocast():
        assert torch.is_autocast_enabled("cpu")
        assert (A @ A).dtype == torch.bfloat16
    assert not torch.is_autocast_enabled("cpu")


def test_explicit_fp16_on_cpu():
    with autocast(device_type="cpu", dtype=torch.float16):
        assert (A @ A).dtype == torch.float16


def test_disabled_gives_fp32_even_inside_an_enabled_autocast():
    with autocast(device_type="cpu", enabled=False):
        assert (A @ A).dtype == torch.float32
    with autocast(device_type="cpu"):
        with autocast(device_type="cpu", enabled=False):
            assert (A @ A).dtype == torch.float32
        assert (A @ A).dtype == torch.bfloat16


def test_cache_enabled_is_passed_on():
    with autocast(device_type="cpu", cache_enabled=False):
        assert not torch.is_autocast_cache_enabled()
    with autocast(device_type="cpu", cache_enabled=True):
        assert torch.is_autocast_cache_enabled()


def test_as_decorator():
    @autocast(device_type="cpu")
    def mm():
        return A @ A

    assert mm().dtype == torch.bfloat16


def test_unsupported_dtype_is_a_clear_error():
    with pytest.raises(RunnerConfigError, match=r"autocast on 'cpu' supports .*bfloat16.* but got dtype=torch.float64"):
        with autocast(device_type="cpu", dtype=torch.float64):
            pass
    with pytest.raises(TypeError, match="torch.dtype"):
        with autocast(device_type="cpu", dtype="bf16"):
            pass
    with pytest.raises(TypeError, match="device_type must be a str"):
        with autocast(device_type=torch.device("cpu")):
            pass


def test_cuda_defaults_to_fp16(monkeypatch):
    seen = {}

    class Recorder:
        def __init__(self, device_type, dtype, enabled, cache_enabled):
            seen.update(device_type=device_type, dtype=dtype, enabled=enabled, cache_enabled=cache_enabled)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    monkeypatch.setattr("mme.runner._amp.get_device", lambda: "cuda")
    monkeypatch.setattr(torch, "autocast", Recorder)
    with autocast():
        pass
    assert seen == {"device_type": "cuda", "dtype": torch.float16, "enabled": True, "cache_enabled": None}
