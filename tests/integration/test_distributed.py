"""The digits demo under torchrun with 2 CPU processes (gloo): DDP, one log, one set of
checkpoints, and validation over the whole validation set."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import torch

from mme.dist.testing import run_torchrun

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "examples" / "digits" / "config.py"


def test_demo_under_torchrun_two_processes(tmp_path):
    work = tmp_path / "wd"
    proc = run_torchrun(["-m", "mme.cli", "train", CONFIG, "--launcher", "pytorch", "--work-dir", work,
                         "--cfg-options", "train_cfg.max_epochs=2", "env_cfg.dist_cfg.timeout=600"],
                        env={"PYTHONWARNINGS": "ignore"}, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-4000:]

    assert "world_size: 2" in proc.stdout and "MMDistributedDataParallel" in proc.stdout
    # logged once: one log dir, one log file, each validation line printed once
    runs = [p for p in work.iterdir() if p.is_dir()]
    assert len(runs) == 1
    assert sorted(p.name for p in runs[0].iterdir() if p.suffix == ".log") == [f"{runs[0].name}.log"]
    assert proc.stdout.count("Epoch(val) [2][") == 1
    # checkpointed once per epoch, by rank 0
    assert sorted(p.name for p in work.glob("epoch_*.pth")) == ["epoch_1.pth", "epoch_2.pth"]
    # the distributed evaluation covered the whole validation set: it agrees with a
    # single-process evaluation of the saved weights
    records = [json.loads(x) for x in (runs[0] / "vis_data" / "scalars.json").read_text().splitlines()]
    dist_acc = [r["accuracy"] for r in records if "accuracy" in r][-1]

    sys.path.insert(0, str(CONFIG.parent))
    try:
        from digits_demo import DigitsCNN, DigitsDataset
    finally:
        sys.path.remove(str(CONFIG.parent))
    model = DigitsCNN()
    model.load_state_dict(torch.load(work / "epoch_2.pth", weights_only=True)["state_dict"])
    model.eval()
    data = DigitsDataset(split="val")
    with torch.no_grad():
        preds = model(data.images).argmax(1).tolist()
    single_acc = 100.0 * sum(p == t for p, t in zip(preds, data.labels)) / len(data)
    assert dist_acc == pytest.approx(single_acc, abs=1e-6)
