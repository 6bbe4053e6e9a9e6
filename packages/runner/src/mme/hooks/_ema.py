"""EMAHook: keeps an exponential moving average of the model and evaluates with it."""

from __future__ import annotations

import logging
from typing import Any

from mme.model import is_model_wrapper
from mme.registry import HOOKS, MODELS

from ._errors import HookConfigError
from ._hook import DATA_BATCH, Hook

__all__ = ["EMAHook"]

logger = logging.getLogger(__name__)


@HOOKS.register_module()
class EMAHook(Hook):
    """Maintains an EMA copy of the model; validation, testing and saved weights use the EMA.

    Checkpoints hold the EMA weights under ``state_dict`` and the raw weights under
    ``ema_state_dict`` (MMEngine's layout), and resuming swaps them back.

    Args:
        ema_type: Registered EMA model type (``ExponentialMovingAverage``,
            ``MomentumAnnealingEMA``, ``StochasticWeightAverage``).
        strict_load: Require the EMA keys to match exactly when loading.
        begin_iter: Start averaging at this iteration (the EMA copies the model before it).
        begin_epoch: Start averaging at this epoch.
        **kwargs: Arguments of the EMA model (``momentum``, ``interval``, ...).
    """

    priority = "NORMAL"
    copies_model = True
    #: ``ema_type`` and ``**kwargs`` are the config of a MODELS class the hook builds, passing
    #: ``model`` itself: the Runner checks that config when it is built (``momentm`` is an error
    #: before anything runs, not when the hook builds the EMA model).
    kwargs_config = ("ema_type", MODELS, ("model",))

    def __init__(self, ema_type: str = "ExponentialMovingAverage", strict_load: bool = False,
                 begin_iter: int = 0, begin_epoch: int = 0, **kwargs: Any) -> None:
        if begin_iter < 0 or begin_epoch < 0:
            raise HookConfigError(f"EMAHook begin_iter/begin_epoch must be >= 0, got {begin_iter}/{begin_epoch}")
        if begin_iter and begin_epoch:
            raise HookConfigError("EMAHook takes begin_iter or begin_epoch, not both")
        self.ema_cfg = dict(type=ema_type, **kwargs)
        self.strict_load = strict_load
        self.begin_iter = begin_iter
        self.begin_epoch = begin_epoch
        self.enabled_by_epoch = begin_epoch > 0

    def before_run(self, runner: Any) -> None:
        """Build the EMA model around the (unwrapped) model."""
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        self.src_model = model
        self.ema_model = MODELS.build(self.ema_cfg, default_args=dict(model=model))

    def before_train(self, runner: Any) -> None:
        """Check that averaging starts before training ends."""
        if self.enabled_by_epoch and self.begin_epoch > runner.max_epochs:
            raise HookConfigError(f"EMAHook begin_epoch={self.begin_epoch} is after max_epochs={runner.max_epochs}")
        if self.begin_iter and self.begin_iter > runner.max_iters:
            raise HookConfigError(f"EMAHook begin_iter={self.begin_iter} is after max_iters={runner.max_iters}")

    def _started(self, runner: Any) -> bool:
        if self.enabled_by_epoch:
            return runner.epoch + 1 >= self.begin_epoch
        return runner.iter + 1 >= self.begin_iter

    def after_train_iter(self, runner: Any, batch_idx: int, data_batch: DATA_BATCH = None,
                         outputs: dict | None = None) -> None:
        """Update the average, or copy the model while averaging has not started."""
        if self._started(runner):
            self.ema_model.update_parameters(self.src_model)
        else:
            src = self.src_model.state_dict()
            for name, value in self.ema_model.module.state_dict().items():
                value.data.copy_(src[name].data)

    def before_val_epoch(self, runner: Any) -> None:
        """Evaluate with the EMA weights."""
        self._swap_parameters()

    def after_val_epoch(self, runner: Any, metrics: dict | None = None) -> None:
        """Restore the raw weights."""
        self._swap_parameters()

    def before_test_epoch(self, runner: Any) -> None:
        """Test with the EMA weights."""
        self._swap_parameters()

    def after_test_epoch(self, runner: Any, metrics: dict | None = None) -> None:
        """Restore the raw weights."""
        self._swap_parameters()

    def before_save_checkpoint(self, runner: Any, checkpoint: dict) -> None:
        """Store the EMA state and put the EMA weights under ``state_dict``."""
        checkpoint["ema_state_dict"] = self.ema_model.state_dict()
        self._swap_state_dict(checkpoint)

    def after_load_checkpoint(self, runner: Any, checkpoint: dict) -> None:
        """Restore the EMA on resume; otherwise start the EMA from the loaded weights."""
        if "ema_state_dict" in checkpoint and runner.is_resuming:
            self._swap_state_dict(checkpoint)
            self.ema_model.load_state_dict(checkpoint["ema_state_dict"], strict=self.strict_load)
        else:
            state = {k: v.clone() for k, v in checkpoint.get("state_dict", {}).items()}
            self.ema_model.module.load_state_dict(state, strict=self.strict_load)

    def _swap_parameters(self) -> None:
        if getattr(self.ema_model, "update_buffers", False):
            avg = self.ema_model.module.state_dict()
            src = self.src_model.state_dict()
            pairs = [(avg[k], src[k]) for k in avg if avg[k].is_floating_point() and k in src]
        else:
            avg = dict(self.ema_model.module.named_parameters())
            pairs = [(p, v) for name, p in avg.items() for v in [dict(self.src_model.named_parameters()).get(name)]
                     if v is not None]
        for a, s in pairs:
            tmp = a.data.clone()
            a.data.copy_(s.data)
            s.data.copy_(tmp)

    @staticmethod
    def _swap_state_dict(checkpoint: dict) -> None:
        model_state = checkpoint["state_dict"]
        ema_state = checkpoint["ema_state_dict"]
        for key in list(ema_state):
            if key.startswith("module.") and key[7:] in model_state:
                ema_state[key], model_state[key[7:]] = model_state[key[7:]], ema_state[key]
