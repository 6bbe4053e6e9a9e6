"""The ``Hook`` base class: every runner stage as a documented no-op method."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = ["HOOK_STAGES", "Hook"]

#: Every stage a hook can act on, in the order a full ``train`` then ``test`` run meets them.
HOOK_STAGES: tuple[str, ...] = (
    "before_run",
    "after_load_checkpoint",
    "before_train",
    "before_train_epoch",
    "before_train_iter",
    "after_train_iter",
    "after_train_epoch",
    "before_val",
    "before_val_epoch",
    "before_val_iter",
    "after_val_iter",
    "after_val_epoch",
    "after_val",
    "before_save_checkpoint",
    "after_train",
    "before_test",
    "before_test_epoch",
    "before_test_iter",
    "after_test_iter",
    "after_test_epoch",
    "after_test",
    "after_run",
)

DATA_BATCH = dict | tuple | list | None


class Hook:
    """Base class of runner hooks.

    Subclass it and override the stages you need; every stage is a no-op here. The runner calls
    the hooks of a stage in priority order (see :class:`Priority`); ``priority`` can be a class
    attribute or be given when the hook is registered.

    Examples:
        >>> class CountIters(Hook):
        ...     def __init__(self):
        ...         self.count = 0
        ...     def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        ...         self.count += 1
        >>> CountIters().get_triggered_stages()
        ['after_train_iter']
    """

    priority: Any = "NORMAL"
    #: Whether the hook keeps a whole copy of the model and its weights in the checkpoint's
    #: ``state_dict`` (EMAHook): a strategy that splits the model over the ranks cannot run it,
    #: which the Runner says when it is built (see ``BaseStrategy.full_model_copies``).
    copies_model: bool = False

    # -- run / load / save -----------------------------------------------------------------
    def before_run(self, runner: Any) -> None:
        """Called once before anything is trained, validated or tested."""

    def after_run(self, runner: Any) -> None:
        """Called once when ``train``, ``val`` or ``test`` has finished."""

    def after_load_checkpoint(self, runner: Any, checkpoint: dict) -> None:
        """Called after a checkpoint is loaded by ``load_from`` or resume; may read or edit it."""

    def before_save_checkpoint(self, runner: Any, checkpoint: dict) -> None:
        """Called before a checkpoint is written; may add entries to ``checkpoint``."""

    def on_exception(self, runner: Any, exception: BaseException) -> None:
        """Called when ``train``/``val``/``test`` fails, before the error propagates (not a stage)."""

    # -- loops -------------------------------------------------------------------------------
    def before_train(self, runner: Any) -> None:
        """Called when the training loop starts."""

    def after_train(self, runner: Any) -> None:
        """Called when the training loop ends."""

    def before_val(self, runner: Any) -> None:
        """Called when a validation loop starts."""

    def after_val(self, runner: Any) -> None:
        """Called when a validation loop ends."""

    def before_test(self, runner: Any) -> None:
        """Called when the test loop starts."""

    def after_test(self, runner: Any) -> None:
        """Called when the test loop ends."""

    # -- epochs ------------------------------------------------------------------------------
    def before_train_epoch(self, runner: Any) -> None:
        """Called before each training epoch."""
        self._before_epoch(runner, mode="train")

    def before_val_epoch(self, runner: Any) -> None:
        """Called before the validation epoch."""
        self._before_epoch(runner, mode="val")

    def before_test_epoch(self, runner: Any) -> None:
        """Called before the test epoch."""
        self._before_epoch(runner, mode="test")

    def after_train_epoch(self, runner: Any) -> None:
        """Called after each training epoch."""
        self._after_epoch(runner, mode="train")

    def after_val_epoch(self, runner: Any, metrics: dict[str, float] | None = None) -> None:
        """Called after the validation epoch with the evaluated ``metrics``."""
        self._after_epoch(runner, mode="val")

    def after_test_epoch(self, runner: Any, metrics: dict[str, float] | None = None) -> None:
        """Called after the test epoch with the evaluated ``metrics``."""
        self._after_epoch(runner, mode="test")

    # -- iterations --------------------------------------------------------------------------
    def before_train_iter(self, runner: Any, batch_idx: int, data_batch: DATA_BATCH = None) -> None:
        """Called before each training iteration."""
        self._before_iter(runner, batch_idx=batch_idx, data_batch=data_batch, mode="train")

    def before_val_iter(self, runner: Any, batch_idx: int, data_batch: DATA_BATCH = None) -> None:
        """Called before each validation iteration."""
        self._before_iter(runner, batch_idx=batch_idx, data_batch=data_batch, mode="val")

    def before_test_iter(self, runner: Any, batch_idx: int, data_batch: DATA_BATCH = None) -> None:
        """Called before each test iteration."""
        self._before_iter(runner, batch_idx=batch_idx, data_batch=data_batch, mode="test")

    def after_train_iter(self, runner: Any, batch_idx: int, data_batch: DATA_BATCH = None,
                         outputs: dict | None = None) -> None:
        """Called after each training iteration with the model's log variables."""
        self._after_iter(runner, batch_idx=batch_idx, data_batch=data_batch, outputs=outputs, mode="train")

    def after_val_iter(self, runner: Any, batch_idx: int, data_batch: DATA_BATCH = None,
                       outputs: Sequence | None = None) -> None:
        """Called after each validation iteration with the model's predictions."""
        self._after_iter(runner, batch_idx=batch_idx, data_batch=data_batch, outputs=outputs, mode="val")

    def after_test_iter(self, runner: Any, batch_idx: int, data_batch: DATA_BATCH = None,
                        outputs: Sequence | None = None) -> None:
        """Called after each test iteration with the model's predictions."""
        self._after_iter(runner, batch_idx=batch_idx, data_batch=data_batch, outputs=outputs, mode="test")

    # -- shared implementations (override these to act on every mode at once) ---------------
    def _before_epoch(self, runner: Any, mode: str = "train") -> None:
        """Shared body of the three ``before_*_epoch`` stages."""

    def _after_epoch(self, runner: Any, mode: str = "train") -> None:
        """Shared body of the three ``after_*_epoch`` stages."""

    def _before_iter(self, runner: Any, batch_idx: int, data_batch: DATA_BATCH = None, mode: str = "train") -> None:
        """Shared body of the three ``before_*_iter`` stages."""

    def _after_iter(self, runner: Any, batch_idx: int, data_batch: DATA_BATCH = None,
                    outputs: Sequence | dict | None = None, mode: str = "train") -> None:
        """Shared body of the three ``after_*_iter`` stages."""

    # -- helpers -----------------------------------------------------------------------------
    def every_n_epochs(self, runner: Any, n: int, start: int = 0) -> bool:
        """Whether the epoch that just ended is a multiple of ``n`` counted from ``start``."""
        dividend = runner.epoch + 1 - start
        return dividend % n == 0 if dividend >= 0 and n > 0 else False

    def every_n_inner_iters(self, batch_idx: int, n: int) -> bool:
        """Whether ``batch_idx + 1`` is a multiple of ``n``."""
        return (batch_idx + 1) % n == 0 if n > 0 else False

    def every_n_train_iters(self, runner: Any, n: int, start: int = 0) -> bool:
        """Whether the training iteration that just ended is a multiple of ``n`` counted from ``start``."""
        dividend = runner.iter + 1 - start
        return dividend % n == 0 if dividend >= 0 and n > 0 else False

    def end_of_epoch(self, dataloader: Any, batch_idx: int) -> bool:
        """Whether ``batch_idx`` is the last batch of ``dataloader``."""
        return batch_idx + 1 == len(dataloader)

    def is_last_train_epoch(self, runner: Any) -> bool:
        """Whether the epoch that just ended is the last training epoch."""
        return runner.epoch + 1 == runner.max_epochs

    def is_last_train_iter(self, runner: Any) -> bool:
        """Whether the iteration that just ended is the last training iteration."""
        return runner.iter + 1 == runner.max_iters

    def get_triggered_stages(self) -> list[str]:
        """Return the stages this hook overrides, in stage order."""
        shared = {
            "_before_epoch": ("before_train_epoch", "before_val_epoch", "before_test_epoch"),
            "_after_epoch": ("after_train_epoch", "after_val_epoch", "after_test_epoch"),
            "_before_iter": ("before_train_iter", "before_val_iter", "before_test_iter"),
            "_after_iter": ("after_train_iter", "after_val_iter", "after_test_iter"),
        }
        cls = type(self)
        stages = {s for s in HOOK_STAGES if getattr(cls, s) is not getattr(Hook, s)}
        for private, public in shared.items():
            if getattr(cls, private) is not getattr(Hook, private):
                stages.update(public)
        return [s for s in HOOK_STAGES if s in stages]

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"
