"""ProfilerHook: runs the torch profiler over the first epochs or iterations."""

from __future__ import annotations

import logging
import os
import os.path as osp
import sys
from collections.abc import Callable
from typing import Any

import torch

from mme.registry import HOOKS

from ._errors import HookConfigError
from ._hook import DATA_BATCH, Hook

__all__ = ["NPUProfilerHook", "ProfilerHook", "check_kineto"]

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


def check_kineto() -> bool:
    """Whether torch's profiler has Kineto (the library behind ``torch.profiler``)."""
    available = getattr(torch.autograd, "kineto_available", None)
    return bool(available is not None and available())


@HOOKS.register_module()
class NPUProfilerHook(Hook):
    """Profile training iterations ``[begin, end)`` on an Ascend NPU with ``torch_npu``'s profiler.

    Args:
        begin: First profiled iteration.
        end: Iteration after the last profiled one.
        result_path: Directory of the profiling results.
        exit_after_profiling: Stop the process (``SystemExit``) once the results are written.
        use_e2e_profiler: Turn on the end-to-end profiler (operators and framework).
        ge_profiling_to_std_out: Set ``GE_PROFILING_TO_STD_OUT=1`` for the graph engine.

    Raises:
        ImportError: ``torch_npu`` is not installed.
        HookConfigError: ``begin >= end``.
    """

    priority = "VERY_LOW"

    def __init__(self, *, begin: int = 0, end: int = 1, result_path: str = "cann_profiling",
                 exit_after_profiling: bool = True, use_e2e_profiler: bool = False,
                 ge_profiling_to_std_out: bool = False) -> None:
        try:
            import torch_npu
        except ImportError as exc:
            raise ImportError("NPUProfilerHook needs torch_npu (Ascend's PyTorch plugin), which is not installed; "
                              "use ProfilerHook on other devices") from exc
        if begin >= end:
            raise HookConfigError(f"NPUProfilerHook: begin ({begin}) must be smaller than end ({end})")
        self._torch_npu = torch_npu
        self.begin = begin
        self.end = end
        self.result_path = result_path
        self.exit_after_profiling = exit_after_profiling
        self.use_e2e_profiler = use_e2e_profiler
        self.ge_profiling_to_std_out = ge_profiling_to_std_out
        self.profiler: Any = None

    def before_run(self, runner: Any) -> None:
        """Check the profiled range against the run's length and prepare the result directory."""
        if self.end > runner.max_iters:
            raise HookConfigError(f"NPUProfilerHook: end ({self.end}) is after the last iteration "
                                  f"({runner.max_iters}) of this run")
        if self.ge_profiling_to_std_out:
            os.environ["GE_PROFILING_TO_STD_OUT"] = "1"
        os.makedirs(self.result_path, exist_ok=True)

    def before_train_iter(self, runner: Any, batch_idx: int, data_batch: DATA_BATCH = None) -> None:
        """Start profiling at iteration ``begin``."""
        if runner.iter == self.begin:
            self.profiler = self._torch_npu.npu.profile(self.result_path, use_e2e_profiler=self.use_e2e_profiler)
            self.profiler.__enter__()
            runner.logger.info("NPUProfiler starts profiling...")

    def after_train_iter(self, runner: Any, batch_idx: int, data_batch: DATA_BATCH = None,
                         outputs: dict | None = None) -> None:
        """Stop profiling after iteration ``end - 1`` (and exit, if asked)."""
        if runner.iter == self.end - 1 and self.profiler is not None:
            runner.logger.info("NPUProfiler is writing the results; this may take a few minutes")
            self.profiler.__exit__(None, None, None)
            self.profiler = None
            if self.exit_after_profiling:
                sys.exit()
