"""The Runner's read-only properties (loops, dataloaders, counters, names)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from torch.utils.data import DataLoader

from mme.hooks import Hook

from ._base_loop import BaseLoop
from ._errors import RunnerStateError
from .version import __version__

__all__ = ["PropertiesMixin"]


class PropertiesMixin:
    """Properties of the Runner; the loops are built on first access."""

    if TYPE_CHECKING:  # the Runner provides the attributes this mixin uses

        def __getattr__(self, name: str) -> Any: ...

    _train_loop: Any
    _val_loop: Any
    _test_loop: Any


    @staticmethod
    def _built(loop: Any) -> Any:
        return None if loop is None or type(loop) is dict or isinstance(loop, dict) else loop

    @property
    def experiment_name(self) -> str:
        """Name of the run."""
        return self._experiment_name

    @property
    def model_name(self) -> str:
        """Class name of the (unwrapped) model."""
        return self._model_name

    @property
    def work_dir(self) -> str:
        """Absolute work directory."""
        return self._work_dir

    @property
    def log_dir(self) -> str:
        """``<work_dir>/<timestamp>``."""
        return self._log_dir

    @property
    def timestamp(self) -> str:
        """Start time of the run, ``%Y%m%d_%H%M%S``."""
        return self._timestamp

    @property
    def mme_version(self) -> str:
        """Version of mme-runner."""
        return __version__

    @property
    def launcher(self) -> str:
        """The launcher."""
        return self._launcher

    @property
    def distributed(self) -> bool:
        """Whether the run is distributed."""
        return self._distributed

    @property
    def rank(self) -> int:
        """Rank of this process."""
        return self._rank

    @property
    def world_size(self) -> int:
        """Number of processes."""
        return self._world_size

    @property
    def deterministic(self) -> bool:
        """Whether deterministic algorithms were requested."""
        return self._deterministic

    @property
    def seed(self) -> int:
        """The seed in use."""
        return self._seed

    @property
    def hooks(self) -> list[Hook]:
        """Registered hooks in calling order."""
        return self._hooks

    @property
    def is_training(self) -> bool:
        """Whether ``train()`` is running."""
        return self._is_training

    @property
    def is_resuming(self) -> bool:
        """Whether a checkpoint is being loaded by ``resume`` (for ``after_load_checkpoint`` hooks)."""
        return self._resuming

    @property
    def train_loop(self) -> BaseLoop:
        """The training loop (built on first access)."""
        if isinstance(self._train_loop, dict):
            self._train_loop = self.build_train_loop(self._train_loop)
        if self._train_loop is None:
            raise RunnerStateError("this runner has no training loop")
        return self._train_loop

    @property
    def val_loop(self) -> BaseLoop:
        """The validation loop (built on first access)."""
        if isinstance(self._val_loop, dict):
            self._val_loop = self.build_val_loop(self._val_loop)
        if self._val_loop is None:
            raise RunnerStateError("this runner has no validation loop")
        return self._val_loop

    @property
    def test_loop(self) -> BaseLoop:
        """The test loop (built on first access)."""
        if isinstance(self._test_loop, dict):
            self._test_loop = self.build_test_loop(self._test_loop)
        if self._test_loop is None:
            raise RunnerStateError("this runner has no test loop")
        return self._test_loop

    @property
    def train_dataloader(self) -> DataLoader:
        """The training dataloader."""
        return self.train_loop.dataloader

    @property
    def val_dataloader(self) -> DataLoader:
        """The validation dataloader."""
        return self.val_loop.dataloader

    @property
    def test_dataloader(self) -> DataLoader:
        """The test dataloader."""
        return self.test_loop.dataloader

    @property
    def val_evaluator(self) -> Any:
        """The validation evaluator."""
        loop: Any = self.val_loop
        return loop.evaluator

    @property
    def test_evaluator(self) -> Any:
        """The test evaluator."""
        loop: Any = self.test_loop
        return loop.evaluator

    @property
    def epoch(self) -> int:
        """Completed training epochs (0 without a training loop)."""
        try:  # hooks read this several times per iteration: keep it to one attribute lookup
            return self._train_loop.epoch  # type: ignore[union-attr]
        except AttributeError:  # no training loop, or one not built yet (still a config dict)
            return 0

    @property
    def iter(self) -> int:
        """Completed training iterations (0 without a training loop)."""
        try:
            return self._train_loop.iter  # type: ignore[union-attr]
        except AttributeError:
            return 0

    @property
    def max_epochs(self) -> int:
        """Total training epochs."""
        loop: Any = self.train_loop
        return loop.max_epochs

    @property
    def max_iters(self) -> int:
        """Total training iterations."""
        loop: Any = self.train_loop
        return loop.max_iters

    @property
    def val_interval(self) -> int:
        """How often (in epochs or iterations) the training loop validates, as it stands now."""
        loop: Any = self.train_loop
        return loop.val_interval

    @property
    def val_begin(self) -> int:
        """The epoch or iteration from which the training loop validates."""
        loop: Any = self.train_loop
        return loop.val_begin

    @property
    def train_progress(self) -> dict[str, int]:
        """Finished epochs, iterations and iterations into the open epoch, at this moment."""
        loop = self._built(self._train_loop)
        if loop is not None and hasattr(loop, "progress"):
            return loop.progress
        return {"epoch": self.epoch, "iter": self.iter, "inner_iter": 0}

