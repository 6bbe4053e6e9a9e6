"""Training loops: ``EpochBasedTrainLoop`` and ``IterBasedTrainLoop``, with exact resume."""

from __future__ import annotations

import bisect
import logging
import math
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import torch
from torch.utils.data import DataLoader

from mme.dataset import InfiniteSampler
from mme.optim import OptimWrapper
from mme.registry import LOOPS

from ._base_loop import BaseLoop
from ._errors import NonFiniteLossError, RunnerConfigError
from ._randomness import get_rng_state, set_rng_state

__all__ = ["EpochBasedTrainLoop", "IterBasedTrainLoop", "calc_dynamic_intervals"]

logger = logging.getLogger(__name__)


def calc_dynamic_intervals(start_interval: int, dynamic_interval_list: Sequence[tuple[int, int]] | None = None,
                           ) -> tuple[list[int], list[int]]:
    """Milestones and intervals of a validation interval that changes during training.

    Args:
        start_interval: The interval from the start.
        dynamic_interval_list: ``[(milestone, interval), ...]``: from ``milestone`` (an epoch or
            iteration) on, validate every ``interval``.

    Returns:
        ``([0, milestone, ...], [start_interval, interval, ...])``.

    Raises:
        RunnerConfigError: An item is not a pair, or the milestones decrease.

    Examples:
        >>> calc_dynamic_intervals(1, [(5, 2), (10, 3)])
        ([0, 5, 10], [1, 2, 3])
    """
    start, dynamic = start_interval, dynamic_interval_list
    milestones, intervals = [0], [start]
    if dynamic:
        for item in dynamic:
            if not isinstance(item, (list, tuple)) or len(item) != 2:
                raise RunnerConfigError(f"dynamic_intervals must be (milestone, interval) pairs, got {item!r}")
            milestones.append(int(item[0]))
            intervals.append(int(item[1]))
        if milestones != sorted(milestones):
            raise RunnerConfigError(f"dynamic_intervals milestones must increase, got {milestones[1:]}")
    return milestones, intervals


def _sampler_of(dataloader: Any) -> Any:
    """The dataloader's sampler if it can save and restore its position, else ``None``."""
    for sampler in (getattr(dataloader, "sampler", None),
                    getattr(getattr(dataloader, "batch_sampler", None), "sampler", None)):
        if hasattr(sampler, "load_state_dict") and hasattr(sampler, "state_dict"):
            return sampler
    return None


def _batch_size_of(dataloader: Any) -> int | None:
    size = getattr(dataloader, "batch_size", None)
    if size is None:
        size = getattr(getattr(dataloader, "batch_sampler", None), "batch_size", None)
    return size if isinstance(size, int) else None


