"""The small built-in hooks, stage by stage, on stand-in runners with a real MessageHub."""

from __future__ import annotations

import importlib.metadata
import logging
import math
import time
from types import SimpleNamespace

import numpy as np
import pytest
import torch
import mme.hooks
from mme.hooks import (
    DistSamplerSeedHook,
    EmptyCacheHook,
    HookConfigError,
    IterTimerHook,
    NaiveVisualizationHook,
    ParamSchedulerHook,
    ProfilerHook,
    RuntimeInfoHook,
)
from mme.logging import MessageHub


def _hub(name: str) -> MessageHub:
    return MessageHub(name)


def test_the_package_version_is_the_distributions():
    assert mme.hooks.__version__ == importlib.metadata.version("mme-runner")


# -- EmptyCacheHook --------------------------------------------------------------------------


@pytest.mark.parametrize("kwargs, expected", [
    ({}, ["after_train_epoch", "after_val_epoch", "after_test_epoch"]),
    ({"before_epoch": True, "after_epoch": False}, ["before_train_epoch", "before_val_epoch", "before_test_epoch"]),
    ({"after_epoch": False, "after_iter": True}, ["after_train_iter", "after_val_iter", "after_test_iter"]),
])
def test_empty_cache_runs_where_asked(monkeypatch, kwargs, expected):
    calls = []
    stage = []
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "empty_cache", lambda: calls.append(stage[0]))
    hook = EmptyCacheHook(**kwargs)
    runner = SimpleNamespace()
    for mode in ("train", "val", "test"):
        for name, args in ((f"before_{mode}_epoch", ()), (f"before_{mode}_iter", (0,)), (f"after_{mode}_iter", (0,)),
                           (f"after_{mode}_epoch", ())):
            stage[:] = [name]
            getattr(hook, name)(runner, *args)
    assert sorted(calls) == sorted(expected)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    calls.clear()
    hook.after_train_epoch(runner)
    hook.after_train_iter(runner, 0)
    hook.before_train_epoch(runner)
    assert calls == []  # no GPU: nothing to release


# -- ParamSchedulerHook ----------------------------------------------------------------------


class _Sched:
    def __init__(self, name, by_epoch, need_val_args=None):
        self.name, self.by_epoch, self.steps = name, by_epoch, []
        if need_val_args is not None:
            self.need_val_args = need_val_args

    def step(self, *args):
        self.steps.append(args)


def test_param_scheduler_hook_steps_each_kind_at_its_stage():
    per_iter, per_epoch, plateau = _Sched("iter", False), _Sched("epoch", True), _Sched("plateau", True, True)
    plain = _Sched("plain_epoch", True, False)
    runner = SimpleNamespace(param_schedulers=[per_iter, per_epoch, plateau, plain])
    hook = ParamSchedulerHook()
    hook.after_train_iter(runner, 0)
    hook.after_train_iter(runner, 1)
    assert (per_iter.steps, per_epoch.steps, plateau.steps, plain.steps) == ([(), ()], [], [], [])
    hook.after_train_epoch(runner)
    assert (len(per_iter.steps), per_epoch.steps, plateau.steps, plain.steps) == (2, [()], [], [()])
    hook.after_val_epoch(runner, None)
    assert plateau.steps == []
    hook.after_val_epoch(runner, {"acc": 0.5})
    assert plateau.steps == [({"acc": 0.5},)]
    assert (len(per_iter.steps), len(per_epoch.steps)) == (2, 1)


def test_param_scheduler_hook_reads_every_way_of_holding_schedulers():
    a, b, c = _Sched("a", False), _Sched("b", False), _Sched("c", False)
    hook = ParamSchedulerHook()
    hook.after_train_iter(SimpleNamespace(param_schedulers={"g1": [a, b], "g2": c, "other": "not a scheduler"}), 0)
    hook.after_train_iter(SimpleNamespace(param_schedulers=a), 0)  # a single scheduler
    hook.after_train_iter(SimpleNamespace(param_schedulers=(b,)), 0)
    hook.after_train_iter(SimpleNamespace(param_schedulers=None), 0)
    hook.after_train_iter(SimpleNamespace(param_schedulers=[]), 0)
    assert (len(a.steps), len(b.steps), len(c.steps)) == (2, 2, 1)
    assert ParamSchedulerHook.priority == "LOW"


