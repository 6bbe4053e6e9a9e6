"""The main demo through the ``mme`` command line: trains, validates, checkpoints, resumes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "examples" / "digits" / "config.py"


def _mme(*args, cwd):
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONWARNINGS="ignore")
    return subprocess.run([sys.executable, "-m", "mme.cli", *args], capture_output=True, text=True,
                          timeout=600, env=env, cwd=cwd)


def test_demo_reaches_95_percent_and_resumes(tmp_path):
    work = tmp_path / "work_dirs" / "digits"
    proc = _mme("train", str(CONFIG), "--work-dir", str(work), "--cfg-options", "train_cfg.max_epochs=4",
                "param_scheduler.1.end=4", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-4000:]
    run = next(p for p in work.iterdir() if p.is_dir())
    records = [json.loads(x) for x in (run / "vis_data" / "scalars.json").read_text().splitlines()]
    accuracy = [r["accuracy"] for r in records if "accuracy" in r]
    assert len(accuracy) == 4 and accuracy[-1] > 95.0
    assert (work / "config.py").is_file()
    assert any(p.name.startswith("best_accuracy_epoch_") for p in work.iterdir())
    assert (work / "last_checkpoint").read_text() == str(work / "epoch_4.pth")

    proc = _mme("train", str(CONFIG), "--work-dir", str(work), "--resume", "--cfg-options",
                "train_cfg.max_epochs=5", "param_scheduler.1.end=4", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert "resumed epoch: 4" in proc.stdout
    assert torch.load(work / "epoch_5.pth", weights_only=True)["meta"]["epoch"] == 5

    proc = _mme("test", str(CONFIG), str(work / "epoch_5.pth"), "--work-dir", str(tmp_path / "test"), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert "Epoch(test) [3/3]  accuracy:" in proc.stdout