class _TrainLoopMixin:
    """Progress bookkeeping, checkpoint state and the non-finite-loss guard of training loops."""

    if TYPE_CHECKING:  # the loop classes provide runner, dataloader and the limits

        def __getattr__(self, name: str) -> Any: ...

    by_epoch = True

    def _init_progress(self, val_begin: int, val_interval: int, dynamic_intervals: Any, nonfinite_loss: str) -> None:
        if nonfinite_loss not in ("raise", "skip"):
            raise RunnerConfigError(f"nonfinite_loss must be 'raise' or 'skip', got {nonfinite_loss!r}")
        if not isinstance(val_interval, int) or val_interval < 1:
            raise RunnerConfigError(f"val_interval must be a positive int, got {val_interval!r}")
        self.val_begin = val_begin
        self.val_interval = val_interval
        self.dynamic_milestones, self.dynamic_intervals = calc_dynamic_intervals(val_interval, dynamic_intervals)
        self.nonfinite_loss = nonfinite_loss
        self.stop_training = False
        self._epoch = 0
        self._iter = 0
        self._epochs_done = 0
        self._iters_done = 0
        self._inner_done = 0
        self._phase: str | None = None
        self._resume: dict[str, Any] | None = None
        self._guarded: list[Any] = []
        self._guard_ran = False
        meta = getattr(self.dataloader.dataset, "metainfo", None)
        if meta is not None:
            self.runner.visualizer.dataset_meta = meta

    # -- counters ------------------------------------------------------------------------------
    @property
    def max_epochs(self) -> int:
        """Total training epochs."""
        return self._max_epochs

    @property
    def max_iters(self) -> int:
        """Total training iterations."""
        return self._max_iters

    @property
    def epoch(self) -> int:
        """Epochs completed so far (the 0-based index of the running epoch)."""
        return self._epoch

    @property
    def iter(self) -> int:
        """Iterations completed so far (the 0-based index of the running iteration)."""
        return self._iter

    @property
    def progress(self) -> dict[str, int]:
        """What is finished at this moment: epochs, iterations and iterations into the open epoch."""
        return {"epoch": self._epochs_done, "iter": self._iters_done, "inner_iter": self._inner_done}

    def load_progress(self, progress: dict[str, Any], sampler_state: dict | None) -> None:
        """Continue from a checkpoint's ``progress`` (and train sampler state) on the next ``run``."""
        self._epoch = self._epochs_done = int(progress.get("epoch", 0))
        self._iter = self._iters_done = int(progress.get("iter", 0))
        self._inner_done = int(progress.get("inner_iter", 0))
        self._resume = {"inner_iter": self._inner_done, "sampler": sampler_state}

    def _decide_val_interval(self, done: int) -> None:
        if len(self.dynamic_milestones) == 1:  # no dynamic_intervals: the interval never changes
            return
        step = bisect.bisect(self.dynamic_milestones, done + 1)
        self.val_interval = self.dynamic_intervals[step - 1]

    def _val_due(self, done: int, total: int) -> bool:
        return (self._runner._val_loop is not None and done >= self.val_begin
                and (done % self.val_interval == 0 or done == total))

    # -- non-finite guard ----------------------------------------------------------------------
    def _install_guard(self) -> None:
        wrapper = self.runner.optim_wrapper
        inner = getattr(wrapper, "optim_wrappers", None)
        for target in inner.values() if isinstance(inner, dict) else [wrapper]:
            if isinstance(target, OptimWrapper):
                target.loss_check = self._check_loss
                self._guarded.append(target)

    def _remove_guard(self) -> None:
        for target in self._guarded:
            target.loss_check = None
        self._guarded = []

    def _check_loss(self, loss: Any) -> bool:
        """``OptimWrapper.loss_check``: True for a finite loss; else an error, or False to skip the update."""
        self._guard_ran = True
        if not isinstance(loss, torch.Tensor):
            return True
        value = loss.item() if loss.numel() == 1 else float(loss.detach().float().sum().item())
        if math.isfinite(value):
            return True
        self._nonfinite(loss)
        return False

    def _nonfinite(self, loss: Any) -> None:
        value = loss.detach().float().sum().item() if isinstance(loss, torch.Tensor) else loss
        message = f"loss is {value} at iteration {self._iter + 1} (epoch {self._epoch + 1})"
        if self.nonfinite_loss == "raise":
            raise NonFiniteLossError(message + "; set train_cfg nonfinite_loss='skip' to skip such iterations")
        logger.warning("%s; skipping the parameter update", message)
        self.runner.logger.warning(f"{message}; skipping the parameter update")

    def _train_step(self, data_batch: Any) -> Any:
        self._guard_ran = False
        runner = self._runner
        outputs = runner.model.train_step(data_batch, optim_wrapper=runner.optim_wrapper)
        if not self._guard_ran and self.nonfinite_loss == "raise" and isinstance(outputs, dict) and "loss" in outputs:
            loss = outputs["loss"]
            if not math.isfinite(loss.item() if isinstance(loss, torch.Tensor) else loss):
                self._nonfinite(loss)
        return outputs

    # -- resume helpers ------------------------------------------------------------------------
    def _sampler_state(self, epoch: int, base_position: int, batches: int) -> dict | None:
        """The sampler's state with ``epoch`` and the position after ``batches`` more batches."""
        sampler = _sampler_of(self.dataloader)
        size = _batch_size_of(self.dataloader)
        if sampler is None or size is None:
            return None
        return dict(sampler.state_dict(), epoch=epoch, position=base_position + batches * size)

    def _restore_sampler_seed(self, dataloader: Any) -> None:
        """Consume the pending resume, giving the sampler the checkpoint's epoch and seed only."""
        resume, self._resume = self._resume, None
        sampler = _sampler_of(dataloader)
        state = resume.get("sampler") if resume else None
        if state is not None and sampler is not None:
            sampler.load_state_dict(dict(state, position=0))

    def _consume_resume(self, dataloader: Any, skip_batches: int) -> Iterator[Any]:
        """An iterator over ``dataloader`` that continues where the checkpoint stopped."""
        resume, self._resume = self._resume, None
        sampler = _sampler_of(dataloader)
        state = resume.get("sampler") if resume else None
        if state is not None and sampler is not None:
            sampler.load_state_dict(state)
            skip_batches = 0
        if not skip_batches and (state is None or int(state.get("position", 0)) == 0):
            return iter(dataloader)
        rng = get_rng_state()  # creating the iterator draws from torch's RNG; an unbroken run did not
        iterator = iter(dataloader)
        set_rng_state(rng)
        if skip_batches:
            logger.warning("the train sampler cannot restore its position; skipping %s batches by loading them",
                           skip_batches)
            for _ in range(skip_batches):
                next(iterator)
        return iterator


