"""ZeroRedundancyOptimizer on 2 real gloo processes: sharded state, same training as plain DDP."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch
import torch.distributed as dist
import torch.nn.functional as F
from mme.dist.testing import run_distributed
from mme.model import BaseModel, MMDistributedDataParallel
from mme.optim import OptimConfigError, OptimTypeError, ZeroRedundancyOptimizer, build_optim_wrapper
from mme.registry import OPTIMIZERS
from torch import nn


class Regressor(BaseModel):
    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.net = nn.Sequential(nn.Linear(6, 8), nn.Tanh(), nn.Linear(8, 8), nn.Tanh(), nn.Linear(8, 1))

    def forward(self, inputs, data_samples=None, mode="tensor"):
        out = self.net(inputs).squeeze(1)
        if mode == "loss":
            return {"loss": F.mse_loss(out, data_samples)}
        return out


def _data(rank: int, step: int) -> dict:
    g = torch.Generator().manual_seed(100 * rank + step)
    return {"inputs": torch.randn(5, 6, generator=g), "data_samples": torch.randn(5, generator=g)}


def _train(optimizer: dict, paramwise_cfg: dict | None, steps: int):
    model = MMDistributedDataParallel(module=Regressor())
    cfg = dict(type="OptimWrapper", optimizer=optimizer)
    if paramwise_cfg is not None:
        cfg["paramwise_cfg"] = paramwise_cfg
    wrapper = build_optim_wrapper(model, cfg)
    for step in range(steps):
        model.train_step(_data(dist.get_rank(), step), wrapper)
    return model, wrapper


def _worker(optimizer_type: str, kwargs: dict, paramwise_cfg: dict | None):
    rank = dist.get_rank()
    zero_model, zero_wrapper = _train(
        dict(type="ZeroRedundancyOptimizer", optimizer_type=optimizer_type, **kwargs), paramwise_cfg, 3)
    ref_model, ref_wrapper = _train(dict(type=optimizer_type, **kwargs), paramwise_cfg, 3)
    zero = zero_wrapper.optimizer
    params = list(zero_model.module.parameters())
    local_state = [i for i, p in enumerate(params) if zero.optim.state.get(p)]
    state = zero_wrapper.state_dict()  # a collective: every rank calls it
    full = None
    if rank == 0:
        ref_state = ref_wrapper.state_dict()["state"]
        full = {
            "n_state": len(state["state"]),
            "lrs": [g["lr"] for g in state["param_groups"]],
            "max_state_diff": max(
                (state["state"][i][k] - ref_state[i][k]).abs().max().item()
                for i in ref_state for k in ref_state[i] if torch.is_tensor(ref_state[i][k]) and k != "step"),
        }
    max_param_diff = max((a - b).abs().max().item()
                         for a, b in zip(zero_model.module.parameters(), ref_model.module.parameters()))
    # a fresh ZeRO optimizer loads the full state on every rank and carries on like the reference
    objects = [state if rank == 0 else None]
    dist.broadcast_object_list(objects, src=0)
    resumed_model = MMDistributedDataParallel(module=Regressor())
    resumed_model.module.load_state_dict(zero_model.module.state_dict())
    cfg = dict(type="OptimWrapper",
               optimizer=dict(type="ZeroRedundancyOptimizer", optimizer_type=optimizer_type, **kwargs))
    if paramwise_cfg is not None:
        cfg["paramwise_cfg"] = paramwise_cfg
    resumed = build_optim_wrapper(resumed_model, cfg)
    resumed.load_state_dict(objects[0])
    resumed_model.train_step(_data(rank, 3), resumed)
    ref_model.train_step(_data(rank, 3), ref_wrapper)
    return {
        "is_zero": isinstance(zero, ZeroRedundancyOptimizer),
        "n_params": len(params),
        "local_state": local_state,
        "non_rank0_state": state if rank != 0 else None,
        "full": full,
        "max_param_diff": max_param_diff,
        "max_resumed_diff": max((a - b).abs().max().item()
                                for a, b in zip(resumed_model.module.parameters(), ref_model.module.parameters())),
        "params": [p.detach().flatten().tolist() for p in zero_model.module.parameters()],
    }


def _check(out: list[dict]) -> None:
    r0, r1 = out
    assert r0["is_zero"]
    # each rank holds the optimizer state of its own shard only: disjoint, non-empty, all together
    assert r0["local_state"] and r1["local_state"]
    assert not set(r0["local_state"]) & set(r1["local_state"])
    assert sorted(r0["local_state"] + r1["local_state"]) == list(range(r0["n_params"]))
    # state_dict() consolidates on rank 0 only
    assert r0["full"]["n_state"] == r0["n_params"]
    assert r1["non_rank0_state"] == {}
    assert r0["full"]["max_state_diff"] < 1e-6
    # same training as the plain optimizer under DDP, on both ranks, before and after resuming
    assert r0["params"] == r1["params"]
    for r in out:
        assert r["max_param_diff"] < 1e-6
        assert r["max_resumed_diff"] < 1e-6


def test_adamw_matches_plain_ddp_with_sharded_state():
    out = run_distributed(_worker, world_size=2, args=("AdamW", dict(lr=0.01, weight_decay=0.01), None), timeout=240)
    _check(out)


def test_sgd_with_paramwise_cfg_matches_plain_ddp():
    paramwise = dict(custom_keys={"net.0": dict(lr_mult=0.1)}, bias_lr_mult=2.0)
    out = run_distributed(_worker, world_size=2, args=("SGD", dict(lr=0.1, momentum=0.9), paramwise), timeout=240)
    _check(out)
    lrs = out[0]["full"]["lrs"]
    assert len(lrs) == out[0]["n_params"] and sorted(set(lrs)) == pytest.approx([0.01, 0.1, 0.2])


def test_needs_a_process_group_and_an_optimizer_type():
    params = [nn.Parameter(torch.zeros(2))]
    with pytest.raises(OptimConfigError, match="needs an initialised process group"):
        ZeroRedundancyOptimizer(params, "SGD", lr=0.1)
    with pytest.raises(OptimConfigError, match="needs an initialised process group"):
        OPTIMIZERS.build(dict(type="ZeroRedundancyOptimizer", params=params, optimizer_type=torch.optim.SGD, lr=0.1))
    with pytest.raises(KeyError, match="AdamX"):
        ZeroRedundancyOptimizer(params, "AdamX", lr=0.1)
    with pytest.raises(OptimTypeError, match="optimizer_type must name a torch.optim.Optimizer"):
        ZeroRedundancyOptimizer(params, nn.Linear, lr=0.1)
    for itself in ("ZeroRedundancyOptimizer", ZeroRedundancyOptimizer, torch.distributed.optim.ZeroRedundancyOptimizer):
        with pytest.raises(OptimConfigError, match="cannot wrap itself"):
            ZeroRedundancyOptimizer(params, itself)


def test_importing_mme_optim_does_not_import_torch_distributed_optim():
    code = ("import sys, mme.optim; assert 'torch.distributed.optim' not in sys.modules; "
            "from mme.optim import ZeroRedundancyOptimizer as Z; import torch.distributed.optim as o; "
            "assert issubclass(Z, o.ZeroRedundancyOptimizer)")
    subprocess.run([sys.executable, "-c", code], check=True)
