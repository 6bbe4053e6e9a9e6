"""The process group a Runner creates lives only while it trains, validates or tests."""

from __future__ import annotations

import textwrap

import pytest

from mme.dist.testing import run_torchrun

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


def _run_twice_ok(tmp_path, script_text: str) -> None:
    """Run ``script_text`` on 2 processes under torchrun; each rank must print its OK line."""
    script = tmp_path / "job.py"
    script.write_text(script_text)
    proc = run_torchrun([script, tmp_path / "wd"], cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert proc.stdout.count("OK {") == 2


def test_runner_destroys_the_group_it_made_after_each_run_and_recreates_it(tmp_path):
    _run_twice_ok(tmp_path, SCRIPT)


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
    _run_twice_ok(tmp_path, FSDP_SCRIPT)