@LOOPS.register_module()
class EpochBasedTrainLoop(_TrainLoopMixin, BaseLoop):
    """Trains for ``max_epochs`` epochs, validating every ``val_interval`` epochs from ``val_begin``.

    Args:
        runner: The runner.
        dataloader: A ``DataLoader`` or its config.
        max_epochs: Number of epochs.
        val_begin: First epoch after which validation may run.
        val_interval: Validate every this many epochs (and after the last one).
        dynamic_intervals: ``[(epoch, interval), ...]`` changing ``val_interval`` from an epoch on.
        nonfinite_loss: ``'raise'`` (default) stops with an error naming the iteration when the
            loss is NaN/Inf; ``'skip'`` skips that iteration's update.
    """

    def __init__(self, runner: Any, dataloader: DataLoader | dict, max_epochs: int, val_begin: int = 1,
                 val_interval: int = 1, dynamic_intervals: list[tuple[int, int]] | None = None,
                 nonfinite_loss: str = "raise") -> None:
        super().__init__(runner, dataloader)
        if not isinstance(max_epochs, int) or isinstance(max_epochs, bool) or max_epochs < 1:
            raise RunnerConfigError(f"train_cfg max_epochs must be a positive int, got {max_epochs!r}")
        self._max_epochs = max_epochs
        self._max_iters = max_epochs * len(self.dataloader)
        self._init_progress(val_begin, val_interval, dynamic_intervals, nonfinite_loss)

    def will_validate(self) -> bool:
        """Whether validation runs right after the hooks of the current stage."""
        return self._phase == "epoch_end" and self._val_due(self._epochs_done, self._max_epochs)

    def run(self) -> Any:
        """Train until ``max_epochs`` or until a hook sets ``stop_training``."""
        self.runner.call_hook("before_train")
        self._install_guard()
        try:
            while self._epoch < self._max_epochs and not self.stop_training:
                self.run_epoch()
                if self._val_due(self._epochs_done, self._max_epochs):
                    self.runner.val_loop.run()
        finally:
            self._remove_guard()
        self.runner.call_hook("after_train")
        return self.runner.model

    def run_epoch(self) -> None:
        """Run one epoch (or what is left of it after a mid-epoch resume)."""
        self.runner.call_hook("before_train_epoch")
        self.runner.model.train()
        start = self._resume["inner_iter"] if self._resume else 0
        if self._resume is not None and start >= len(self.dataloader):
            # the checkpoint was taken after this epoch's last batch: nothing is left to load
            self._restore_sampler_seed(self.dataloader)
            iterator: Iterator[Any] = iter(())
        elif self._resume is not None:
            iterator = self._consume_resume(self.dataloader, start)
        else:
            iterator = iter(self.dataloader)
        self._inner_done = start
        for idx, data_batch in enumerate(iterator, start):
            self.run_iter(idx, data_batch)
        self._epochs_done = self._epoch + 1
        self._inner_done = 0
        self._decide_val_interval(self._epochs_done)
        self._phase = "epoch_end"
        try:
            self.runner.call_hook("after_train_epoch")
        finally:
            self._phase = None
        self._epoch += 1

    def run_iter(self, idx: int, data_batch: Any) -> None:
        """Run one training iteration."""
        self._runner.call_hook("before_train_iter", batch_idx=idx, data_batch=data_batch)
        outputs = self._train_step(data_batch)
        self._iters_done = self._iter + 1
        self._inner_done = idx + 1
        self._phase = "iter_end"
        try:
            self._runner.call_hook("after_train_iter", batch_idx=idx, data_batch=data_batch, outputs=outputs)
        finally:
            self._phase = None
        self._iter += 1

    def sampler_state(self) -> dict | None:
        """The train sampler's state at the current progress (``None`` if it cannot save one)."""
        return self._sampler_state(self._epochs_done, 0, self._inner_done)


