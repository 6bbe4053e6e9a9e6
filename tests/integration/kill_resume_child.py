"""Child process of test_kill_resume: trains the toy model, resuming from work_dir if asked.

Usage: python kill_resume_child.py WORK_DIR [--resume]
Prints ``TRAINING`` when the loop starts and writes WORK_DIR/final.pt when done.
"""

from __future__ import annotations

import sys
import time

import torch

from mme.hooks import Hook
from mme.runner import Runner
from mme.testing import get_toy_cfg


class Pace(Hook):
    """Announces the start of training and slows iterations so a kill can land anywhere."""

    def before_train(self, runner):
        print("TRAINING", flush=True)

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        time.sleep(0.04)


def main() -> None:
    torch.set_num_threads(1)
    work_dir = sys.argv[1]
    cfg = get_toy_cfg(work_dir, max_epochs=4, size=60, log_level="WARNING",
                      default_hooks=dict(checkpoint=dict(type="CheckpointHook", interval=2, by_epoch=False)),
                      custom_hooks=[Pace()], resume="--resume" in sys.argv)
    runner = Runner.from_cfg(cfg)
    runner.train()
    torch.save(runner.model.state_dict(), f"{work_dir}/final.pt")


if __name__ == "__main__":
    main()
