"""The other built-in hooks, each in a real (tiny) training run."""

from __future__ import annotations

import io
import json
import logging
import os
import sys

import pytest
import torch

from mme.hooks import (
    EarlyStoppingHook,
    EMAHook,
    EmptyCacheHook,
    Hook,
    HookConfigError,
    IterTimerHook,
    NaiveVisualizationHook,
    ProfilerHook,
    SyncBuffersHook,
)
from mme.registry import HOOKS
from mme.runner import Runner
from mme.testing import get_toy_cfg


def _runner(tmp_path, max_epochs=2, **kw):
    cfg = get_toy_cfg(str(tmp_path), max_epochs=max_epochs, size=16, log_level="WARNING", **kw)
    return Runner.from_cfg(cfg)


@pytest.mark.parametrize("name", sorted(n for n in HOOKS.module_dict if n.endswith("Hook")))
def test_every_registered_hook_is_a_hook(name):
    assert issubclass(HOOKS.get(name), Hook)


def test_early_stopping_stops(tmp_path):
    runner = _runner(tmp_path, max_epochs=20, custom_hooks=[
        dict(type="EarlyStoppingHook", monitor="accuracy", patience=2, min_delta=0.5)])
    runner.train()
    assert runner.epoch < 20
    with pytest.raises(HookConfigError, match="rule="):
        EarlyStoppingHook(monitor="weird")
    hook = EarlyStoppingHook(monitor="loss", stopping_threshold=0.1)
    assert hook.rule == "less"


def test_early_stopping_threshold_and_nonfinite(tmp_path):
    runner = _runner(tmp_path, max_epochs=20, custom_hooks=[
        dict(type="EarlyStoppingHook", monitor="accuracy", stopping_threshold=10.0)])
    runner.train()
    assert runner.epoch == 1


def test_ema_hook_evaluates_and_saves_the_average(tmp_path):
    runner = _runner(tmp_path, custom_hooks=[dict(type="EMAHook", momentum=0.5)])
    runner.train()
    hook = next(h for h in runner.hooks if isinstance(h, EMAHook))
    ckpt = torch.load(tmp_path / "epoch_2.pth", weights_only=True)
    assert "ema_state_dict" in ckpt
    ema_weight = hook.ema_model.module.net[0].weight
    assert torch.equal(ckpt["state_dict"]["net.0.weight"], ema_weight)
    assert torch.equal(ckpt["ema_state_dict"]["module.net.0.weight"], runner.model.net[0].weight.detach())
    # resuming swaps back: the raw weights are trained on, the EMA keeps averaging
    runner2 = _runner(tmp_path / "r", max_epochs=3, resume=str(tmp_path / "epoch_2.pth"),
                      custom_hooks=[dict(type="EMAHook", momentum=0.5)])
    runner2.train()
    assert runner2.epoch == 3


def test_profiler_hook_writes_a_trace(tmp_path):
    trace = tmp_path / "trace.json"
    runner = _runner(tmp_path, max_epochs=1, custom_hooks=[
        dict(type="ProfilerHook", by_epoch=False, profile_times=2, json_trace_path=str(trace),
             on_trace_ready=dict(type="log_trace", sort_by="cpu_time_total", row_limit=5))])
    runner.train()
    assert trace.is_file() and json.loads(trace.read_text())
    with pytest.raises(HookConfigError, match="schedule"):
        ProfilerHook(by_epoch=True, schedule=dict(wait=1, warmup=1, active=1))


def test_small_hooks_run(tmp_path):
    runner = _runner(tmp_path, max_epochs=1, custom_hooks=[SyncBuffersHook(), EmptyCacheHook(after_iter=True)])
    runner.train()
    timer = next(h for h in runner.hooks if isinstance(h, IterTimerHook))
    assert timer.time_sec_tot > 0
    assert runner.message_hub.get_info("eta") is not None


def test_naive_visualization_hook(tmp_path):
    calls = []

    class Spy(NaiveVisualizationHook):
        pass

    runner = _runner(tmp_path, max_epochs=1, test_dataloader=dict(
        dataset=dict(type="ToyDataset", size=4), batch_size=2, sampler=dict(type="DefaultSampler", shuffle=False)),
        test_cfg=dict(), test_evaluator=dict(type="ToyMetric"), custom_hooks=[Spy()])
    runner.visualizer.add_datasample = lambda name, image, **kw: calls.append((name, image.shape))
    runner.test()
    assert len(calls) == 4 and calls[0][0] == "test_0_0"


def test_logger_hook_copies_logs_to_out_dir(tmp_path):
    out = tmp_path / "logs_out"
    runner = _runner(tmp_path / "wd", max_epochs=1, default_hooks=dict(
        logger=dict(type="LoggerHook", interval=2, out_dir=str(out))))
    runner.train()
    copied = []
    for root, _, files in os.walk(out):
        copied += files
    assert f"{runner.timestamp}.log" in copied
    assert "scalars.json" in copied


