"""ProfilerHook: runs the torch profiler over the first epochs or iterations."""

from __future__ import annotations

import logging
import os.path as osp
from collections.abc import Callable
from typing import Any

import torch

from mme.registry import HOOKS

from ._errors import HookConfigError
from ._hook import DATA_BATCH, Hook

__all__ = ["ProfilerHook"]

logger = logging.getLogger(__name__)


@HOOKS.register_module()
class ProfilerHook(Hook):
    """Profiles the first ``profile_times`` training epochs or iterations with ``torch.profiler``.

    Args:
        by_epoch: Count ``profile_times`` in epochs (otherwise in iterations).
        profile_times: How many epochs/iterations to profile.
        activity_with_cpu: Profile CPU activity.
        activity_with_cuda: Profile CUDA activity.
        schedule: Arguments of ``torch.profiler.schedule`` (iteration-based only).
        on_trace_ready: A callable, ``dict(type='log_trace', sort_by=..., row_limit=...)`` to log
            a table, or ``dict(type='tb_trace', dir_name=...)`` for TensorBoard traces.
        record_shapes, profile_memory, with_stack, with_flops: Passed to the profiler.
        json_trace_path: Also export a Chrome trace to this file.
    """

    priority = "VERY_LOW"

    def __init__(self, *, by_epoch: bool = True, profile_times: int = 1, activity_with_cpu: bool = True,
                 activity_with_cuda: bool = False, schedule: dict | None = None,
                 on_trace_ready: Callable | dict | None = None, record_shapes: bool = False,
                 profile_memory: bool = False, with_stack: bool = False, with_flops: bool = False,
                 json_trace_path: str | None = None) -> None:
        if profile_times < 1:
            raise HookConfigError(f"ProfilerHook profile_times must be >= 1, got {profile_times}")
        if by_epoch and schedule is not None:
            raise HookConfigError("ProfilerHook schedule only works with by_epoch=False")
        activities = []
        if activity_with_cpu:
            activities.append(torch.profiler.ProfilerActivity.CPU)
        if activity_with_cuda:
            activities.append(torch.profiler.ProfilerActivity.CUDA)
        self.by_epoch = by_epoch
        self.profile_times = profile_times
        self.activities = activities
        self.schedule = torch.profiler.schedule(**schedule) if schedule is not None else None
        self.on_trace_ready = on_trace_ready
        self.record_shapes = record_shapes
        self.profile_memory = profile_memory
        self.with_stack = with_stack
        self.with_flops = with_flops
        self.json_trace_path = json_trace_path
        self.profiler: Any = None
        self._done = False

    def _trace_handler(self, runner: Any) -> Callable | None:
        ready = self.on_trace_ready
        if ready is None or callable(ready):
            return ready
        if not isinstance(ready, dict):
            raise HookConfigError(f"ProfilerHook on_trace_ready must be a callable or a dict, got {ready!r}")
        cfg = dict(ready)
        kind = cfg.pop("type", None)
        if kind == "log_trace":
            def _log(prof: Any) -> None:
                runner.logger.info("\n" + prof.key_averages().table(**cfg))
            return _log
        if kind == "tb_trace":
            dir_name = cfg.pop("dir_name", osp.join(runner.log_dir, "tf_tracing_logs"))
            return torch.profiler.tensorboard_trace_handler(dir_name, **cfg)
        raise HookConfigError(f"ProfilerHook on_trace_ready type must be 'log_trace' or 'tb_trace', got {kind!r}")

    def before_run(self, runner: Any) -> None:
        """Start the profiler."""
        self.profiler = torch.profiler.profile(
            activities=self.activities, schedule=self.schedule, on_trace_ready=self._trace_handler(runner),
            record_shapes=self.record_shapes, profile_memory=self.profile_memory,
            with_stack=self.with_stack, with_flops=self.with_flops)
        self.profiler.__enter__()
        runner.logger.info("profiler is profiling...")

    def after_train_epoch(self, runner: Any) -> None:
        """Stop after ``profile_times`` epochs."""
        if self.by_epoch and runner.epoch + 1 >= self.profile_times:
            self._finish(runner)

    def after_train_iter(self, runner: Any, batch_idx: int, data_batch: DATA_BATCH = None,
                         outputs: dict | None = None) -> None:
        """Step the profiler; stop after ``profile_times`` iterations."""
        if self._done:
            return
        if not self.by_epoch:
            self.profiler.step()
            if runner.iter + 1 >= self.profile_times:
                self._finish(runner)

    def after_run(self, runner: Any) -> None:
        """Stop the profiler if it is still running."""
        self._finish(runner)

    def _finish(self, runner: Any) -> None:
        if self._done or self.profiler is None:
            return
        self._done = True
        self.profiler.__exit__(None, None, None)
        if self.json_trace_path is not None:
            self.profiler.export_chrome_trace(self.json_trace_path)
            runner.logger.info(f"profiler trace written to {self.json_trace_path}")
