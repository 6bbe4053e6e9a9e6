"""DeepSpeedStrategy: ZeRO stages 0-3 on two CPU processes (gloo), exact resume, consolidation, bad input.

DeepSpeed runs on the CPU here (``DS_ACCELERATOR=cpu``). Its first use JIT-compiles a small
shared-memory extension (about a minute on an idle 2-core machine, several under load): the
session fixture builds it once, in a subprocess, into a persistent ``TORCH_EXTENSIONS_DIR``
(torch's default cache unless that is set or not writable), holding a file lock so two test
sessions never build it at once; the workers then only load it.
"""

from __future__ import annotations

import fcntl
import importlib.util
import json
import os
import os.path as osp
import subprocess
import sys
import time

import pytest
import torch

from mme.dist.testing import run_distributed
from mme.testing import get_toy_cfg
from strategy_support import train_under_torchrun

pytestmark = pytest.mark.skipif(importlib.util.find_spec("deepspeed") is None,
                                reason="deepspeed is not installed (the hatch test env installs it)")

_PREBUILD = """
from deepspeed.accelerator import get_accelerator
builder = get_accelerator().create_op_builder('ShareMemCommBuilder')
if builder is not None:
    builder.load(verbose=False)
"""


def _extensions_dir(tmp_path_factory) -> str:
    path = os.environ.get("TORCH_EXTENSIONS_DIR") or osp.join(
        os.environ.get("XDG_CACHE_HOME") or osp.expanduser("~/.cache"), "torch_extensions",
        f"py{sys.version_info.major}{sys.version_info.minor}_cpu")
    try:
        os.makedirs(path, exist_ok=True)
        if os.access(path, os.W_OK):
            return path
    except OSError:
        pass
    return str(tmp_path_factory.mktemp("torch_extensions"))


