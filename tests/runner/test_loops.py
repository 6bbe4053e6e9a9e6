"""Loop options: val_begin, val_interval, dynamic_intervals, progress display, replaceable loops."""

from __future__ import annotations

import pytest
import torch

from mme.hooks import Hook
from mme.registry import LOOPS
from mme.runner import EpochBasedTrainLoop, Runner, ValLoop
from mme.testing import get_toy_cfg


class ValEpochs(Hook):
    def __init__(self):
        self.epochs = []

    def after_val_epoch(self, runner, metrics=None):
        self.epochs.append(runner.epoch)


@pytest.mark.parametrize("train_cfg,expected", [
    (dict(max_epochs=6, val_interval=1, dynamic_intervals=[(4, 3)]), [1, 2, 3, 6]),
    (dict(max_epochs=5, val_interval=2, val_begin=3), [4, 5]),
])
def test_validation_schedule(tmp_path, train_cfg, expected):
    hook = ValEpochs()
    cfg = get_toy_cfg(str(tmp_path), size=16, log_level="WARNING", custom_hooks=[hook],
                      default_hooks=dict(checkpoint=None))
    cfg["train_cfg"] = dict(by_epoch=True, **train_cfg)
    Runner.from_cfg(cfg).train()
    assert hook.epochs == expected


def test_iteration_based_validation_interval(tmp_path):
    seen = []

    class Iters(Hook):
        def after_val_epoch(self, runner, metrics=None):
            seen.append(runner.iter)

    cfg = get_toy_cfg(str(tmp_path), by_epoch=False, max_iters=10, log_level="WARNING", custom_hooks=[Iters()])
    cfg["train_cfg"]["val_interval"] = 4
    Runner.from_cfg(cfg).train()
    assert seen == [4, 8, 10]


def test_progress_bar_for_evaluation(tmp_path, capsys):
    cfg = get_toy_cfg(str(tmp_path), log_level="WARNING", val_cfg=dict(progress=True))
    runner = Runner.from_cfg(cfg)
    runner.val()
    out = capsys.readouterr().out
    assert "4/4" in out


def test_loops_are_registered_and_replaceable(tmp_path):
    assert LOOPS.get("EpochBasedTrainLoop") is EpochBasedTrainLoop
    assert LOOPS.get("ValLoop") is ValLoop

    @LOOPS.register_module(force=True)
    class CountingLoop(EpochBasedTrainLoop):
        runs = 0

        def run_epoch(self):
            CountingLoop.runs += 1
            super().run_epoch()

    cfg = get_toy_cfg(str(tmp_path), size=16, log_level="WARNING")
    cfg["train_cfg"] = dict(type="CountingLoop", max_epochs=2)
    Runner.from_cfg(cfg).train()
    assert CountingLoop.runs == 2


def test_validation_does_not_change_the_training_random_stream(tmp_path):
    def weights(val_interval):
        cfg = get_toy_cfg(str(tmp_path / str(val_interval)), max_epochs=3, size=16, log_level="WARNING",
                          default_hooks=dict(checkpoint=None))
        cfg["train_cfg"]["val_interval"] = val_interval
        runner = Runner.from_cfg(cfg)
        runner.train()
        return runner.model.state_dict()

    a, b = weights(1), weights(3)
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_resume_true_without_checkpoint_starts_fresh(tmp_path):
    cfg = get_toy_cfg(str(tmp_path), max_epochs=1, size=16, log_level="WARNING", resume=True)
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert runner.epoch == 1


def test_env_cfg_cudnn_benchmark(tmp_path):
    before = torch.backends.cudnn.benchmark
    try:
        Runner.from_cfg(get_toy_cfg(str(tmp_path), log_level="WARNING",
                                    env_cfg=dict(cudnn_benchmark=True, mp_cfg=dict(opencv_num_threads=0))))
        assert torch.backends.cudnn.benchmark is True
    finally:
        torch.backends.cudnn.benchmark = before
