"""The checks that need a CUDA machine, in one script: run it there and read the table.

What it runs, each through mme's own Runner/FlexibleRunner on a small synthetic classifier (an
MLP, 200 iterations) and on every GPU present:

* ``amp-fp16``: ``AmpOptimWrapper`` with fp16 and dynamic loss scaling on one GPU: the loss falls,
  the weights stay finite and the loss scale is a power of two the scaler has adjusted;
* ``amp-bf16``: the same with bf16 (no scaler), skipped on GPUs without bf16;
* ``ddp-nccl``: ``DDPStrategy`` over all GPUs with NCCL: the ranks end with equal weights;
* ``fsdp2-nccl``: ``FSDPStrategy`` (``fully_shard``) over all GPUs, full and sharded checkpoints
  written and resumed: the resumed run ends with the uninterrupted run's weights;
* ``deepspeed-zero2``/``deepspeed-zero3``: ``DeepSpeedStrategy`` with fp16 (skipped when
  ``deepspeed`` is not installed).

Each line of the table gives the check, ``ok``/``FAIL``/``skip``, the median time per iteration
and what was verified (or the error). The exit status is 1 if any check failed.

Run: ``python benchmarks/gpu_check.py`` on a machine with CUDA GPUs. ``--cpu`` runs what can run
on a CPU (bf16 autocast, DDP/FSDP2 over 2 gloo processes, DeepSpeed on its CPU accelerator) to
check the script itself.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from typing import Any

import numpy
import torch

from mme.dist.testing import run_distributed
from mme.hooks import Hook

from _synthetic import MLP, ArgmaxData

ITERS = 200


class _Timer(Hook):
    """Times training iterations and keeps the losses."""

    def __init__(self) -> None:
        self.times: list[float] = []
        self.losses: list[float] = []
        self._t = 0.0

    def before_train_iter(self, runner: Any, batch_idx: int, data_batch: Any = None) -> None:
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        self._t = time.perf_counter()

    def after_train_iter(self, runner: Any, batch_idx: int, data_batch: Any = None, outputs: Any = None) -> None:
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        self.times.append(time.perf_counter() - self._t)
        if outputs and "loss" in outputs:
            self.losses.append(float(outputs["loss"]))


def _cfg(work_dir: str, iters: int = ITERS, **overrides: Any) -> dict:
    cfg = dict(
        model=dict(type=MLP),
        work_dir=work_dir,
        train_dataloader=dict(dataset=dict(type=ArgmaxData), sampler=dict(type="InfiniteSampler", shuffle=True),
                              batch_size=32, num_workers=0, collate_fn=dict(type="default_collate")),
        train_cfg=dict(by_epoch=False, max_iters=iters),
        optim_wrapper=dict(optimizer=dict(type="AdamW", lr=1e-3)),
        default_hooks=dict(logger=dict(type="LoggerHook", interval=50),
                           checkpoint=dict(type="CheckpointHook", interval=iters // 2, by_epoch=False)),
        randomness=dict(seed=0),
        log_level="WARNING",
    )
    cfg.update(overrides)
    return cfg


def _train(cfg: dict) -> tuple[Any, _Timer]:
    from mme.runner import FlexibleRunner

    timer = _Timer()
    runner = FlexibleRunner.from_cfg(cfg)
    runner.register_hook(timer)
    runner.train()
    return runner, timer


def _weights(runner: Any) -> dict[str, Any]:
    """The whole model state as numpy arrays (sent back from worker processes by value); a sharding
    strategy gathers it on rank 0 only, the other ranks get an empty dict."""
    state = runner.strategy.model_state_dict(runner.model)
    return {k: v.detach().float().cpu().numpy() for k, v in state.items()}


def _ms(timer: _Timer) -> float:
    return 1000 * statistics.median(timer.times[10:] or timer.times)


# -- single-device checks ------------------------------------------------------------------------
def check_amp(dtype: str) -> tuple[float, str]:
    with tempfile.TemporaryDirectory() as tmp:
        wrapper = dict(type="AmpOptimWrapper", dtype=dtype, optimizer=dict(type="AdamW", lr=1e-3))
        if dtype == "float16":
            wrapper["loss_scale"] = "dynamic"
        runner, timer = _train(_cfg(tmp, optim_wrapper=wrapper))
        first, last = statistics.mean(timer.losses[:10]), statistics.mean(timer.losses[-10:])
        if not last < first:
            raise AssertionError(f"the loss did not fall ({first:.3f} -> {last:.3f})")
        if not all(numpy.isfinite(v).all() for v in _weights(runner).values()):
            raise AssertionError("non-finite weights")
        what = f"loss {first:.3f} -> {last:.3f}"
        if dtype == "float16":
            scale = float(runner.optim_wrapper.loss_scaler.get_scale())
            if not (scale > 0 and math.log2(scale).is_integer()):
                raise AssertionError(f"loss scale {scale} is not a power of two")
            what += f", loss scale {scale:g}"
        return _ms(timer), what


# -- distributed checks (one process per GPU) ----------------------------------------------------
def _dist_job(work_dir: str, strategy: dict, resume_check: bool) -> dict:
    runner, timer = _train(_cfg(os.path.join(work_dir, "full"), strategy=strategy, launcher="pytorch"))
    out: dict[str, Any] = {"ms": _ms(timer), "weights": _weights(runner)}
    if resume_check:  # continue from the half-way checkpoint: must end where the whole run ended
        resumed, _ = _train(_cfg(os.path.join(work_dir, "full"), strategy=strategy, launcher="pytorch",
                                 resume=os.path.join(work_dir, "full", f"iter_{ITERS // 2}.pth"),
                                 experiment_name="resumed"))
        out["resumed"] = _weights(resumed)
    return out


def _diff(a: dict, b: dict) -> float:
    """The largest absolute difference between two states (0.0 when either is empty: not gathered there)."""
    if not a or not b:
        return 0.0
    return max(float(abs(a[k] - b[k]).max()) for k in a)


def check_dist(strategy: dict, backend: str, world: int, resume_check: bool = True) -> tuple[float, str]:
    with tempfile.TemporaryDirectory() as tmp:
        results = run_distributed(_dist_job, world, args=(tmp, strategy, resume_check), backend=backend,
                                  timeout=1200)
    if world > 1 and any(_diff(results[0]["weights"], r["weights"]) > 0 for r in results[1:]):
        raise AssertionError("the ranks ended with different weights")
    what = f"{world} ranks agree"
    if resume_check:
        diff = _diff(results[0]["weights"], results[0]["resumed"])
        if diff > 1e-6:
            raise AssertionError(f"resumed run differs from the uninterrupted one by {diff:.3g}")
        what += f", resume exact ({'bitwise' if diff == 0 else f'max diff {diff:.1e}'})"
    return statistics.median(r["ms"] for r in results), what


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cpu", action="store_true", help="run the CPU-capable checks (to test the script)")
    args = parser.parse_args()
    cuda = torch.cuda.is_available() and not args.cpu
    if not cuda and not args.cpu:
        print("no CUDA device: run this on a GPU machine, or pass --cpu to check the script itself")
        return 2
    backend = "nccl" if cuda else "gloo"
    world = torch.cuda.device_count() if cuda else 2
    try:
        import deepspeed  # noqa: F401
        has_ds = True
    except ImportError:
        has_ds = False

    checks: list[tuple[str, Callable[[], tuple[float, str]] | None, str]] = [
        ("amp-fp16", (lambda: check_amp("float16")) if cuda else None, "fp16 needs CUDA"),
        ("amp-bf16", (lambda: check_amp("bfloat16")) if (not cuda or torch.cuda.is_bf16_supported()) else None,
         "no bf16 on this GPU"),
        (f"ddp-{backend}", lambda: check_dist(dict(type="DDPStrategy"), backend, world), ""),
        (f"fsdp2-{backend}-full", lambda: check_dist(dict(type="FSDPStrategy"), backend, world), ""),
        (f"fsdp2-{backend}-sharded",
         lambda: check_dist(dict(type="FSDPStrategy", state_dict_type="sharded"), backend, world), ""),
    ]
    for stage in (2, 3):
        ds = dict(type="DeepSpeedStrategy", zero_optimization=dict(stage=stage))
        if cuda:
            ds["fp16"] = dict(enabled=True)
        checks.append((f"deepspeed-zero{stage}", (lambda ds=ds: check_dist(ds, backend, world)) if has_ds else None,
                       "deepspeed is not installed"))

    device = torch.cuda.get_device_name(0) if cuda else "CPU"
    print(f"mme GPU check on {world} x {device}, torch {torch.__version__}")
    print(f"{'check':<24} {'result':<6} {'ms/iter':>8}  details")
    failed = 0
    for name, fn, why_skipped in checks:
        if fn is None:
            print(f"{name:<24} {'skip':<6} {'':>8}  {why_skipped}")
            continue
        try:
            ms, what = fn()
            print(f"{name:<24} {'ok':<6} {ms:8.2f}  {what}", flush=True)
        except Exception as exc:  # noqa: BLE001 - the table reports every failure and goes on
            failed += 1
            print(f"{name:<24} {'FAIL':<6} {'':>8}  {type(exc).__name__}: {str(exc).splitlines()[0][:200]}",
                  flush=True)
            traceback.print_exc(file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
