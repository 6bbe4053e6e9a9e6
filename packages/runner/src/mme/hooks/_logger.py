"""LoggerHook: writes the log lines and the logged scalars."""

from __future__ import annotations

import logging
import os.path as osp
from collections.abc import Sequence
from typing import Any

import mme.fileio as fileio
from mme.registry import HOOKS

from ._errors import HookConfigError
from ._hook import DATA_BATCH, Hook
from ._progress import TerminalProgress
from ._utils import built_train_loop, train_by_epoch

__all__ = ["LoggerHook"]

logger = logging.getLogger(__name__)


@HOOKS.register_module()
class LoggerHook(Hook):
    """Logs training/validation/test progress through the runner's logger and visualizer.

    Every ``interval`` training iterations it writes a line such as
    ``Epoch(train)  [3][ 40/120]  lr: 1.0000e-02  eta: 0:01:12  time: 0.0123  data_time: 0.0011
    memory: 512  loss: 0.4321`` and sends the same scalars to the visualizer (``scalars.json``);
    after each validation/test epoch it logs the metrics.

    When the log's console is a terminal, rank 0 also shows a live progress bar with an ETA for
    the training and for each validation/test loop; the log lines scroll above it, the log file
    is unchanged, and the bar is erased when the loop ends or fails. Without a terminal (a pipe,
    a file, CI) nothing but the log lines is written.

    Args:
        interval: Log every ``interval`` iterations.
        ignore_last: Skip the last iterations of an epoch that do not complete an interval.
        interval_exp_name: Log the experiment name every this many iterations.
        out_dir: Copy the log files here (any mme.fileio URI) at the end of the run.
        out_suffix: Suffixes of the files in the log directory that are copied.
        keep_local: Keep the local log files after copying them.
        log_metric_by_epoch: Use the epoch (rather than the iteration) as the step of validation
            metrics; iteration-based runs always use the iteration.
        backend_args: Arguments of the file backend of ``out_dir``.
        file_client_args: Deprecated alias of ``backend_args``.
        progress_bar: Show the live progress bar on a terminal; ``False`` keeps plain log lines.
    """

    priority = "BELOW_NORMAL"

    def __init__(self, interval: int = 10, ignore_last: bool = True, interval_exp_name: int = 1000,
                 out_dir: str | None = None, out_suffix: str | Sequence[str] = (".json", ".log", ".py", "yaml"),
                 keep_local: bool = True, file_client_args: dict | None = None, log_metric_by_epoch: bool = True,
                 backend_args: dict | None = None, progress_bar: bool = True) -> None:
        if not isinstance(interval, int) or interval <= 0:
            raise HookConfigError(f"LoggerHook interval must be a positive int, got {interval!r}")
        if not isinstance(interval_exp_name, int):
            raise HookConfigError(f"LoggerHook interval_exp_name must be an int, got {interval_exp_name!r}")
        if out_dir is not None and not isinstance(out_dir, str):
            raise HookConfigError(f"LoggerHook out_dir must be a str or None, got {type(out_dir).__name__}")
        if not isinstance(out_suffix, (str, list, tuple)):
            raise HookConfigError(f"LoggerHook out_suffix must be a str or a sequence of str, got {out_suffix!r}")
        self.interval = interval
        self.ignore_last = ignore_last
        self.interval_exp_name = interval_exp_name
        self.out_dir = out_dir
        self.out_suffix = (out_suffix,) if isinstance(out_suffix, str) else tuple(out_suffix)
        self.keep_local = keep_local
        self.log_metric_by_epoch = log_metric_by_epoch
        self.backend_args = backend_args if backend_args is not None else file_client_args
        self.json_log_path: str | None = None
        if not isinstance(progress_bar, bool):
            raise HookConfigError(f"LoggerHook progress_bar must be True or False, got {progress_bar!r}")
        self.progress_bar = progress_bar
        self._progress: TerminalProgress | None = None

    # -- progress bar --------------------------------------------------------------------------
    @property
    def progress_active(self) -> bool:
        """Whether the live progress bar is on the screen now."""
        return self._progress is not None

    def _bar_start(self, runner: Any, name: str, description: str, total: int | None, completed: int = 0) -> None:
        if self._progress is None:
            if not self.progress_bar or runner.rank != 0:
                return
            self._progress = TerminalProgress.for_logger(runner.logger)
            if self._progress is None:  # not a terminal
                return
        self._progress.add(name, description, total, completed)

    def _bar_end(self, name: str) -> None:
        if self._progress is None:
            return
        if self._progress.tasks == (name,):
            self._close_bar()  # its last frame shows the finished bar, then it is erased
        else:
            self._progress.remove(name)

    def _close_bar(self) -> None:
        progress, self._progress = self._progress, None
        if progress is not None:
            progress.close()

    @staticmethod
    def _len(dataloader: Any) -> int | None:
        try:
            return len(dataloader)
        except TypeError:  # an iterable dataset without a length
            return None

    def before_train(self, runner: Any) -> None:
        """Show the training bar (on a terminal)."""
        self._bar_start(runner, "train", "train", runner.max_iters, runner.iter)

    def before_train_epoch(self, runner: Any) -> None:
        """Name the epoch on the training bar."""
        if self._progress is not None and train_by_epoch(runner):
            self._progress.update("train", runner.iter, f"train epoch {runner.epoch + 1}/{runner.max_epochs}")

    def after_train(self, runner: Any) -> None:
        """Erase the training bar."""
        self._bar_end("train")

    def before_val(self, runner: Any) -> None:
        """Show a validation bar."""
        self._bar_start(runner, "val", "val", self._len(runner.val_dataloader))

    def after_val(self, runner: Any) -> None:
        """Erase the validation bar."""
        self._bar_end("val")

    def before_test(self, runner: Any) -> None:
        """Show a test bar."""
        self._bar_start(runner, "test", "test", self._len(runner.test_dataloader))

    def after_test(self, runner: Any) -> None:
        """Erase the test bar."""
        self._bar_end("test")

    def on_exception(self, runner: Any, exception: BaseException) -> None:
        """Erase the progress bar when a run fails, before the error is shown."""
        self._close_bar()

    def before_run(self, runner: Any) -> None:
        """Decide where the JSON log goes and, with ``out_dir``, where logs are copied."""
        if self.out_dir is not None:
            self.out_dir = fileio.join_path(self.out_dir, osp.basename(runner.work_dir.rstrip("/")),
                                            backend_args=self.backend_args)
        self.json_log_path = f"{runner.timestamp}.json"

    def after_train_iter(self, runner: Any, batch_idx: int, data_batch: DATA_BATCH = None,
                         outputs: dict | None = None) -> None:
        """Log every ``interval`` iterations (and at the end of an epoch unless ``ignore_last``)."""
        if self._progress is not None:
            self._progress.update("train", runner.iter + 1)
        if self.every_n_train_iters(runner, self.interval_exp_name):
            runner.logger.info(f"Exp name: {runner.experiment_name}")
        if train_by_epoch(runner):
            log_now = self.every_n_inner_iters(batch_idx, self.interval)
            if not log_now and self.end_of_epoch(runner.train_dataloader, batch_idx):
                log_now = not self.ignore_last or len(runner.train_dataloader) <= self.interval
        else:
            log_now = self.every_n_train_iters(runner, self.interval)
        if not log_now:
            return
        tag, log_str = runner.log_processor.get_log_after_iter(runner, batch_idx, "train")
        runner.logger.info(log_str)
        runner.visualizer.add_scalars(tag, step=runner.iter + 1, file_path=self.json_log_path)

    def after_val_iter(self, runner: Any, batch_idx: int, data_batch: DATA_BATCH = None,
                       outputs: Sequence | None = None) -> None:
        """Log validation progress every ``interval`` iterations."""
        if self._progress is not None:
            self._progress.update("val", batch_idx + 1)
        if self.every_n_inner_iters(batch_idx, self.interval):
            _, log_str = runner.log_processor.get_log_after_iter(runner, batch_idx, "val")
            runner.logger.info(log_str)

    def after_test_iter(self, runner: Any, batch_idx: int, data_batch: DATA_BATCH = None,
                        outputs: Sequence | None = None) -> None:
        """Log test progress every ``interval`` iterations."""
        if self._progress is not None:
            self._progress.update("test", batch_idx + 1)
        if self.every_n_inner_iters(batch_idx, self.interval):
            _, log_str = runner.log_processor.get_log_after_iter(runner, batch_idx, "test")
            runner.logger.info(log_str)

    def after_val_epoch(self, runner: Any, metrics: dict[str, Any] | None = None) -> None:
        """Log the validation metrics and send them to the visualizer."""
        tag, log_str = runner.log_processor.get_log_after_epoch(runner, len(runner.val_dataloader), "val")
        runner.logger.info(log_str)
        if built_train_loop(runner) is not None:
            by_epoch = self.log_metric_by_epoch and train_by_epoch(runner)
            step = runner.epoch if by_epoch else runner.iter
        else:
            step = 0
        runner.visualizer.add_scalars(tag, step=step, file_path=self.json_log_path)

    def after_test_epoch(self, runner: Any, metrics: dict[str, Any] | None = None) -> None:
        """Log the test metrics and write them as JSON to the log directory."""
        tag, log_str = runner.log_processor.get_log_after_epoch(
            runner, len(runner.test_dataloader), "test", with_non_scalar=True)
        runner.logger.info(log_str)
        if runner.rank == 0:
            plain = {k: v for k, v in tag.items() if isinstance(v, (int, float, str, bool, list, dict)) or v is None}
            fileio.dump(plain, osp.join(runner.log_dir, self.json_log_path or f"{runner.timestamp}.json"))

    def after_run(self, runner: Any) -> None:
        """Copy the log files to ``out_dir``."""
        self._close_bar()
        runner.visualizer.close()
        if self.out_dir is None or runner.rank != 0:
            return
        for filename in self._scan(runner.log_dir):
            local = osp.join(runner.log_dir, filename)
            target = fileio.join_path(self.out_dir, filename, backend_args=self.backend_args)
            with open(local, "rb") as f:
                fileio.put(f.read(), target, backend_args=self.backend_args)
            runner.logger.info(f"The file {local} has been uploaded to {target}.")
            if not self.keep_local:
                fileio.remove(local)

    def _scan(self, root: str) -> list[str]:
        found = []
        for filename in fileio.list_dir_or_file(root, list_dir=False, recursive=True):
            if filename.endswith(self.out_suffix):
                found.append(filename)
        return found