def test_ema_resume_is_exact(tmp_path):
    def run(work_dir, max_epochs, resume=None):
        runner = _runner(work_dir, max_epochs=max_epochs, resume=resume,
                         custom_hooks=[dict(type="EMAHook", momentum=0.3)])
        runner.train()
        hook = next(h for h in runner.hooks if isinstance(h, EMAHook))
        return runner.model.state_dict(), hook.ema_model.state_dict()

    ref_model, ref_ema = run(tmp_path / "ref", 3)
    model, ema = run(tmp_path / "r", 3, resume=str(tmp_path / "ref" / "epoch_1.pth"))
    assert all(torch.equal(ref_model[k], model[k]) for k in ref_model)
    assert all(torch.equal(ref_ema[k], ema[k]) for k in ref_ema)


def test_runtime_info_and_timer_record_every_training_iteration(tmp_path):
    import numpy as np

    class Outputs(Hook):
        """Adds outputs of other types to the model's log variables before RuntimeInfoHook records them."""

        priority = "HIGHEST"

        def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
            outputs.update(count=torch.tensor(3), flag=torch.tensor(True), np_value=np.float32(0.5),
                           vector=torch.ones(2), text="skipped")

    class Reader(Hook):
        priority = "LOWEST"

        def __init__(self):
            self.seen = []

        def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
            hub = runner.message_hub
            self.seen.append((hub.get_info("iter"), len(hub.get_scalar("train/time")),
                              len(hub.get_scalar("train/data_time")), len(hub.get_scalar("train/lr")),
                              hub.get_scalar("train/loss").current() == outputs["loss"].item()))

    reader = Reader()
    runner = _runner(tmp_path, max_epochs=1, custom_hooks=[Outputs(), reader])
    runner.train()
    n = len(runner.train_dataloader)
    assert reader.seen == [(i, i, i, i, True) for i in range(1, n + 1)]
    hub = runner.message_hub
    assert hub.get_scalar("train/count").current() == 3.0
    assert hub.get_scalar("train/flag").current() == 1.0
    assert hub.get_scalar("train/np_value").current() == 0.5
    assert "train/vector" not in hub.log_scalars and "train/text" not in hub.log_scalars
    assert hub.get_scalar("train/lr").current() == runner.optim_wrapper.get_lr()["lr"][0]


@pytest.mark.parametrize("every, expected", [(3, 2), (0, 0)])
def test_logger_hook_logs_the_experiment_name(tmp_path, every, expected):
    from mme.hooks import LoggerHook

    cfg = get_toy_cfg(str(tmp_path), max_epochs=1, size=64, log_level="INFO", default_hooks=dict(
        logger=dict(type="LoggerHook", interval=100, interval_exp_name=every)))  # 8 iterations
    runner = Runner.from_cfg(cfg)
    runner.train()
    with open(runner.logger.log_file) as f:
        assert sum(f"Exp name: {runner.experiment_name}" in line for line in f) == expected
    with pytest.raises(HookConfigError, match="interval_exp_name"):
        LoggerHook(interval_exp_name="often")


class _FakeTerminal(io.StringIO):
    """A console that says it is a terminal, so the LoggerHook draws its bar into it."""

    def isatty(self):
        return True


@pytest.mark.parametrize("progress_bar", [True, False])
def test_logger_hook_progress_bar_on_a_terminal(tmp_path, monkeypatch, progress_bar):
    from mme.hooks import LoggerHook

    terminal = _FakeTerminal()
    monkeypatch.setattr(sys, "stdout", terminal)  # the runner's logger prints here

    class Watch(Hook):
        def __init__(self):
            self.seen = []

        def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
            logger_hook = next(h for h in runner.hooks if isinstance(h, LoggerHook))
            console = next(h for h in runner.logger.handlers if type(h) is logging.StreamHandler)
            self.seen.append((logger_hook.progress_active, console.stream is terminal))

    watch = Watch()
    cfg = get_toy_cfg(str(tmp_path), max_epochs=2, size=32, log_level="INFO", custom_hooks=[watch],
                      default_hooks=dict(logger=dict(interval=2, progress_bar=progress_bar)))
    runner = Runner.from_cfg(cfg)
    runner.train()
    out = terminal.getvalue()
    assert "Epoch(train) [2][4/4]" in out and "Done: 2 epochs" in out
    # while training, log lines go through the bar's console; afterwards the terminal is the logger's again
    assert watch.seen == [(progress_bar, not progress_bar)] * 8
    console = next(h for h in runner.logger.handlers if type(h) is logging.StreamHandler)
    assert console.stream is terminal and sys.stdout is terminal
    assert not next(h for h in runner.hooks if isinstance(h, LoggerHook)).progress_active
    assert ("train epoch 2/2" in out and "8/8" in out and "eta" in out) is progress_bar
    assert ("━" in out) is progress_bar
    with open(runner.logger.log_file) as f:
        assert "━" not in f.read()
    with pytest.raises(HookConfigError, match="progress_bar"):
        LoggerHook(progress_bar="auto")