# -- DistSamplerSeedHook ---------------------------------------------------------------------


class _Sampler:
    def __init__(self):
        self.epochs = []

    def set_epoch(self, epoch):
        self.epochs.append(epoch)


def test_sampler_seed_hook_sets_the_epoch_on_the_sampler_or_the_batch_samplers():
    direct, nested = _Sampler(), _Sampler()
    hook = DistSamplerSeedHook()
    hook.before_train_epoch(SimpleNamespace(train_loop=SimpleNamespace(
        epoch=3, dataloader=SimpleNamespace(sampler=direct, batch_sampler=SimpleNamespace(sampler=nested)))))
    assert (direct.epochs, nested.epochs) == ([3], [])
    hook.before_train_epoch(SimpleNamespace(train_loop=SimpleNamespace(
        epoch=4, dataloader=SimpleNamespace(sampler=object(), batch_sampler=SimpleNamespace(sampler=nested)))))
    assert nested.epochs == [4]
    hook.before_train_epoch(SimpleNamespace(train_loop=SimpleNamespace(epoch=5, dataloader=[1, 2])))  # nothing


# -- IterTimerHook ---------------------------------------------------------------------------


class _Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_iter_timer_records_data_time_iteration_time_and_eta(monkeypatch):
    clock = _Clock()
    monkeypatch.setattr(time, "perf_counter", clock)
    hub = _hub("iter_timer")
    runner = SimpleNamespace(message_hub=hub, iter=2, max_iters=10)
    hook = IterTimerHook()
    hook.before_train(runner)  # resumed at iteration 2
    hook.before_train_epoch(runner)
    for data, step in ((0.5, 2.0), (0.25, 3.0)):
        clock.now += data
        hook.before_train_iter(runner, 0)
        assert hub.get_scalar("train/data_time").current() == data
        clock.now += step - data
        hook.after_train_iter(runner, 0)
        assert hub.get_scalar("train/time").current() == step
        runner.iter += 1
    # 2 iterations timed (5 s), 6 left after iteration 4
    assert hook.time_sec_tot == 5.0
    assert hub.get_info("eta") == pytest.approx(5.0 / 2 * 6)
    # validation is timed under its own key and leaves the ETA alone
    hook.before_val_epoch(runner)
    clock.now += 7.0
    hook.after_val_iter(runner, 0)
    assert hub.get_scalar("val/time").current() == 7.0
    assert hub.get_info("eta") == pytest.approx(15.0) and hook.time_sec_tot == 5.0
    # the last iteration leaves nothing to estimate
    runner.iter = 9
    hook.after_train_iter(runner, 0)
    assert hub.get_info("eta") == 0.0


# -- RuntimeInfoHook -------------------------------------------------------------------------


def _info_runner(hub, **kw):
    optim = SimpleNamespace(get_lr=lambda: {"lr": [0.5, 0.1], "base_lr": 0.25, "empty": [], "text": "x"})
    return SimpleNamespace(message_hub=hub, seed=7, experiment_name="exp", mme_version="1.2", cfg=None, epoch=1,
                           iter=5, max_epochs=4, max_iters=40, optim_wrapper=optim,
                           train_dataloader=SimpleNamespace(dataset=SimpleNamespace(metainfo={"classes": ("a",)})),
                           **kw)


