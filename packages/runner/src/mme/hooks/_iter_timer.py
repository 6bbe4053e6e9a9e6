"""IterTimerHook: times data loading and iterations and estimates the remaining time."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from mme.registry import HOOKS

from ._hook import DATA_BATCH, Hook
from ._utils import scalar_key

__all__ = ["IterTimerHook"]


@HOOKS.register_module()
class IterTimerHook(Hook):
    """Records ``<mode>/data_time`` and ``<mode>/time`` per iteration and the training ``eta``.

    ``data_time`` is the time spent waiting for the batch, ``time`` the whole iteration including
    the data. The ETA (seconds, runtime info ``eta``) uses the mean iteration time since the run
    (or resume) started.
    """

    priority = "NORMAL"

    def __init__(self) -> None:
        self.t = time.perf_counter()
        self.time_sec_tot = 0.0
        self.start_iter = 0
        self._max_iters = 0
        self._mode_iters = 0

    def before_train(self, runner: Any) -> None:
        """Start the ETA's accounting at the current iteration."""
        self.time_sec_tot = 0.0
        self.start_iter = runner.iter
        self._max_iters = runner.max_iters

    def _before_epoch(self, runner: Any, mode: str = "train") -> None:
        self.t = time.perf_counter()
        if mode != "train":
            self._mode_iters = 0

    def _before_iter(self, runner: Any, batch_idx: int, data_batch: DATA_BATCH = None, mode: str = "train") -> None:
        runner.message_hub.update_scalar(scalar_key(mode, "data_time"), time.perf_counter() - self.t)

    def _after_iter(self, runner: Any, batch_idx: int, data_batch: DATA_BATCH = None,
                    outputs: Sequence | dict | None = None, mode: str = "train") -> None:
        now = time.perf_counter()
        iter_time = now - self.t
        self.t = now
        hub = runner.message_hub
        hub.update_scalar(scalar_key(mode, "time"), iter_time)
        if mode == "train":
            self.time_sec_tot += iter_time
            done = runner.iter + 1
            timed = done - self.start_iter
            remaining = self._max_iters - done
            hub.update_info("eta", self.time_sec_tot / timed * remaining if timed > 0 and remaining > 0 else 0.0)