class _InfiniteIterator:
    """Yields batches forever, starting a new epoch of the dataloader when one is exhausted."""

    def __init__(self, loop: IterBasedTrainLoop) -> None:
        self._loop = loop
        self._iterator: Iterator[Any] | None = None
        self.epoch = 0
        self.base_position = 0
        self.consumed = 0

    def __iter__(self) -> _InfiniteIterator:
        return self

    def __next__(self) -> Any:
        loader = self._loop.dataloader
        if self._iterator is None:
            resume = self._loop._resume
            if resume is not None:
                state = resume.get("sampler") or {}
                self.epoch = int(state.get("epoch", 0))
                self.base_position = int(state.get("position", 0))
                skip = 0
                if not state:
                    self.epoch, skip = divmod(self._loop._iters_done, max(len(loader), 1))
                size = _batch_size_of(loader) or 1
                if state and not isinstance(_sampler_of(loader), InfiniteSampler) \
                        and self.base_position >= len(loader) * size:
                    # taken after the epoch's last batch: the next epoch starts on the next call
                    self._loop._restore_sampler_seed(loader)
                    self._iterator = iter(())
                else:
                    self._iterator = self._loop._consume_resume(loader, skip)
            else:
                self._iterator = iter(loader)
        try:
            batch = next(self._iterator)
        except StopIteration:
            self.epoch += 1
            self.base_position = 0
            self.consumed = 0
            batch_sampler = getattr(loader, "batch_sampler", None)
            candidates: tuple[Any, ...] = (getattr(loader, "sampler", None), getattr(batch_sampler, "sampler", None))
            for sampler in candidates:
                if hasattr(sampler, "set_epoch"):
                    sampler.set_epoch(self.epoch)
                    break
            self._iterator = iter(loader)
            batch = next(self._iterator)
        self.consumed += 1
        return batch


@LOOPS.register_module()
class IterBasedTrainLoop(_TrainLoopMixin, BaseLoop):
    """Trains for ``max_iters`` iterations, validating every ``val_interval`` iterations.

    The dataloader is cycled: when it is exhausted a new epoch of it starts. Arguments are those
    of :class:`EpochBasedTrainLoop` with iterations instead of epochs.
    """

    by_epoch = False

    def __init__(self, runner: Any, dataloader: DataLoader | dict, max_iters: int, val_begin: int = 1,
                 val_interval: int = 1000, dynamic_intervals: list[tuple[int, int]] | None = None,
                 nonfinite_loss: str = "raise") -> None:
        super().__init__(runner, dataloader)
        if not isinstance(max_iters, int) or isinstance(max_iters, bool) or max_iters < 1:
            raise RunnerConfigError(f"train_cfg max_iters must be a positive int, got {max_iters!r}")
        self._max_iters = max_iters
        self._max_epochs = 1
        self._init_progress(val_begin, val_interval, dynamic_intervals, nonfinite_loss)
        self.dataloader_iterator = _InfiniteIterator(self)

    def will_validate(self) -> bool:
        """Whether validation runs right after the hooks of the current stage."""
        return self._phase == "iter_end" and self._val_due(self._iters_done, self._max_iters)

    def run(self) -> Any:
        """Train until ``max_iters`` or until a hook sets ``stop_training``."""
        self.runner.call_hook("before_train")
        self.runner.call_hook("before_train_epoch")
        self._install_guard()
        self.runner.model.train()
        try:
            while self._iter < self._max_iters and not self.stop_training:
                data_batch = next(self.dataloader_iterator)
                self.run_iter(data_batch)
                self._decide_val_interval(self._iters_done)
                if self._val_due(self._iters_done, self._max_iters):
                    self.runner.val_loop.run()
                    self.runner.model.train()
        finally:
            self._remove_guard()
        self._epochs_done = 1
        self.runner.call_hook("after_train_epoch")
        self.runner.call_hook("after_train")
        return self.runner.model

    def run_iter(self, data_batch: Any) -> None:
        """Run one training iteration."""
        self._runner.call_hook("before_train_iter", batch_idx=self._iter, data_batch=data_batch)
        outputs = self._train_step(data_batch)
        self._iters_done = self._iter + 1
        self._phase = "iter_end"
        try:
            self._runner.call_hook("after_train_iter", batch_idx=self._iter, data_batch=data_batch, outputs=outputs)
        finally:
            self._phase = None
        self._iter += 1

    def sampler_state(self) -> dict | None:
        """The train sampler's state at the current progress (``None`` if it cannot save one)."""
        it = self.dataloader_iterator
        return self._sampler_state(it.epoch, it.base_position, it.consumed)