def test_runtime_info_records_the_run_the_loop_and_the_learning_rates():
    hub = _hub("runtime_info_1")
    runner = _info_runner(hub)
    hook = RuntimeInfoHook()
    hook.before_run(runner)
    assert [hub.get_info(k) for k in ("seed", "experiment_name", "mme_version", "cfg")] == [7, "exp", "1.2", None]
    runner.cfg = SimpleNamespace(pretty_text="model = 1")
    hook.before_run(runner)
    assert hub.get_info("cfg") == "model = 1"
    hook.before_train(runner)
    assert [hub.get_info(k) for k in ("loop_stage", "epoch", "iter", "max_epochs", "max_iters")] == [
        "train", 1, 5, 4, 40]
    assert hub.get_info("dataset_meta") == {"classes": ("a",)}
    runner.epoch = 2
    hook.before_train_epoch(runner)
    assert hub.get_info("epoch") == 2
    runner.iter = 6
    hook.before_train_iter(runner, 0)
    assert hub.get_info("iter") == 6
    assert hub.get_scalar("train/lr").current() == 0.5
    assert hub.get_scalar("train/base_lr").current() == 0.25
    assert "train/empty" not in hub.log_scalars and "train/text" not in hub.log_scalars
    runner.optim_wrapper = SimpleNamespace(get_lr=lambda: [0.1])  # not a dict: nothing recorded
    hook.before_train_iter(runner, 0)
    assert len(hub.get_scalar("train/lr").data[0]) == 1


def test_runtime_info_records_scalar_outputs_and_metrics():
    hub = _hub("runtime_info_2")
    runner = _info_runner(hub)
    hook = RuntimeInfoHook()
    hook.after_train_iter(runner, 0, outputs={
        "loss": torch.tensor(0.5), "n": 3, "ratio": 0.25, "np": np.float32(1.5), "np_array": np.array([2.0]),
        "flag": True, "vector": torch.ones(2), "array": np.ones(3), "text": "x", "none": None})
    assert hub.get_info("iter") == 6
    assert {k: v.current() for k, v in hub.log_scalars.items()} == {
        "train/loss": 0.5, "train/n": 3.0, "train/ratio": 0.25, "train/np": 1.5, "train/np_array": 2.0}
    hook.after_train_iter(runner, 1, outputs=None)
    assert hub.get_info("iter") == 6
    hub.update_info("loop_stage", "train")
    hook.before_val(runner)
    assert hub.get_info("loop_stage") == "val"
    hook.after_val_epoch(runner, {"acc": 0.75, "per_class": [0.5, 1.0], "count": torch.tensor(4)})
    assert hub.get_scalar("val/acc").current() == 0.75 and hub.get_scalar("val/count").current() == 4.0
    assert hub.get_info("val/per_class") == [0.5, 1.0] and "val/per_class" not in hub.log_scalars
    hook.after_val(runner)
    assert hub.get_info("loop_stage") == "train"  # back in training
    hook.before_test(runner)
    assert hub.get_info("loop_stage") == "test"
    hook.after_test_epoch(runner, {"acc": 0.5})
    hook.after_test_epoch(runner, None)
    assert hub.get_scalar("test/acc").current() == 0.5
    standalone = RuntimeInfoHook()
    fresh = _hub("runtime_info_3")
    standalone.before_val(SimpleNamespace(message_hub=fresh))
    standalone.after_val(SimpleNamespace(message_hub=fresh))
    assert fresh.get_info("loop_stage") is None  # validation alone: no stage to return to


# -- NaiveVisualizationHook ------------------------------------------------------------------


def _visualizer():
    calls = []
    return calls, SimpleNamespace(add_datasample=lambda name, image, **kw: calls.append((name, image, kw)))


