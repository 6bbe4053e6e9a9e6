"""`mme train` of the toy model under torchrun with a FlexibleRunner strategy, for the strategy tests."""

from __future__ import annotations

import subprocess
from pathlib import Path

from mme.dist.testing import run_torchrun

_CONFIG = """
runner_type = 'FlexibleRunner'
strategy = {strategy}
model = dict(type='ToyModel')
work_dir = 'unused'
train_dataloader = dict(dataset=dict(type='ToyDataset', size=32), sampler=dict(type='DefaultSampler', shuffle=True),
                        batch_size=8, num_workers=0)
train_cfg = dict(by_epoch=True, max_epochs={max_epochs})
optim_wrapper = {optim_wrapper}
custom_imports = dict(imports=['mme.testing'])
randomness = dict(seed=0)
env_cfg = dict(dist_cfg=dict(backend='gloo', timeout=600))
"""


def train_under_torchrun(tmp_path: Path, strategy: str, optim_wrapper: str, max_epochs: int = 1,
                         env: dict | None = None, timeout: float = 300) -> tuple[subprocess.CompletedProcess, Path]:
    """Write a toy config with ``strategy`` and ``optim_wrapper`` (Python source), run
    ``mme train --launcher pytorch`` on it with 2 processes; return the process and the work dir."""
    config = tmp_path / "toy_config.py"
    config.write_text(_CONFIG.format(strategy=strategy, optim_wrapper=optim_wrapper, max_epochs=max_epochs))
    work = tmp_path / "wd"
    proc = run_torchrun(["-m", "mme.cli", "train", config, "--launcher", "pytorch", "--work-dir", work],
                        env={**(env or {}), "PYTHONWARNINGS": "ignore"}, cwd=tmp_path, timeout=timeout)
    return proc, work
