"""DistSamplerSeedHook: tells the training sampler which epoch starts."""

from __future__ import annotations

from typing import Any

from mme.registry import HOOKS

from ._hook import Hook

__all__ = ["DistSamplerSeedHook"]


@HOOKS.register_module()
class DistSamplerSeedHook(Hook):
    """Calls ``set_epoch(epoch)`` on the training sampler before each epoch.

    Samplers that shuffle (``DefaultSampler``) derive their order from the seed and the epoch, so
    each epoch gets a new order that is the same on every rank and after a resume.
    """

    priority = "NORMAL"

    def before_train_epoch(self, runner: Any) -> None:
        """Set the sampler's epoch."""
        loader = runner.train_loop.dataloader
        sampler: Any = getattr(loader, "sampler", None)
        if not hasattr(sampler, "set_epoch"):
            sampler = getattr(getattr(loader, "batch_sampler", None), "sampler", None)
        if hasattr(sampler, "set_epoch"):
            sampler.set_epoch(runner.train_loop.epoch)