def test_naive_visualization_names_converts_and_skips():
    calls, visualizer = _visualizer()
    runner = SimpleNamespace(visualizer=visualizer)
    hook = NaiveVisualizationHook(interval=2, draw_gt=False)
    chw = torch.stack([torch.zeros(2, 4), torch.full((2, 4), 0.5), torch.ones(2, 4)])  # (3, 2, 4)
    outputs = [SimpleNamespace(metainfo={"img_path": "/data/cat.png"}), None]
    batch = {"inputs": [chw, np.full((4, 4), 7, dtype=np.uint8)]}
    hook.after_test_iter(runner, 0, batch, outputs)  # not every 2nd iteration
    hook.after_test_iter(runner, 1, [chw], outputs)  # not a dict
    assert calls == []
    hook.after_test_iter(runner, 1, batch, outputs)
    (name0, img0, kw0), (name1, img1, kw1) = calls
    assert (name0, name1) == ("cat.png", "test_1_1")
    assert img0.shape == (2, 4, 3) and img0.dtype == np.uint8
    assert img0[0, 0].tolist() == [0, 127, 255]  # channels last, scaled to 0..255
    assert img1.tolist() == [[7] * 4] * 4  # already uint8: unchanged
    assert kw0 == {"data_sample": outputs[0], "draw_gt": False, "draw_pred": True, "step": 1}
    calls.clear()
    hook.after_test_iter(runner, 3, {"inputs": [np.full((2, 2), 3.0)]})  # constant, no outputs
    (name, img, kw), = calls
    assert name == "test_3_0" and img.tolist() == [[0, 0], [0, 0]] and kw["data_sample"] is None


# -- ProfilerHook ----------------------------------------------------------------------------


class _Logger:
    def __init__(self):
        self.lines = []

    def info(self, line):
        self.lines.append(line)


def _profiled_run(hook, tmp_path, epochs=3, iters=2):
    runner = SimpleNamespace(logger=_Logger(), log_dir=str(tmp_path), epoch=0, iter=0)
    hook.before_run(runner)
    for epoch in range(epochs):
        runner.epoch = epoch
        for _ in range(iters):
            torch.ones(4).sum()
            hook.after_train_iter(runner, 0)
            runner.iter += 1
        hook.after_train_epoch(runner)
    return runner


def test_profiler_stops_after_profile_times_epochs(tmp_path):
    finished = []
    hook = ProfilerHook(profile_times=2, on_trace_ready=lambda prof: finished.append(prof),
                        json_trace_path=str(tmp_path / "trace.json"))
    assert hook.activities == [torch.profiler.ProfilerActivity.CPU]
    real_finish = hook._finish
    hook._finish = lambda runner: (finished.append(runner.epoch), real_finish(runner))
    runner = _profiled_run(hook, tmp_path)
    assert finished[:2] == [1, hook.profiler] and (tmp_path / "trace.json").is_file()
    assert runner.logger.lines == ["profiler is profiling...", f"profiler trace written to {tmp_path / 'trace.json'}"]
    hook.after_run(runner)  # already finished: nothing more
    assert len(runner.logger.lines) == 2


def test_profiler_by_iteration_steps_and_stops(tmp_path):
    hook = ProfilerHook(by_epoch=False, profile_times=3, on_trace_ready=dict(type="log_trace", row_limit=3))
    steps = []
    runner = SimpleNamespace(logger=_Logger(), log_dir=str(tmp_path), epoch=0, iter=0)
    hook.before_run(runner)
    real_step = hook.profiler.step
    hook.profiler.step = lambda: (steps.append(runner.iter), real_step())
    for _ in range(5):
        torch.ones(4).sum()
        hook.after_train_iter(runner, 0)
        runner.iter += 1
    assert steps == [0, 1, 2] and hook._done
    assert len(runner.logger.lines) == 2 and "Name" in runner.logger.lines[1]  # the logged table
    hook.after_train_epoch(runner)


def test_profiler_trace_handlers(tmp_path):
    runner = SimpleNamespace(logger=_Logger(), log_dir=str(tmp_path))
    assert ProfilerHook()._trace_handler(runner) is None
    handler = print
    assert ProfilerHook(on_trace_ready=handler)._trace_handler(runner) is handler
    assert callable(ProfilerHook(on_trace_ready=dict(type="tb_trace"))._trace_handler(runner))
    with pytest.raises(HookConfigError, match="'log_trace' or 'tb_trace', got 'svg'"):
        ProfilerHook(on_trace_ready=dict(type="svg"))._trace_handler(runner)
    with pytest.raises(HookConfigError, match="callable or a dict, got 3"):
        ProfilerHook(on_trace_ready=3)._trace_handler(runner)


