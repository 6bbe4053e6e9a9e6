"""FSDPStrategy (FSDP2) through FlexibleRunner on 2 real CPU processes (gloo).

Every multi-process run goes through ``mme.dist.testing.run_distributed``; the 2-epoch runs that
several tests compare against are made once per module (fixtures ``fsdp_full`` and ``fsdp_sharded``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from mme.dist.testing import run_distributed
from mme.runner import FlexibleRunner, RunnerConfigError
from mme.strategy import StrategyConfigError
from mme.testing import ToyModel, get_toy_cfg
from strategy_support import train_under_torchrun

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 300


def _full_state(runner) -> dict[str, list]:
    """The whole model state as every rank sees it after gathering (a collective)."""
    from torch.distributed.checkpoint.state_dict import StateDictOptions, get_model_state_dict

    model = runner.model.module if isinstance(runner, FlexibleRunner) else runner
    state = get_model_state_dict(model, options=StateDictOptions(full_state_dict=True))
    return {k: v.tolist() for k, v in state.items()}


def _cfg(work_dir: str, **strategy) -> dict:
    return get_toy_cfg(work_dir, max_epochs=2, strategy=dict(type="FSDPStrategy", **strategy), launcher="pytorch")


def _train(cfg: dict) -> dict:
    runner = FlexibleRunner.from_cfg(cfg)
    runner.train()
    params = list(runner.model.module.parameters())
    return {"state": _full_state(runner), "wrapper": type(runner.model).__name__,
            "dtensor": all(type(p).__name__ == "DTensor" for p in params),
            "local_numel": sum(p.to_local().numel() for p in params), "numel": sum(p.numel() for p in params)}


def _ddp_train(work_dir: str) -> dict:
    runner = FlexibleRunner.from_cfg(get_toy_cfg(work_dir, max_epochs=2, strategy=dict(type="DDPStrategy"),
                                                 launcher="pytorch"))
    runner.train()
    return {k: v.tolist() for k, v in runner.model.module.state_dict().items()}


def _equal(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(torch.equal(torch.tensor(a[k]), torch.tensor(b[k])) for k in a)


@pytest.fixture(scope="module")
def fsdp_full(tmp_path_factory):
    work = tmp_path_factory.mktemp("fsdp_full")
    results = run_distributed(_train, 2, args=(_cfg(str(work / "wd")),), timeout=TIMEOUT)
    return work / "wd", results


@pytest.fixture(scope="module")
def fsdp_sharded(tmp_path_factory):
    work = tmp_path_factory.mktemp("fsdp_sharded")
    results = run_distributed(_train, 2, args=(_cfg(str(work / "wd"), state_dict_type="sharded"),), timeout=TIMEOUT)
    return work / "wd", results


def test_fsdp_trains_sharded_with_ranks_agreeing_and_matches_ddp(fsdp_full, tmp_path):
    work, results = fsdp_full
    assert results[0]["wrapper"] == "MMFullyShardedDataParallel" and results[0]["dtensor"]
    # each rank holds half of every parameter (the toy model's dims split evenly over 2 ranks)
    assert results[0]["local_numel"] * 2 == results[0]["numel"]
    assert _equal(results[0]["state"], results[1]["state"])
    # DDP on the same config: the same batches, dropout masks and averaged gradients. Bitwise on
    # 2 ranks: averaging two gradients is exact in any order (a + b is commutative and halving is
    # exact), whether DDP all-reduces a flat bucket or FSDP reduce-scatters each parameter. With
    # more ranks the sums could associate differently and agree only to rounding (~1e-7 relative).
    ddp = run_distributed(_ddp_train, 2, args=(str(tmp_path / "ddp"),), timeout=TIMEOUT)[0]
    assert _equal(results[0]["state"], ddp)
    # the 'full' checkpoint is the plain Runner's format: same keys, weights_only-loadable, loads
    # into the plain model
    saved = torch.load(work / "epoch_2.pth", weights_only=True)
    assert _equal({k: v.tolist() for k, v in saved["state_dict"].items()}, results[0]["state"])
    model = ToyModel()
    model.load_state_dict(saved["state_dict"])
    assert sorted(saved["optimizer"]["state"]) == [0, 1, 2, 3]  # torch's format: parameters numbered


def _resume(cfg: dict) -> dict:
    runner = FlexibleRunner.from_cfg(cfg)
    runner.train()
    if type(runner.model).__name__ == "MMFullyShardedDataParallel":
        return {"state": _full_state(runner)}
    return {"state": {k: v.tolist() for k, v in runner.model.module.state_dict().items()}}


def test_full_checkpoint_resume_is_exact(fsdp_full, tmp_path):
    work, results = fsdp_full
    epoch_1 = str(work / "epoch_1.pth")
    assert os.path.isfile(epoch_1)
    cfg = _cfg(str(tmp_path / "again"))
    cfg["resume"] = epoch_1
    resumed = run_distributed(_resume, 2, args=(cfg,), timeout=TIMEOUT)
    assert _equal(resumed[0]["state"], results[0]["state"]) and _equal(resumed[1]["state"], results[0]["state"])
    # the same file resumes a DDP run too (the optimizer state is in torch's own format)
    ddp_cfg = get_toy_cfg(str(tmp_path / "ddp"), max_epochs=2, strategy=dict(type="DDPStrategy"),
                          launcher="pytorch", resume=epoch_1)
    ddp = run_distributed(_resume, 2, args=(ddp_cfg,), timeout=TIMEOUT)
    assert _equal(ddp[0]["state"], results[0]["state"])


def test_sharded_checkpoint_is_a_complete_directory_and_resume_is_exact(fsdp_sharded, tmp_path):
    work, results = fsdp_sharded
    assert _equal(results[0]["state"], results[1]["state"])
    for epoch in (1, 2):
        ckpt = work / f"epoch_{epoch}.pth"
        assert ckpt.is_dir()
        names = sorted(p.name for p in ckpt.iterdir())
        assert "extras.pth" in names and ".metadata" in names and len([n for n in names if n.endswith(".distcp")]) == 2
        extras = torch.load(ckpt / "extras.pth", weights_only=True)
        assert extras["sharded_by"] == "FSDPStrategy" and extras["sharded_optimizer"] is True
        assert extras["meta"]["epoch"] == epoch and "state_dict" not in extras
    assert not [p for p in work.iterdir() if p.name.endswith(".tmp")]
    # a second job continues from epoch 1 in a work dir holding a copy of it, keeping one checkpoint
    again = tmp_path / "again"
    again.mkdir()
    shutil.copytree(work / "epoch_1.pth", again / "epoch_1.pth")
    cfg = _cfg(str(again), state_dict_type="sharded")
    cfg.update(resume=str(again / "epoch_1.pth"),
               default_hooks=dict(checkpoint=dict(type="CheckpointHook", interval=1, max_keep_ckpts=1)))
    resumed = run_distributed(_resume, 2, args=(cfg,), timeout=TIMEOUT)
    assert _equal(resumed[0]["state"], results[0]["state"]) and _equal(resumed[1]["state"], results[0]["state"])
    # max_keep_ckpts removed the older sharded directory
    assert sorted(p.name for p in again.glob("epoch_*")) == ["epoch_2.pth"]
    assert (again / "epoch_2.pth" / "extras.pth").is_file()


def _save_fails(cfg: dict, how: str) -> str:
    runner = FlexibleRunner.from_cfg(cfg)
    original = runner.strategy.save_shards

    def broken(directory, model, optim_wrapper):
        original(directory, model, optim_wrapper)  # every rank's shards are written...
        if how == "kill":
            os._exit(3)  # ...and the processes die before the directory is published
        raise OSError("disk full")

    runner.strategy.save_shards = broken
    try:
        runner.train()
    except OSError as e:
        return str(e)
    return "no error"


@pytest.mark.slow
def test_a_failed_sharded_save_never_appears_under_the_real_name(tmp_path):
    work = tmp_path / "wd"
    cfg = _cfg(str(work), state_dict_type="sharded")
    cfg["train_cfg"]["max_epochs"] = 1
    assert run_distributed(_save_fails, 2, args=(cfg, "raise"), timeout=TIMEOUT) == ["disk full", "disk full"]
    assert not (work / "epoch_1.pth").exists() and not [p for p in work.iterdir() if p.name.endswith(".tmp")]
    with pytest.raises(Exception, match="exit"):
        run_distributed(_save_fails, 2, args=(cfg, "kill"), timeout=TIMEOUT, grace=30)
    assert not (work / "epoch_1.pth").exists()
    temps = [p for p in work.iterdir() if p.name.startswith(".epoch_1.pth.") and p.name.endswith(".tmp")]
    assert len(temps) == 1 and temps[0].is_dir() and not (temps[0] / "extras.pth").exists()
    # the next start removes the temporary (CheckpointHook.before_train) and saves a whole checkpoint
    run_distributed(_train, 2, args=(cfg,), timeout=TIMEOUT)
    assert not temps[0].exists() and (work / "epoch_1.pth" / "extras.pth").is_file()


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONWARNINGS="ignore")
    return subprocess.run([sys.executable, "-m", "mme.cli", *args], capture_output=True, text=True, timeout=120,
                          env=env, cwd=cwd)


def test_mme_checkpoint_consolidate(fsdp_sharded, fsdp_full, tmp_path):
    work, results = fsdp_sharded
    out = tmp_path / "full.pth"
    proc = _cli("checkpoint", "consolidate", str(work / "epoch_2.pth"), str(out), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    saved = torch.load(out, weights_only=True)
    assert sorted(saved) == ["meta", "state_dict"] and saved["meta"]["epoch"] == 2
    assert _equal({k: v.tolist() for k, v in saved["state_dict"].items()}, results[0]["state"])
    model = ToyModel()
    model.load_state_dict(saved["state_dict"])  # strict: exactly the plain model's keys
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]

    # a checkpoint file is not sharded; an incomplete directory (no extras.pth) is refused
    proc = _cli("checkpoint", "consolidate", str(fsdp_full[0] / "epoch_2.pth"), str(tmp_path / "a.pth"), cwd=tmp_path)
    assert proc.returncode == 4 and "not a sharded checkpoint directory" in proc.stderr
    partial = tmp_path / "partial.pth"
    shutil.copytree(work / "epoch_1.pth", partial)
    (partial / "extras.pth").unlink()
    proc = _cli("checkpoint", "consolidate", str(partial), str(tmp_path / "b.pth"), cwd=tmp_path)
    assert proc.returncode == 4 and "not a complete sharded checkpoint" in proc.stderr
    assert not (tmp_path / "a.pth").exists() and not (tmp_path / "b.pth").exists()


def _train_options(cfg: dict) -> dict:
    from torch.distributed.fsdp import FSDPModule

    runner = FlexibleRunner.from_cfg(cfg)
    runner.train()
    model = runner.model.module
    return {"sharded": sorted(n for n, m in model.named_modules() if isinstance(m, FSDPModule)),
            "dtypes": sorted({str(p.dtype) for p in model.parameters()}),
            "loss": float(runner.message_hub.get_scalar("train/loss").current()),
            "grad_norm": float(runner.message_hub.get_scalar("train/grad_norm").current()),
            "state": _full_state(runner)}


def test_auto_wrap_mixed_precision_and_activation_checkpointing(tmp_path):
    cfg = _cfg(str(tmp_path / "wd"), auto_wrap_policy=["Linear"], activation_checkpointing=["net.0"],
               mixed_precision=dict(param_dtype="bfloat16", reduce_dtype="float32"), reshard_after_forward=False)
    cfg["train_cfg"]["max_epochs"] = 1
    cfg["optim_wrapper"]["clip_grad"] = dict(max_norm=1.0)
    results = run_distributed(_train_options, 2, args=(cfg,), timeout=TIMEOUT)
    # each Linear was sharded on its own, then the root
    assert results[0]["sharded"] == ["", "net.0", "net.3"]
    # parameters (and so the optimizer) stay float32; compute ran in bfloat16 and training went on
    assert results[0]["dtypes"] == ["torch.float32"] and results[0]["loss"] == results[0]["loss"]
    # gradient clipping works on the sharded gradients: one global norm, the same on both ranks
    assert results[0]["grad_norm"] > 0 and results[0]["grad_norm"] == results[1]["grad_norm"]
    assert _equal(results[0]["state"], results[1]["state"])


@pytest.mark.parametrize("strategy, error, match", [
    (dict(state_dict_typ="full"), RunnerConfigError, r"'state_dict_typ'.*state_dict_type"),
    (dict(state_dict_type="fully"), StrategyConfigError, "state_dict_type must be 'full'.*'sharded'"),
    (dict(model_wrapper=dict(reshard_after_forwrd=False)), StrategyConfigError,
     r"'reshard_after_forwrd'.*did you mean 'reshard_after_forward'"),
    (dict(mixed_precision=dict(param_dtype="bfloat17")), StrategyConfigError, "mixed_precision.param_dtype"),
    (dict(auto_wrap_policy=lambda m: True), StrategyConfigError, "auto_wrap_policy must be"),
])
def test_unknown_or_bad_arguments_fail_at_construction(tmp_path, strategy, error, match):
    with pytest.raises(error, match=match):
        FlexibleRunner.from_cfg(_cfg(str(tmp_path / "wd"), **strategy))
    assert not (tmp_path / "wd").exists()


def test_fsdp_needs_a_launcher(tmp_path):
    cfg = _cfg(str(tmp_path / "wd"))
    cfg["launcher"] = "none"
    with pytest.raises(RunnerConfigError, match="FSDPStrategy trains on several processes"):
        FlexibleRunner.from_cfg(cfg)


@pytest.mark.integration
@pytest.mark.slow
def test_mme_train_under_torchrun(tmp_path):
    proc, work = train_under_torchrun(tmp_path, "dict(type='FSDPStrategy')",
                                      "dict(optimizer=dict(type='SGD', lr=0.1, momentum=0.9))", max_epochs=2)
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert "MMFullyShardedDataParallel" in proc.stdout
    assert sorted(p.name for p in work.glob("epoch_*.pth")) == ["epoch_1.pth", "epoch_2.pth"]
    state = torch.load(work / "epoch_2.pth", weights_only=True)["state_dict"]
    ToyModel().load_state_dict(state)


def _nonfinite_on_one_rank() -> dict:
    from mme.dist import get_rank
    from mme.model import MMFullyShardedDataParallel
    from mme.optim import OptimWrapper

    torch.manual_seed(0)
    wrapper = MMFullyShardedDataParallel(ToyModel(dropout=0.0))
    optim = OptimWrapper(torch.optim.SGD(wrapper.parameters(), lr=0.1), nonfinite_grad="skip",
                         clip_grad=dict(max_norm=1.0))
    before = _full_state(wrapper.module)
    wrapper.module(torch.randn(4, 2), [0, 1, 0, 1], mode="loss")["loss"].backward()
    if get_rank() == 1:  # a NaN in rank 1's shard of the gradient only
        wrapper.module.net[0].weight.grad.to_local()[0, 0] = float("nan")
    optim.step()
    return {"skipped": optim.skipped_steps, "unchanged": _equal(before, _full_state(wrapper.module))}


def test_a_nonfinite_gradient_shard_skips_the_step_on_every_rank():
    # each rank holds only its shards of the gradients, yet the ranks must agree to skip together
    # (each checks its local shards, then one all-reduce of the flag; without it rank 0 would step)
    results = run_distributed(_nonfinite_on_one_rank, 2, timeout=TIMEOUT)
    assert results == [{"skipped": 1, "unchanged": True}] * 2


def _bad_module_names(work_dir: str) -> list[str]:
    messages = []
    for strategy in (dict(activation_checkpointing=["net.00"]), dict(auto_wrap_policy=["Linearr"])):
        try:
            FlexibleRunner.from_cfg(_cfg(f"{work_dir}/{len(messages)}", **strategy))
        except RunnerConfigError as e:
            messages.append(str(e))
    return messages


def test_unknown_module_names_are_config_errors_naming_close_ones(tmp_path):
    messages = run_distributed(_bad_module_names, 2, args=(str(tmp_path),), timeout=TIMEOUT)[0]
    assert len(messages) == 2
    assert "FSDPStrategy" in messages[0] and "'net.00'" in messages[0] and "'net.0'" in messages[0]
    assert "auto_wrap_policy" in messages[1] and "'Linearr'" in messages[1] and "'Linear'" in messages[1]
