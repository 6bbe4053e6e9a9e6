"""LogProcessor: turns the message hub's scalars into log lines and logged values."""

from __future__ import annotations

import datetime
import functools
import re
import sys
from collections import OrderedDict
from typing import Any

import torch

from mme.registry import LOG_PROCESSORS

from ._errors import RunnerConfigError

__all__ = ["LogProcessor"]

_METHODS = ("mean", "min", "max", "current")


@functools.cache
def _cuda_available() -> bool:
    return torch.cuda.is_available()


def _peak_memory_mb(runner: Any) -> int | None:
    if _cuda_available():
        device = getattr(runner.model, "output_device", None)
        mem = torch.cuda.max_memory_allocated(device=device)
        torch.cuda.reset_peak_memory_stats(device=device)
        return int(mem / (1024 * 1024))
    try:
        import resource
    except ImportError:  # pragma: no cover - Windows
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak / (1024 * 1024)) if sys.platform == "darwin" else int(peak / 1024)


@LOG_PROCESSORS.register_module()
class LogProcessor:
    """Formats the logs of training, validation and testing.

    Scalars whose name matches ``mean_pattern`` (losses, times) are averaged over the last
    ``window_size`` iterations; others show their latest value. ``custom_cfg`` adds or overrides
    statistics: ``dict(data_src='loss', method_name='mean'|'min'|'max'|'current',
    window_size=10|'epoch'|'global', log_name='loss_epoch')``.

    Args:
        window_size: Default smoothing window in iterations.
        by_epoch: Format training lines as ``Epoch(train) [e][i/n]``; iteration-based training
            always uses ``Iter(train) [i/N]``.
        custom_cfg: Extra statistics, see above.
        num_digits: Decimal digits of the logged values.
        log_with_hierarchy: Keep the ``train/``/``val/`` prefixes in the logged names.
        mean_pattern: Regex of the names averaged by default.
    """

    def __init__(self, window_size: int = 10, by_epoch: bool = True, custom_cfg: list[dict] | None = None,
                 num_digits: int = 4, log_with_hierarchy: bool = False,
                 mean_pattern: str = r".*(loss|time|data_time|grad_norm).*") -> None:
        if not isinstance(window_size, int) or window_size < 1:
            raise RunnerConfigError(f"log_processor window_size must be a positive int, got {window_size!r}")
        self.window_size = window_size
        self.by_epoch = by_epoch
        self.custom_cfg = list(custom_cfg) if custom_cfg else []
        self.num_digits = num_digits
        self._names: dict[str, dict[str, tuple[str, bool] | None]] = {}
        self.log_with_hierarchy = log_with_hierarchy
        self.mean_pattern = mean_pattern
        self._check_custom_cfg()

    def _check_custom_cfg(self) -> None:
        seen: set[str] = set()
        for i, cfg in enumerate(self.custom_cfg):
            where = f"log_processor custom_cfg[{i}]"
            if not isinstance(cfg, dict) or "data_src" not in cfg:
                raise RunnerConfigError(f"{where} must be a dict with a 'data_src' key, got {cfg!r}")
            if cfg.get("method_name", "mean") not in _METHODS:
                raise RunnerConfigError(
                    f"{where} method_name must be one of {_METHODS}, got {cfg.get('method_name')!r}")
            window = cfg.get("window_size")
            if window is not None and not isinstance(window, int) and window not in ("epoch", "global"):
                raise RunnerConfigError(f"{where} window_size must be an int, 'epoch' or 'global', got {window!r}")
            name = cfg.get("log_name", cfg["data_src"])
            if name in seen:
                raise RunnerConfigError(f"{where} logs {name!r} twice; give one of them a distinct log_name")
            seen.add(name)

    # -- helpers -------------------------------------------------------------------------------
    def _train_by_epoch(self, runner: Any) -> bool:
        loop = getattr(runner, "_train_loop", None)
        if loop is None or isinstance(loop, dict):
            return self.by_epoch
        return self.by_epoch and getattr(loop, "by_epoch", True)

    @staticmethod
    def _dataloader_len(runner: Any, mode: str) -> int:
        return len(getattr(runner, f"{mode}_dataloader"))

    @staticmethod
    def _epoch_of(runner: Any, mode: str) -> int:
        if mode == "train":
            return runner.epoch + 1
        loop = getattr(runner, "_train_loop", None)
        return 0 if loop is None or isinstance(loop, dict) else runner.epoch

    def _windows(self, runner: Any, batch_idx: int, cfgs: list[dict]) -> list[dict]:
        out = []
        for cfg in cfgs:
            window = cfg.get("window_size")
            if window == "epoch":
                cfg = dict(cfg, window_size=batch_idx + 1)
            elif window == "global":
                cfg = dict(cfg, window_size=runner.iter + 1)
            out.append(cfg)
        return out

    def _name_of(self, key: str, mode: str) -> tuple[str, bool] | None:
        """A hub key's logged name and whether it is averaged; None if it is not of ``mode``."""
        prefix = f"{mode}/"
        if not key.startswith(prefix):
            return None
        name = key if self._log_with_hierarchy else key[len(prefix):]
        return name, self._mean_pattern.search(name) is not None

    def _collect_scalars(self, cfgs: list[dict], runner: Any, mode: str) -> OrderedDict:
        # a key's name is worked out once (log lines come often, new keys rarely);
        # setting mean_pattern or log_with_hierarchy starts over
        names = self._names.setdefault(mode, {})
        buffers = {}
        tag: OrderedDict = OrderedDict()
        window = self.window_size
        for key, buffer in runner.message_hub.log_scalars.items():
            try:
                entry = names[key]
            except KeyError:
                entry = names[key] = self._name_of(key, mode)
            if entry is not None:
                name, averaged = entry
                buffers[name] = buffer
                tag[name] = float(buffer.mean(window) if averaged else buffer.current())
        prefix = f"{mode}/"
        for cfg in cfgs:
            cfg = dict(cfg)
            src = cfg.pop("data_src")
            name = cfg.pop("log_name", src)
            key = src if src in buffers else (src[len(prefix):] if src.startswith(prefix) else src)
            if key not in buffers:
                continue
            method = cfg.pop("method_name", "mean")
            window = cfg.pop("window_size", None)
            buffer = buffers[key]
            if method == "current":
                tag[name] = float(buffer.current())
            else:
                tag[name] = float(getattr(buffer, method)(window))
        return tag

    @property
    def mean_pattern(self) -> re.Pattern[str]:
        """Names matching this regex are averaged over the window."""
        return self._mean_pattern

    @mean_pattern.setter
    def mean_pattern(self, pattern: str | re.Pattern[str]) -> None:
        self._mean_pattern = re.compile(pattern)
        self._names = {}

    @property
    def log_with_hierarchy(self) -> bool:
        """Whether logged names keep their ``train/``/``val/``/``test/`` prefix."""
        return self._log_with_hierarchy

    @log_with_hierarchy.setter
    def log_with_hierarchy(self, value: bool) -> None:
        self._log_with_hierarchy = bool(value)
        self._names = {}

    def _fmt(self, value: Any) -> str:
        if isinstance(value, float):
            return f"{value:.{self.num_digits}f}"
        if isinstance(value, torch.Tensor) or hasattr(value, "shape"):
            return f"\n{value}\n"
        return str(value)

    # -- public --------------------------------------------------------------------------------
    def get_log_after_iter(self, runner: Any, batch_idx: int, mode: str) -> tuple[dict, str]:
        """Return ``(tag, log_line)`` for an iteration of ``mode`` ('train', 'val' or 'test')."""
        cfgs = self._windows(runner, batch_idx, self.custom_cfg)
        tag = self._collect_scalars(cfgs, runner, mode)
        shown = OrderedDict(tag)
        by_epoch = self._train_by_epoch(runner)
        if mode == "train" and not by_epoch:
            cur = runner.iter + 1
            total = runner.max_iters
            head = f"Iter({mode}) [{str(cur).rjust(len(str(total)))}/{total}]  "
        else:
            total = self._dataloader_len(runner, mode)
            cur = batch_idx + 1
            cur_str = f"{str(cur).rjust(len(str(total)))}/{total}"
            if mode in ("train", "val") and by_epoch:
                epoch = self._epoch_of(runner, mode)
                loop = getattr(runner, "_train_loop", None)
                width = len(str(runner.max_epochs)) + 3 if loop is not None and not isinstance(loop, dict) else 0
                head = f"Epoch({mode}){f'[{epoch}]'.rjust(width)}[{cur_str}]  "
                tag["epoch"] = epoch
            elif by_epoch:
                head = f"Epoch({mode}) [{cur_str}]  "
            else:
                head = f"Iter({mode}) [{cur_str}]  "
        parts = []
        if mode == "train":
            tag["iter"] = runner.iter + 1
            lrs = [k for k in shown if k.endswith("lr")]
            if lrs:
                parts.append(" ".join(f"{k}: {shown.pop(k):.{self.num_digits}e}" for k in lrs))
            eta = runner.message_hub.get_info("eta", None)
            if eta is not None and "time" in shown:
                parts.append(f"eta: {datetime.timedelta(seconds=int(eta))}")
        for key in ("time", "data_time"):
            if key in shown:
                parts.append(f"{key}: {self._fmt(shown.pop(key))}")
        memory = _peak_memory_mb(runner) if mode == "train" else None
        if memory is not None:
            tag["memory"] = memory
            parts.append(f"memory: {memory}")
        for key, value in shown.items():
            if mode in ("val", "test") and "loss" not in key:
                continue
            parts.append(f"{key}: {self._fmt(value)}")
        return dict(tag), head + "  ".join(parts)

    def get_log_after_epoch(self, runner: Any, batch_idx: int, mode: str,
                            with_non_scalar: bool = False) -> tuple[dict, str]:
        """Return ``(tag, log_line)`` after a validation or test epoch (metrics, mean times)."""
        prefix = f"{mode}/"
        cfgs = list(self.custom_cfg)
        keys = {c["data_src"][len(prefix):] if c["data_src"].startswith(prefix) else c["data_src"] for c in cfgs}
        for name in ("time", "data_time"):
            if name not in keys:
                cfgs.append(dict(data_src=name, window_size="epoch", method_name="mean"))
        tag = self._collect_scalars(self._windows(runner, batch_idx - 1, cfgs), runner, mode)
        if with_non_scalar:
            for key, value in runner.message_hub.runtime_info.items():
                if key.startswith(prefix):
                    tag[key if self.log_with_hierarchy else key[len(prefix):]] = value
        total = self._dataloader_len(runner, mode)
        by_epoch = self._train_by_epoch(runner)
        if mode in ("train", "val") and by_epoch:
            head = f"Epoch({mode}) [{self._epoch_of(runner, mode)}][{total}/{total}]  "
        elif by_epoch:
            head = f"Epoch({mode}) [{total}/{total}]  "
        else:
            head = f"Iter({mode}) [{total}/{total}]  "
        times = OrderedDict((k, tag[k]) for k in ("data_time", "time") if k in tag)
        others = [(k, v) for k, v in tag.items() if k not in times]
        items = [f"{k}: {self._fmt(v)}" for k, v in others + list(times.items())]
        return dict(tag), head + "  ".join(items)