@pytest.fixture(scope="session")
def ds_env(tmp_path_factory) -> dict[str, str]:
    """The workers' environment: the CPU accelerator and a built JIT extension."""
    env = {"DS_ACCELERATOR": "cpu", "TORCH_EXTENSIONS_DIR": _extensions_dir(tmp_path_factory)}
    with open(osp.join(env["TORCH_EXTENSIONS_DIR"], ".mme-deepspeed-build.lock"), "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released by the kernel if this process dies
        lock.seek(0)
        builder = lock.read().strip()  # the pid of the last build started here
        stale = osp.join(env["TORCH_EXTENSIONS_DIR"], "deepspeed_shm_comm", "lock")
        if osp.exists(stale) and (builder.isdigit() and not _alive(int(builder))
                                  or time.time() - osp.getmtime(stale) > 900):
            os.remove(stale)  # torch's own build lock, left by a killed build (torch would wait for it forever)
        build = subprocess.Popen([sys.executable, "-c", _PREBUILD], env={**os.environ, **env}, text=True,
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        lock.seek(0)
        lock.truncate()
        lock.write(str(build.pid))
        lock.flush()
        output, _ = build.communicate(timeout=900)
        assert build.returncode == 0, f"building DeepSpeed's extension failed:\n{output[-3000:]}"
    return env


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's
        return True
    return True


def _ds_cfg(work_dir: str, stage: int, **overrides) -> dict:
    cfg = get_toy_cfg(work_dir, max_epochs=2, launcher="pytorch",
                      strategy=dict(type="DeepSpeedStrategy", zero_optimization=dict(stage=stage)),
                      optim_wrapper=dict(type="DeepSpeedOptimWrapper",
                                         optimizer=dict(type="SGD", lr=0.1, momentum=0.9)))
    cfg.update(overrides)
    return cfg


def _train_and_resume(root: str, stage: int) -> dict:
    from mme.runner import FlexibleRunner
    from mme.strategy import DeepSpeedStrategy

    def weights(runner) -> dict:
        return {k: v.tolist() for k, v in runner.strategy.model_state_dict(runner.model).items()}

    full = FlexibleRunner.from_cfg(_ds_cfg(osp.join(root, "full"), stage))
    assert isinstance(full.strategy, DeepSpeedStrategy)
    full.train()
    assert type(full.model).__name__ == "MMDeepSpeedEngineWrapper" and full.model.engine is not None
    resumed = FlexibleRunner.from_cfg(_ds_cfg(osp.join(root, "resumed"), stage,
                                              resume=osp.join(root, "full", "epoch_1.pth")))
    resumed.train()
    return {"full": weights(full), "resumed": weights(resumed), "lr": resumed.optim_wrapper.get_lr()["lr"]}


@pytest.mark.slow
@pytest.mark.integration
@pytest.mark.parametrize("stage", [0, 1, 2, 3])
def test_zero_stage_trains_checkpoints_resumes_and_consolidates(tmp_path, ds_env, stage):
    results = run_distributed(_train_and_resume, 2, args=(str(tmp_path), stage), env=ds_env, timeout=420)
    full = results[0]["full"]
    assert full.keys() == {"net.0.weight", "net.0.bias", "net.3.weight", "net.3.bias"}
    assert results[1]["full"] == full  # every rank holds the same weights
    # resuming from epoch 1 continues exactly: fp32 math, the same reduction order, the RNG restored
    assert results[0]["resumed"] == full and results[1]["resumed"] == full
    assert results[0]["lr"] == [0.05]  # MultiStepLR's milestone passed before the resume point
    initial = torch.nn.Linear(2, 8)  # trained weights moved away from any fresh initialisation
    assert full["net.0.weight"] != initial.weight.tolist()
    for epoch in (1, 2):
        ckpt = tmp_path / "full" / f"epoch_{epoch}.pth"
        assert ckpt.is_dir() and (ckpt / "extras.pth").is_file() and (ckpt / "deepspeed").is_dir()
        extras = torch.load(ckpt / "extras.pth", weights_only=True)
        assert extras["sharded_by"] == "DeepSpeedStrategy" and extras["meta"]["epoch"] == epoch

    out = tmp_path / "epoch_2_full.pth"
    proc = subprocess.run([sys.executable, "-m", "mme.cli", "checkpoint", "consolidate",
                           str(tmp_path / "full" / "epoch_2.pth"), str(out)],
                          env={**os.environ, **ds_env}, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    state = torch.load(out, weights_only=True)["state_dict"]
    assert {k: v.tolist() for k, v in state.items()} == full
    assert all(v.dtype == torch.float32 for v in state.values())


@pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::FutureWarning", "ignore::UserWarning")
@pytest.mark.parametrize("strategy, message", [
    (dict(zero_optimisation=dict(stage=2)), r"'zero_optimisation' is not a DeepSpeed config key; did you mean "
                                            r"'zero_optimization'\?"),
    (dict(config=dict(train_micro_batch_size=4)), r"'train_micro_batch_size' is not a DeepSpeed config key; did you "
                                                  r"mean 'train_micro_batch_size_per_gpu'\?"),
    (dict(zero_optimization=dict(stage=2, overlap_com=True)), r"zero_optimization\.overlap_com is not a DeepSpeed "
                                                              r"config key; did you mean 'overlap_comm'\?"),
    (dict(zero_optimization=dict(stage="two")), r"invalid zero_optimization: zero_optimization\.stage"),
])
def test_an_unknown_deepspeed_config_key_fails_when_the_runner_is_built(tmp_path, monkeypatch, strategy, message):
    from mme.runner import FlexibleRunner

    monkeypatch.setenv("DS_ACCELERATOR", "cpu")
    if "zero_optimisation" in strategy:  # a key of the config dict itself, as a JSON file
        path = tmp_path / "ds.json"
        path.write_text(json.dumps(strategy))
        strategy = dict(config=str(path))
    cfg = get_toy_cfg(str(tmp_path / "wd"), launcher="none", strategy=dict(type="DeepSpeedStrategy", **strategy))
    with pytest.raises(Exception, match=message) as info:
        FlexibleRunner.from_cfg(cfg)
    assert isinstance(info.value, ValueError)  # StrategyConfigError (inside the registry's BuildError)
    assert not (tmp_path / "wd").exists()


def test_the_optim_wrapper_rejects_what_the_engine_does():
    from mme.optim import DeepSpeedOptimWrapper, OptimConfigError

    optimizer = torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=0.1)
    with pytest.raises(OptimConfigError, match="gradient_clipping"):
        DeepSpeedOptimWrapper(optimizer, clip_grad=dict(max_norm=1.0))
    with pytest.raises(OptimConfigError, match="gradient_accumulation_steps"):
        DeepSpeedOptimWrapper(optimizer, accumulative_counts=2)
    wrapper = DeepSpeedOptimWrapper(optimizer)
    assert wrapper.state_dict() == {}
    with pytest.raises(OptimConfigError, match="no engine yet"):
        wrapper.update_params(torch.ones((), requires_grad=True))



class _HoldsModel(torch.nn.Module):
    """Stands for the engine once attached: the strategy only asks whether there is one."""

    def __init__(self, module):
        super().__init__()
        self.module = module


@pytest.mark.parametrize("model, optim_wrapper, message", [
    (torch.nn.Linear(2, 2), {},
     r"DeepSpeedStrategy trains a MMDeepSpeedEngineWrapper \(its wrap_model's\), got Linear"),
    (None, dict(type="OptimWrapper"), r"DeepSpeedStrategy needs optim_wrapper type='DeepSpeedOptimWrapper', got "
                                      r"'OptimWrapper' \(the DeepSpeed engine does the backward"),
    (None, dict(clip_grad=dict(max_norm=1)), r"optim_wrapper clip_grad=\{'max_norm': 1\} is not used with DeepSpeed: "
                                             r"set strategy=dict\(type='DeepSpeedStrategy', gradient_clipping=...\)"),
    ("attached", {}, "the model already has the DeepSpeed engine; build_optim_wrapper runs once"),
])
def test_build_optim_wrapper_checks_the_model_and_the_wrapper_first(model, optim_wrapper, message):
    from mme.model import MMDeepSpeedEngineWrapper
    from mme.strategy import DeepSpeedStrategy, StrategyConfigError
    from mme.testing import ToyModel

    if model is None or model == "attached":
        wrapped = MMDeepSpeedEngineWrapper(ToyModel())
        if model == "attached":
            wrapped.attach_engine(_HoldsModel(wrapped.module))
        model = wrapped
    optim_wrapper = dict(optimizer=dict(type="SGD", lr=0.1), **optim_wrapper)
    with pytest.raises(StrategyConfigError, match=message):
        DeepSpeedStrategy().build_optim_wrapper(optim_wrapper, model)


@pytest.mark.slow
@pytest.mark.integration
def test_mme_train_under_torchrun(tmp_path, ds_env):
    proc, work = train_under_torchrun(tmp_path, "dict(type='DeepSpeedStrategy', zero_optimization=dict(stage=2))",
                                      "dict(type='DeepSpeedOptimWrapper', optimizer=dict(type='SGD', lr=0.1))",
                                      env=ds_env, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "strategy: DeepSpeedStrategy" in proc.stdout
    assert (work / "epoch_1.pth" / "extras.pth").is_file()
    assert (work / "last_checkpoint").read_text().strip().endswith("epoch_1.pth")
