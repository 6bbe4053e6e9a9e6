"""How a run ends: the hooks hear of a failure, and a success ends with a one-line summary.

The summary says what was done, in how long, the best metric and the last checkpoint. Every
piece comes from public state: the training loop's progress, the message hub (validation metrics
recorded by RuntimeInfoHook, best scores and checkpoints recorded by CheckpointHook), the
CheckpointHook's ``key_indicators`` and the ``last_checkpoint`` pointer in the work directory.
"""

from __future__ import annotations

import logging
import math
import os.path as osp
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from mme.hooks import CheckpointHook

__all__ = ["eval_summary", "format_duration", "format_value", "notify_failure", "train_summary"]

logger = logging.getLogger(__name__)

_TIMINGS = ("time", "data_time")


def notify_failure(runner: Any, exception: BaseException) -> None:
    """Call every hook's ``on_exception(runner, exception)``, so that a hook can clean up what the
    failed run leaves behind (LoggerHook erases its progress bar). An error raised there is
    logged, never raised over ``exception``."""
    for hook in runner.hooks:
        try:
            hook.on_exception(runner, exception)
        except Exception:  # noqa: BLE001 - the run's own error is the one to report
            logger.exception("%s.on_exception failed", type(hook).__name__)


def format_duration(seconds: float) -> str:
    """``H:MM:SS``, e.g. ``0:00:41``.

    Examples:
        >>> format_duration(41.4), format_duration(3725)
        ('0:00:41', '1:02:05')
    """
    return str(timedelta(seconds=max(int(round(seconds)), 0)))


def format_value(value: float) -> str:
    """A metric as a person reads it: up to 4 decimals, no trailing zeros.

    Examples:
        >>> format_value(85.5), format_value(0.531249), format_value(3.0), format_value(2.5e-05)
        ('85.5', '0.5312', '3', '2.500e-05')
    """
    if not math.isfinite(value):
        return str(value)
    if value != 0 and abs(value) < 1e-3:
        return f"{value:.3e}"
    return f"{value:.4f}".rstrip("0").rstrip(".")


def _shown_path(path: str) -> str:
    """``path`` relative to the current directory when it lies below it."""
    if "://" in path:
        return path
    rel = osp.relpath(path) if osp.isabs(path) else path
    return path if rel.startswith("..") else rel


def _scalar(value: Any) -> float | None:
    """``value`` as a float if it is one number (int, float, one-element tensor or array)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    numel, size = getattr(value, "numel", None), getattr(value, "size", None)
    try:
        if (callable(numel) and numel() == 1) or size == 1:
            return float(value.item())
    except (TypeError, ValueError, RuntimeError):
        pass
    return None


def _metrics_text(metrics: Mapping[str, Any]) -> str:
    items = [(k, _scalar(v)) for k, v in metrics.items()]
    return ", ".join(f"{k} {format_value(v)}" for k, v in items if v is not None)


def _checkpoint_hooks(runner: Any) -> list[CheckpointHook]:
    return [h for h in runner.hooks if isinstance(h, CheckpointHook)]


def _best(runner: Any) -> list[str]:
    """``best <metric> <score> (<best checkpoint>)`` for each ``save_best`` metric that has a score."""
    hub = runner.message_hub
    val_keys = _val_metric_names(runner)
    found = []
    for hook in _checkpoint_hooks(runner):
        keys = list(hook.key_indicators)
        single = len(keys) == 1
        for key in keys:
            score = hub.get_info("best_score" if single else f"best_score_{key}")
            if score is None:
                continue
            name = val_keys[0] if key == "auto" and val_keys else key  # 'auto' is the first metric
            ckpt = hub.get_info("best_ckpt" if single else f"best_ckpt_{key}")
            where = f" ({osp.basename(str(ckpt))})" if ckpt else ""
            found.append(f"best {name} {format_value(float(score))}{where}")
    return found


def _val_metric_names(runner: Any) -> list[str]:
    """Names of the validation metrics in the message hub (``val/<name>``), without the per-iteration
    timings IterTimerHook records there too."""
    names = [k[len("val/"):] for k in runner.message_hub.log_scalars if k.startswith("val/")]
    return [n for n in names if n not in _TIMINGS]


def _last_val(runner: Any) -> str:
    hub = runner.message_hub
    metrics = {n: hub.get_scalar(f"val/{n}").current() for n in _val_metric_names(runner)}
    text = _metrics_text(metrics)
    return f"last val {text}" if text else ""


def _last_checkpoint(runner: Any) -> str:
    if not _checkpoint_hooks(runner):
        return ""
    pointer = osp.join(runner.work_dir, "last_checkpoint")
    try:
        with open(pointer, encoding="utf-8") as f:
            path = f.read().strip()
    except OSError:  # nothing saved yet, or this rank does not see rank 0's files
        return ""
    return f"last checkpoint {_shown_path(path)}" if path else ""


def train_summary(runner: Any, seconds: float) -> str:
    """``Done: 10 epochs in 0:00:41; best accuracy 85.5 (best_accuracy_epoch_9.pth); last checkpoint ...``.

    Without ``save_best`` the last validation metrics are shown instead of the best one.
    """
    loop = runner.train_loop
    progress = runner.train_progress
    by_epoch = getattr(loop, "by_epoch", True)
    unit = "epoch" if by_epoch else "iter"
    done = progress.get(unit, runner.epoch if by_epoch else runner.iter)
    total = loop.max_epochs if by_epoch else loop.max_iters
    amount = f"{done}" if done == total else f"{done} of {total}"
    parts = [f"Done: {amount} {unit}{'' if total == 1 else 's'} in {format_duration(seconds)}"]
    parts += _best(runner) or [_last_val(runner)]
    parts.append(_last_checkpoint(runner))
    return "; ".join(p for p in parts if p)


def eval_summary(mode: str, metrics: Mapping[str, Any] | None, seconds: float) -> str:
    """``Done: test in 0:00:03; accuracy 85.5, loss 0.31`` (scalar metrics only)."""
    text = _metrics_text(metrics or {})
    return f"Done: {mode} in {format_duration(seconds)}" + (f"; {text}" if text else "")
