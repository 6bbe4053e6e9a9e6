"""CheckpointHook: saves checkpoints at intervals, the last one, and the best by a metric."""

from __future__ import annotations

import logging
import math
import os.path as osp
from collections.abc import Sequence
from typing import Any

import mme.fileio as fileio
from mme.dist import is_main_process
from mme.registry import HOOKS
from mme.runner import publish_checkpoint

from ._errors import HookConfigError, HookError
from ._hook import DATA_BATCH, Hook
from ._utils import built_train_loop

__all__ = ["CheckpointHook"]

logger = logging.getLogger(__name__)

_RULES = {"greater": lambda x, y: x > y, "less": lambda x, y: x < y}
_INIT = {"greater": -math.inf, "less": math.inf}


def _remove_checkpoint(path: str, backend_args: dict | None) -> None:
    """Remove a checkpoint file, or a sharded checkpoint's directory, if it exists."""
    if fileio.isdir(path, backend_args=backend_args):
        fileio.rmtree(path, backend_args=backend_args)
    elif fileio.exists(path, backend_args=backend_args):
        fileio.remove(path, backend_args=backend_args)


@HOOKS.register_module()
class CheckpointHook(Hook):
    """Saves checkpoints and keeps ``last_checkpoint`` in the work directory pointing at the newest.

    A checkpoint is written through mme.fileio atomically (a partial file never takes the final
    name), and ``last_checkpoint`` moves only after the file is complete. When validation runs
    right after a save point, the save waits until validation has finished, so the checkpoint
    also holds the best-score bookkeeping and the state of metric-driven schedulers.

    Args:
        interval: Save every ``interval`` epochs (``by_epoch``) or iterations; ``-1`` saves only
            the last one (with ``save_last``).
        by_epoch: Count ``interval`` in epochs. Iteration-based runs name their files
            ``iter_N.pth``; there, ``by_epoch=True`` (an interval in epochs that never end) saves
            only the last checkpoint.
        save_optimizer: Include the optimizer state.
        save_param_scheduler: Include the schedulers' state.
        out_dir: Where to save (any mme.fileio URI, e.g. ``s3://bucket/ckpts``); the work
            directory's name is appended. Defaults to the work directory.
        max_keep_ckpts: Keep only this many interval checkpoints (``-1``: all).
        save_last: Also save after the last epoch/iteration.
        save_best: Metric name(s) whose best value selects a ``best_<metric>_<epoch|iter>_N.pth``
            checkpoint; ``'auto'`` takes the first metric.
        rule: ``'greater'`` or ``'less'`` (one per metric), inferred from the metric name if not given.
        greater_keys: Substrings marking metrics where greater is better.
        less_keys: Substrings marking metrics where less is better.
        filename_tmpl: Filename template, default ``epoch_{}.pth`` / ``iter_{}.pth``.
        backend_args: Arguments of the file backend of ``out_dir``.
        file_client_args: Deprecated alias of ``backend_args``.
        published_keys: After training, publish the last and best checkpoints with only these
            keys (e.g. ``['meta', 'state_dict']``) as ``<name>-<sha256[:8]>.pth`` next to them.
        save_begin: First epoch/iteration eligible for interval saving.
        **kwargs: More arguments of ``runner.save_checkpoint`` (e.g. ``meta``), passed on at
            every interval save.
    """

    priority = "VERY_LOW"
    default_greater_keys = ("acc", "top", "AR@", "auc", "precision", "mAP", "mDice", "mIoU", "mAcc", "aAcc")
    default_less_keys = ("loss",)
    #: Where ``**kwargs`` go, for the Runner's check of the config when it is built: its
    #: ``save_checkpoint``, which this hook calls with the named arguments set itself.
    forwards_kwargs_to = ("runner.save_checkpoint",
                          ("out_dir", "filename", "save_optimizer", "save_param_scheduler", "by_epoch", "backend_args"))

    def __init__(self, interval: int = -1, by_epoch: bool = True, save_optimizer: bool = True,
                 save_param_scheduler: bool = True, out_dir: str | None = None, max_keep_ckpts: int = -1,
                 save_last: bool = True, save_best: str | Sequence[str] | None = None,
                 rule: str | Sequence[str] | None = None, greater_keys: Sequence[str] | None = None,
                 less_keys: Sequence[str] | None = None, file_client_args: dict | None = None,
                 filename_tmpl: str | None = None, backend_args: dict | None = None,
                 published_keys: str | Sequence[str] | None = None, save_begin: int = 0, **kwargs: Any) -> None:
        if not isinstance(interval, int) or interval == 0 or interval < -1:
            raise HookConfigError(f"CheckpointHook interval must be a positive int or -1, got {interval!r}")
        if not isinstance(save_begin, int) or save_begin < 0:
            raise HookConfigError(f"CheckpointHook save_begin must be a non-negative int, got {save_begin!r}")
        if isinstance(published_keys, str):
            published_keys = [published_keys]
        if published_keys is not None and (
                not isinstance(published_keys, Sequence) or not published_keys
                or not all(isinstance(k, str) for k in published_keys)
                or len(set(published_keys)) != len(published_keys)):
            raise HookConfigError(
                f"CheckpointHook published_keys must be a key or a list of distinct keys, got {published_keys!r}")
        self.published_keys = list(published_keys) if published_keys is not None else None
        self._last_ckpt: str | None = None
        self.interval = interval
        self.by_epoch = by_epoch
        self.save_optimizer = save_optimizer
        self.save_param_scheduler = save_param_scheduler
        self.out_dir = out_dir
        self.max_keep_ckpts = max_keep_ckpts
        self.save_last = save_last
        self.backend_args = backend_args if backend_args is not None else file_client_args
        self.filename_tmpl = filename_tmpl
        self.save_begin = save_begin
        self.args = kwargs
        self.greater_keys = tuple(greater_keys) if greater_keys is not None else self.default_greater_keys
        self.less_keys = tuple(less_keys) if less_keys is not None else self.default_less_keys
        if save_best is None:
            self.key_indicators: list[str] = []
        elif isinstance(save_best, str):
            self.key_indicators = [save_best]
        elif isinstance(save_best, Sequence) and all(isinstance(k, str) for k in save_best):
            self.key_indicators = list(save_best)
        else:
            raise HookConfigError(f"CheckpointHook save_best must be a str or a list of str, got {save_best!r}")
        if "auto" in self.key_indicators and len(self.key_indicators) > 1:
            raise HookConfigError("CheckpointHook save_best='auto' cannot be combined with other metrics")
        rules: list[str | None] = (
            [rule] * len(self.key_indicators) if rule is None or isinstance(rule, str) else list(rule))
        if len(rules) != len(self.key_indicators):
            raise HookConfigError(
                f"CheckpointHook got {len(rules)} rules for {len(self.key_indicators)} save_best metrics")
        for r in rules:
            if r is not None and r not in _RULES:
                raise HookConfigError(f"CheckpointHook rule must be 'greater' or 'less', got {r!r}")
        self.rules: list[str | None] = rules
        self._pending_save = False
        self.keep_ckpt_ids: list[int] = []

    # -- set-up ------------------------------------------------------------------------------
    def before_train(self, runner: Any) -> None:
        """Resolve the output directory, the filename template and the saved bookkeeping.

        Also removes the temporary files an earlier run of this work directory left when it was
        killed while saving (mme's own ``.<name>.<hex>.tmp`` files, nothing else), and logs them.
        """
        loop = built_train_loop(runner)
        if self.by_epoch and loop is not None and not getattr(loop, "by_epoch", True):
            if self.interval > 0:
                runner.logger.warning(
                    "CheckpointHook(by_epoch=True) in an iteration-based run saves only the last checkpoint; "
                    "set by_epoch=False to save every `interval` iterations")
            self.by_epoch = False
            self.interval = -1
        if self.out_dir is None:
            self.out_dir = runner.work_dir
        elif not getattr(self, "_out_dir_resolved", False):
            self.out_dir = fileio.join_path(self.out_dir, osp.basename(runner.work_dir.rstrip("/")),
                                            backend_args=self.backend_args)
        self._out_dir_resolved = True
        self._remove_temp_files(runner)
        if self.filename_tmpl is None:
            self.filename_tmpl = "epoch_{}.pth" if self.by_epoch else "iter_{}.pth"
        self.keep_ckpt_ids = list(runner.message_hub.get_info("keep_ckpt_ids", []) or [])

    def _remove_temp_files(self, runner: Any) -> None:
        if not is_main_process():  # only the main process writes checkpoints and last_checkpoint
            return
        dirs = {str(self.out_dir): self.backend_args}
        dirs.setdefault(runner.work_dir, None)  # last_checkpoint lives there
        for directory, args in dirs.items():
            removed = fileio.remove_temp_files(directory, backend_args=args)
            if removed:
                runner.logger.warning(
                    f"Removed {len(removed)} temporary file(s) left in {directory} by a save that was interrupted "
                    f"(the process was killed while writing): {', '.join(osp.basename(p) for p in removed)}")

    def _rule_for(self, key: str, rule: str | None) -> str:
        if rule is not None:
            return rule
        low = key.lower()
        if any(k.lower() in low for k in self.greater_keys):
            return "greater"
        if any(k.lower() in low for k in self.less_keys):
            return "less"
        raise HookConfigError(
            f"CheckpointHook cannot tell whether {key!r} is better when greater or less; "
            f"pass rule='greater' or rule='less'")

    # -- interval saving ---------------------------------------------------------------------
    def after_train_epoch(self, runner: Any) -> None:
        """Save at epoch intervals and after the last epoch."""
        if not self.by_epoch:
            return
        due = (self.interval > 0 and self.every_n_epochs(runner, self.interval, self.save_begin)) or (
            self.save_last and self.is_last_train_epoch(runner))
        self._save_or_defer(runner, due)

    def after_train_iter(self, runner: Any, batch_idx: int, data_batch: DATA_BATCH = None,
                         outputs: dict | None = None) -> None:
        """Save at iteration intervals and after the last iteration."""
        if self.by_epoch:
            return
        due = (self.interval > 0 and self.every_n_train_iters(runner, self.interval, self.save_begin)) or (
            self.save_last and self.is_last_train_iter(runner))
        self._save_or_defer(runner, due)

    def _save_or_defer(self, runner: Any, due: bool) -> None:
        if not due:
            return
        loop = built_train_loop(runner)
        if loop is not None and getattr(loop, "will_validate", lambda: False)():
            self._pending_save = True
        else:
            self._save_checkpoint(runner)

    def after_val_epoch(self, runner: Any, metrics: dict[str, Any] | None = None) -> None:
        """Save the best checkpoint."""
        if built_train_loop(runner) is None or not getattr(runner, "is_training", False):
            return
        if self.key_indicators and metrics:
            self._save_best_checkpoint(runner, metrics)

    def after_val(self, runner: Any) -> None:
        """Save the interval checkpoint that waited for validation to finish."""
        if self._pending_save:
            self._pending_save = False
            self._save_checkpoint(runner)

    def _save_checkpoint(self, runner: Any) -> None:
        step = runner.train_progress["epoch"] if self.by_epoch else runner.train_progress["iter"]
        tmpl = self.filename_tmpl or ("epoch_{}.pth" if self.by_epoch else "iter_{}.pth")
        out_dir = str(self.out_dir or runner.work_dir)
        filename = tmpl.format(step)
        removed: list[int] = []
        if step not in self.keep_ckpt_ids:
            self.keep_ckpt_ids.append(step)
        if self.max_keep_ckpts > 0:
            while len(self.keep_ckpt_ids) > self.max_keep_ckpts:
                removed.append(self.keep_ckpt_ids.pop(0))
        runner.message_hub.update_info("keep_ckpt_ids", list(self.keep_ckpt_ids))
        path = runner.save_checkpoint(out_dir, filename, save_optimizer=self.save_optimizer,
                                      save_param_scheduler=self.save_param_scheduler, by_epoch=self.by_epoch,
                                      backend_args=self.backend_args, **self.args)
        if not is_main_process():
            return
        self._last_ckpt = path
        fileio.put_text(path, osp.join(runner.work_dir, "last_checkpoint"))
        for old in removed:
            old_path = fileio.join_path(out_dir, tmpl.format(old), backend_args=self.backend_args)
            _remove_checkpoint(old_path, self.backend_args)

    def after_train(self, runner: Any) -> None:
        """Publish the last and best checkpoints of the training when ``published_keys`` is set."""
        if self.published_keys is None or not is_main_process():
            return
        hub = runner.message_hub
        best = [hub.get_info(k) for k in hub.runtime_info if k == "best_ckpt" or k.startswith("best_ckpt_")]
        for path in ([self._last_ckpt] if self.save_last else []) + best:
            if path:
                published = publish_checkpoint(path, self.published_keys, backend_args=self.backend_args)
                runner.logger.info(f"Published {path} with keys {self.published_keys} as {published}")

    # -- best checkpoint ---------------------------------------------------------------------
    def _save_best_checkpoint(self, runner: Any, metrics: dict[str, Any]) -> None:
        keys = self.key_indicators
        rules = self.rules
        if keys == ["auto"]:
            keys = [next(iter(metrics))]
        single = len(keys) == 1
        unit = "epoch" if self.by_epoch else "iter"
        step = runner.train_progress[unit]
        for key, rule in zip(keys, rules):
            if key not in metrics:
                raise HookError(f"CheckpointHook save_best={key!r} is not among the metrics {sorted(metrics)}")
            rule = self._rule_for(key, rule)
            score = float(metrics[key])
            score_key = "best_score" if single else f"best_score_{key}"
            ckpt_key = "best_ckpt" if single else f"best_ckpt_{key}"
            best = runner.message_hub.get_info(score_key, _INIT[rule])
            if math.isnan(score) or not _RULES[rule](score, best):
                continue
            old_path = runner.message_hub.get_info(ckpt_key, None)
            name = f"best_{key.replace('/', '_')}_{unit}_{step}.pth"
            path = fileio.join_path(str(self.out_dir), name, backend_args=self.backend_args)
            runner.message_hub.update_info(score_key, score)
            runner.message_hub.update_info(ckpt_key, path)
            runner.save_checkpoint(self.out_dir, name, save_optimizer=False, save_param_scheduler=False,
                                   by_epoch=False, backend_args=self.backend_args)
            stale = old_path and old_path != path and is_main_process()
            if stale:
                _remove_checkpoint(old_path, self.backend_args)
            runner.logger.info(f"The best checkpoint with {score:0.4f} {key} at {step} {unit} is saved to {name}.")
