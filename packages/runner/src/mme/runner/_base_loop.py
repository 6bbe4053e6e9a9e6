"""``BaseLoop``: what every loop (train, val, test) shares."""

from __future__ import annotations

from abc import ABCMeta, abstractmethod
from typing import Any

from torch.utils.data import DataLoader

__all__ = ["BaseLoop"]


class BaseLoop(metaclass=ABCMeta):
    """Base class of loops: holds the runner and builds the dataloader from a config if needed.

    Args:
        runner: The runner driving the loop.
        dataloader: A ``DataLoader`` or a dataloader config (see ``Runner.build_dataloader``).
    """

    def __init__(self, runner: Any, dataloader: DataLoader | dict) -> None:
        self._runner = runner
        if isinstance(dataloader, dict):
            diff_rank_seed = runner._randomness_cfg.get("diff_rank_seed", False)
            self.dataloader = runner.build_dataloader(dataloader, seed=runner.seed, diff_rank_seed=diff_rank_seed)
        else:
            self.dataloader = dataloader

    @property
    def runner(self) -> Any:
        """The runner driving this loop."""
        return self._runner

    @abstractmethod
    def run(self) -> Any:
        """Run the loop."""