def test_profiler_arguments():
    with pytest.raises(HookConfigError, match="profile_times must be >= 1, got 0"):
        ProfilerHook(profile_times=0)
    hook = ProfilerHook(by_epoch=False, activity_with_cpu=False, activity_with_cuda=True,
                        schedule=dict(wait=1, warmup=1, active=2))
    assert hook.activities == [torch.profiler.ProfilerActivity.CUDA]
    assert hook.schedule is not None and ProfilerHook(by_epoch=False).schedule is None
    assert ProfilerHook(profile_times=1).profile_times == 1
    assert ProfilerHook.priority == "VERY_LOW"


def test_profiler_logs_through_the_runner_logger(tmp_path, caplog):
    hook = ProfilerHook(by_epoch=False, profile_times=1)
    runner = SimpleNamespace(logger=logging.getLogger("tests.hooks.profiler"), log_dir=str(tmp_path), iter=0)
    with caplog.at_level(logging.INFO, logger="tests.hooks.profiler"):
        hook.before_run(runner)
        hook.after_train_iter(runner, 0)
    assert "profiler is profiling..." in caplog.text and hook._done


def test_iter_timer_times_from_each_epoch_start_and_restarts_its_eta_with_training(monkeypatch):
    clock = _Clock()
    monkeypatch.setattr(time, "perf_counter", clock)
    hub = _hub("iter_timer_2")
    runner = SimpleNamespace(message_hub=hub, iter=0, max_iters=4)
    hook = IterTimerHook()
    clock.now += 50.0  # building the runner takes a while: not data time
    hook.before_train(runner)
    hook.before_train_epoch(runner)
    clock.now += 1.0
    hook.before_train_iter(runner, 0)
    assert hub.get_scalar("train/data_time").current() == 1.0
    clock.now += 1.0
    hook.after_train_iter(runner, 0)
    assert hub.get_info("eta") == pytest.approx(2.0 / 1 * 3)  # from the first iteration on
    runner.iter = 1
    clock.now += 4.0
    hook.after_train_iter(runner, 1)
    runner.iter = 2
    clock.now += 4.0
    hook.after_train_iter(runner, 2)
    assert hub.get_info("eta") == pytest.approx(10.0 / 3 * 1)  # one left
    clock.now += 30.0  # validation waits for its dataloader
    hook.before_val_epoch(runner)
    clock.now += 2.0
    hook.after_val_iter(runner, 0)
    assert hub.get_scalar("val/time").current() == 2.0
    # a second training (e.g. train() called again) starts its accounting afresh
    runner.iter = 0
    hook.before_train(runner)
    hook.before_train_epoch(runner)
    clock.now += 6.0
    hook.after_train_iter(runner, 0)
    assert hook.time_sec_tot == 6.0 and hub.get_info("eta") == pytest.approx(6.0 * 3)


def test_param_scheduler_hook_leaves_metric_driven_schedulers_to_validation():
    by_iter = _Sched("iter_plateau", False, True)
    runner = SimpleNamespace(param_schedulers=[by_iter])
    hook = ParamSchedulerHook()
    hook.after_train_iter(runner, 0)
    hook.after_train_epoch(runner)
    assert by_iter.steps == []
    hook.after_val_epoch(runner, {"loss": 1.0})
    assert by_iter.steps == [({"loss": 1.0},)]


