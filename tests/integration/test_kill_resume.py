"""SIGKILL a training process at random points, resume it each time, and compare the result
with an uninterrupted run bit for bit."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from mme.runner import find_latest_checkpoint, is_complete_checkpoint

CHILD = Path(__file__).with_name("kill_resume_child.py")

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _start(work_dir: Path, resume: bool) -> subprocess.Popen:
    args = [sys.executable, str(CHILD), str(work_dir)] + (["--resume"] if resume else [])
    env = dict(os.environ, PYTHONWARNINGS="ignore", OMP_NUM_THREADS="1")
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def _finish(proc: subprocess.Popen) -> None:
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err[-3000:]


def test_sigkill_and_resume_matches_uninterrupted_run(tmp_path):
    ref_dir = tmp_path / "ref"
    ref_dir.mkdir()
    _finish(_start(ref_dir, resume=False))
    reference = torch.load(ref_dir / "final.pt", weights_only=True)

    work = tmp_path / "killed"
    work.mkdir()
    rng = random.Random(1234)
    kills = 0
    resume = False
    while True:
        proc = _start(work, resume)
        resume = True
        if kills < 2:
            line = proc.stdout.readline()
            while line and line.strip() != "TRAINING":  # skip any log line printed before
                line = proc.stdout.readline()
            if line.strip() == "TRAINING":
                try:
                    proc.wait(timeout=rng.uniform(0.05, 0.6))
                except subprocess.TimeoutExpired:
                    proc.send_signal(signal.SIGKILL)
                    proc.wait()
                    kills += 1
                    latest = find_latest_checkpoint(str(work))
                    assert latest is None or is_complete_checkpoint(latest)
                    continue
        _finish(proc)
        break
    assert kills >= 1
    result = torch.load(work / "final.pt", weights_only=True)
    assert result.keys() == reference.keys()
    for key in reference:
        assert torch.equal(result[key], reference[key]), key
