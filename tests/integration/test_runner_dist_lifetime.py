"""The process group a Runner creates lives only while it trains, validates or tests."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SCRIPT = textwrap.dedent(
    """
    import sys
    import torch
    import mme.dist as dist
    from mme.runner import Runner
    from mme.testing import get_toy_cfg

    cfg = get_toy_cfg(sys.argv[1], max_epochs=2, launcher="pytorch",
                      test_dataloader=dict(dataset=dict(type="ToyDataset", size=32, seed=2),
                                           sampler=dict(type="DefaultSampler", shuffle=False), batch_size=8),
                      test_cfg=dict(), test_evaluator=dict(type="ToyMetric"))
    runner = Runner.from_cfg(cfg)
    assert dist.is_distributed()  # made at construction (the ranks agree on a timestamp)
    runner.train()
    assert not dist.is_distributed(), "train() left the process group it created alive"
    weights = [p.detach().clone() for p in runner.model.parameters()]
    metrics = runner.test()  # a fresh group, and a DDP wrapper bound to it
    assert not dist.is_distributed()
    runner.train()  # finished: nothing to do, but a second train() must work too
    dist.init_dist("pytorch")
    for w in weights:
        parts = dist.all_gather(w)
        assert torch.equal(parts[0], parts[1]), "the ranks' weights differ"
    dist.destroy_dist()
    print(f"OK {metrics}", flush=True)
    """
)


def test_runner_destroys_the_group_it_made_after_each_run_and_recreates_it(tmp_path):
    script = tmp_path / "job.py"
    script.write_text(SCRIPT)
    env = {k: v for k, v in os.environ.items() if k not in ("RANK", "WORLD_SIZE", "MASTER_PORT", "MASTER_ADDR")}
    env["OMP_NUM_THREADS"] = "1"
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2", str(script),
           str(tmp_path / "wd")]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=False, env=env, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert proc.stdout.count("OK {") == 2


FSDP_SCRIPT = textwrap.dedent(
    """
    import sys
    import mme.dist as dist
    from mme.runner import FlexibleRunner
    from mme.testing import get_toy_cfg

    cfg = get_toy_cfg(sys.argv[1], max_epochs=1, launcher="pytorch", strategy=dict(type="FSDPStrategy"),
                      test_dataloader=dict(dataset=dict(type="ToyDataset", size=32, seed=2),
                                           sampler=dict(type="DefaultSampler", shuffle=False), batch_size=8),
                      test_cfg=dict(), test_evaluator=dict(type="ToyMetric"))
    runner = FlexibleRunner.from_cfg(cfg)
    runner.train()
    assert dist.is_distributed(), "the parameters are sharded over the group: it stays until exit"
    metrics = runner.test()
    print(f"OK {metrics}", flush=True)
    """
)


def test_a_sharded_model_keeps_its_group_for_later_runs_and_the_job_exits_cleanly(tmp_path):
    script = tmp_path / "job.py"
    script.write_text(FSDP_SCRIPT)
    env = {k: v for k, v in os.environ.items() if k not in ("RANK", "WORLD_SIZE", "MASTER_PORT", "MASTER_ADDR")}
    env["OMP_NUM_THREADS"] = "1"
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2", str(script),
           str(tmp_path / "wd")]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=False, env=env, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert proc.stdout.count("OK {") == 2