@pytest.mark.parametrize("shape, expected", [
    ((1, 2, 4), (2, 4, 1)),  # one channel first: to channels last
    ((3, 1, 4), (1, 4, 3)),
    ((3, 4, 1), (3, 4, 1)),  # already channels last
    ((3, 4, 3), (3, 4, 3)),
    ((2, 4, 5), (2, 4, 5)),  # not an image layout we know: left alone
])
def test_naive_visualization_puts_channels_last(shape, expected):
    calls, visualizer = _visualizer()
    image = torch.arange(math.prod(shape), dtype=torch.float32).reshape(shape)
    NaiveVisualizationHook().after_test_iter(SimpleNamespace(visualizer=visualizer), 0, {"inputs": [image]})
    assert calls[0][1].shape == expected


def test_naive_visualization_scales_the_value_range_to_bytes():
    calls, visualizer = _visualizer()
    image = np.array([[1.0, 2.0], [3.0, 5.0]])
    NaiveVisualizationHook().after_test_iter(SimpleNamespace(visualizer=visualizer), 0, {"inputs": [image]})
    assert calls[0][1].tolist() == [[0, 63], [127, 255]]
    assert calls[0][2]["draw_gt"] is True and calls[0][2]["draw_pred"] is True  # the defaults


def test_runtime_info_without_dataset_meta_records_none():
    hub = _hub("runtime_info_4")
    runner = _info_runner(hub)
    runner.train_dataloader = SimpleNamespace(dataset=object())
    RuntimeInfoHook().before_train(runner)
    assert "dataset_meta" not in hub.runtime_info and hub.get_info("max_iters") == 40


def test_profiler_defaults():
    hook = ProfilerHook()
    assert (hook.by_epoch, hook.profile_times, hook.record_shapes, hook.profile_memory, hook.with_stack,
            hook.with_flops, hook.json_trace_path, hook.on_trace_ready) == (True, 1, False, False, False, False, None,
                                                                            None)
    assert hook.activities == [torch.profiler.ProfilerActivity.CPU]  # no CUDA unless asked


def test_profiler_after_run_stops_a_profile_that_is_still_running(tmp_path):
    hook = ProfilerHook(profile_times=5, json_trace_path=str(tmp_path / "trace.json"))
    _profiled_run(hook, tmp_path, epochs=2)  # ends before 5 epochs
    assert not (tmp_path / "trace.json").exists()
    hook.after_run(SimpleNamespace(logger=_Logger()))
    assert (tmp_path / "trace.json").is_file()
    ProfilerHook().after_run(SimpleNamespace(logger=_Logger()))  # never started: nothing to stop


@pytest.mark.parametrize("cfg, folder", [(dict(type="tb_trace"), "tf_tracing_logs"),
                                         (dict(type="tb_trace", dir_name="{tmp}/mine"), "mine")])
def test_profiler_tensorboard_traces_go_to_the_log_dir_or_dir_name(tmp_path, cfg, folder):
    cfg = {k: v.format(tmp=tmp_path) if isinstance(v, str) else v for k, v in cfg.items()}
    hook = ProfilerHook(by_epoch=False, profile_times=1, on_trace_ready=cfg)
    runner = SimpleNamespace(logger=_Logger(), log_dir=str(tmp_path), epoch=0, iter=0)
    hook.before_run(runner)
    torch.ones(4).sum()
    hook.after_train_iter(runner, 0)
    assert [p.suffix for p in (tmp_path / folder).iterdir()] == [".json"]


class _Countable:
    """Not a tensor nor a number, but sized like one (numel/item)."""

    def __init__(self, n, value=2.5):
        self.n, self.value = n, value

    def numel(self):
        return self.n

    def item(self):
        return self.value


class _NeedsArgs:
    def numel(self, dim):
        return 1


def test_runtime_info_takes_anything_with_one_element_as_a_scalar():
    hub = _hub("runtime_info_5")
    RuntimeInfoHook().after_train_iter(_info_runner(hub), 0, outputs={
        "one": _Countable(1), "many": _Countable(3), "odd": _NeedsArgs()})
    assert {k: v.current() for k, v in hub.log_scalars.items()} == {"train/one": 2.5}
