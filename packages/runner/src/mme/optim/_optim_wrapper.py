"""OptimWrapper: one object for backward, gradient accumulation, clipping, step and zero_grad."""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from typing import Any

import torch
from torch import nn
from torch.nn.utils import clip_grad_norm_, clip_grad_value_

from ._base import BaseOptimWrapper
from ._errors import NonFiniteGradError, OptimConfigError, OptimTypeError
from ._nonfinite import NONFINITE_MODES, has_nonfinite, nonfinite_params

__all__ = ["OptimWrapper"]

logger = logging.getLogger(__name__)

_NO_CONTEXT = nullcontext()  # stateless, so one instance serves every iteration


class OptimWrapper(BaseOptimWrapper):
    """Wraps a torch optimizer with gradient accumulation and gradient clipping.

    ``update_params(loss)`` scales the loss for accumulation, back-propagates it and, every
    ``accumulative_counts`` calls (and on the last iteration), clips the gradients, steps the
    optimizer and zeroes the gradients.

    Before each step the gradients are checked for NaN/Inf (one fused kernel and one host sync
    per step): a finite loss can still give non-finite gradients, and one such step writes NaN
    into every weight it touches.

    Args:
        optimizer: The torch optimizer to wrap.
        accumulative_counts: Number of iterations whose gradients are summed before one step.
        clip_grad: ``None`` for no clipping, or a dict: ``type='norm'`` (default) with the
            arguments of ``torch.nn.utils.clip_grad_norm_`` (``max_norm``, ``norm_type``, ...),
            or ``type='value'`` with those of ``clip_grad_value_`` (``clip_value``).
        nonfinite_grad: What a NaN/Inf gradient does at a step: ``'raise'`` (default) raises
            :class:`NonFiniteGradError` naming the iteration and the parameters, before the
            optimizer touches the weights; ``'skip'`` skips that update (zeroes the gradients,
            logs a warning with the iteration to the run's log, the current ``MMLogger``, or
            else to this module's logger, and counts it in :attr:`skipped_steps`);
            ``'off'`` does not check. ``AmpOptimWrapper`` leaves the check to its gradient
            scaler, which skips such steps and lowers the loss scale.

    Examples:
        >>> model = torch.nn.Linear(2, 1)
        >>> wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1))
        >>> wrapper.update_params(model(torch.ones(1, 2)).sum())
        >>> wrapper.get_lr()
        {'lr': [0.1]}
    """

    def __init__(
        self,
        optimizer: torch.optim.Optimizer,
        accumulative_counts: int = 1,
        clip_grad: dict[str, Any] | None = None,
        nonfinite_grad: str = "raise",
    ) -> None:
        if not isinstance(optimizer, torch.optim.Optimizer):
            raise OptimTypeError(
                f"optimizer must be a torch.optim.Optimizer, but got {type(optimizer).__name__}"
            )
        if not isinstance(accumulative_counts, int) or isinstance(accumulative_counts, bool) or accumulative_counts < 1:
            raise OptimConfigError(f"accumulative_counts must be a positive int, but got {accumulative_counts!r}")
        self.optimizer = optimizer
        self.loss_check: Callable[[torch.Tensor], bool] | None = None
        self.nonfinite_grad = nonfinite_grad
        self.skipped_steps = 0
        self._param_names: list[str] | None = None  # in optimizer order, from initialize_count_status
        self._check_buffers: dict[torch.device, tuple[torch.Tensor, torch.Tensor]] = {}
        self._accumulative_counts = accumulative_counts
        self._inner_count = 0
        self._max_counts = -1
        self._divisible_counts = -1
        self._remainder_counts = -1
        self.clip_grad_kwargs: dict[str, Any] = {}
        self._clip_grad_fn: Any = None
        if clip_grad is not None:
            if not isinstance(clip_grad, dict) or not clip_grad:
                raise OptimConfigError(
                    f"clip_grad must be a non-empty dict such as dict(max_norm=1.0), but got {clip_grad!r}"
                )
            kwargs = dict(clip_grad)
            clip_type = kwargs.pop("type", "norm")
            if clip_type == "norm":
                self._clip_grad_fn = self._clip_grad_norm
            elif clip_type == "value":
                self._clip_grad_fn = self._clip_grad_value
            else:
                raise OptimConfigError(f"clip_grad type must be 'norm' or 'value', but got {clip_type!r}")
            required = "max_norm" if clip_type == "norm" else "clip_value"
            if required not in kwargs:
                raise OptimConfigError(f"clip_grad with type={clip_type!r} needs {required!r}, but got {clip_grad!r}")
            self.clip_grad_kwargs = kwargs

    # ------------------------------------------------------------------ main entry points
    def update_params(
        self,
        loss: torch.Tensor,
        step_kwargs: dict[str, Any] | None = None,
        zero_kwargs: dict[str, Any] | None = None,
    ) -> None:
        """Scale ``loss``, back-propagate it and step/zero the optimizer when an update is due.

        When :attr:`loss_check` is set (training loops set it to catch NaN/Inf losses) it sees
        ``loss`` first; if it returns False, the update is skipped and the gradients are zeroed.
        """
        if self.loss_check is not None and not self.loss_check(loss):
            self.zero_grad()
            return
        loss = self.scale_loss(loss)
        self.backward(loss)
        if self.should_update():
            self.step(**(step_kwargs or {}))
            self.zero_grad(**(zero_kwargs or {}))

    def backward(self, loss: torch.Tensor, **kwargs: Any) -> None:
        """Back-propagate ``loss`` and count one inner iteration."""
        loss.backward(**kwargs)
        self._inner_count += 1

    def zero_grad(self, **kwargs: Any) -> None:
        """Zero the gradients of the wrapped optimizer."""
        self.optimizer.zero_grad(**kwargs)

    def step(self, **kwargs: Any) -> None:
        """Check the gradients (see ``nonfinite_grad``), clip them (if configured) and step the optimizer."""
        if self._nonfinite_grad != "off" and self._grads_nonfinite():
            return
        if self._clip_grad_fn is not None:
            self._clip_grad_fn()
        self.optimizer.step(**kwargs)

    # ------------------------------------------------------------------ non-finite gradients
    @property
    def nonfinite_grad(self) -> str:
        """What a NaN/Inf gradient does at a step: ``'raise'``, ``'skip'`` or ``'off'``."""
        return self._nonfinite_grad

    @nonfinite_grad.setter
    def nonfinite_grad(self, mode: str) -> None:
        if mode not in NONFINITE_MODES:
            raise OptimConfigError(f"nonfinite_grad must be one of {', '.join(map(repr, NONFINITE_MODES))}, "
                                   f"but got {mode!r}")
        self._nonfinite_grad = mode

    def _grads_nonfinite(self) -> bool:
        """Whether the step must not happen: raises in ``'raise'`` mode, zeroes the gradients in ``'skip'``."""
        params = [p for g in self.optimizer.param_groups for p in g["params"]]
        grads = [p.grad for p in params if p.grad is not None]
        if not grads or not has_nonfinite(grads, self._check_buffers):
            return False
        names, count = nonfinite_params(params, self._param_names)
        more = f" and {count - len(names)} more" if count > len(names) else ""
        message = (f"non-finite (NaN/Inf) gradients at iteration {self._inner_count} in {count} of {len(grads)} "
                   f"parameters: {', '.join(names)}{more}")
        if self._nonfinite_grad == "raise":
            raise NonFiniteGradError(
                f"{message}; the weights were not updated. Set nonfinite_grad='skip' in the optim_wrapper "
                f"config to skip such updates")
        self.skipped_steps += 1
        self.optimizer.zero_grad()
        text = f"{message}; skipping this update ({self.skipped_steps} skipped so far)"
        run_logger = _current_run_logger()
        (run_logger or logger).warning(text)  # the run's log when there is one
        return True

    # ------------------------------------------------------------------ accumulation
    def scale_loss(self, loss: torch.Tensor) -> torch.Tensor:
        """Divide ``loss`` by the number of iterations accumulated into the current update.

        Within the last, incomplete group of ``max_counts`` iterations the divisor is the
        number of iterations remaining, so every update averages the gradients it sums.
        """
        if self._accumulative_counts == 1:
            return loss
        if self._max_counts == -1 or self._inner_count < self._divisible_counts:
            factor = self._accumulative_counts
        else:
            factor = self._remainder_counts
        return loss / factor

    def initialize_count_status(self, model: nn.Module, init_counts: int, max_counts: int) -> None:
        """Set the iteration counters, e.g. when a run starts or resumes.

        Args:
            model: The trained model (checked for BatchNorm layers under accumulation).
            init_counts: Iterations already done.
            max_counts: Total iterations of the run.
        """
        self._inner_count = init_counts
        self._max_counts = max_counts
        self._param_names = _names_in_optimizer_order(self.optimizer, model)  # for non-finite gradient errors
        if init_counts % self._accumulative_counts != 0:
            logger.warning(
                "resumed iteration %s is not divisible by accumulative_counts=%s; the first update "
                "after resuming accumulates fewer iterations", init_counts, self._accumulative_counts,
            )
        if self._accumulative_counts > 1 and any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in model.modules()):
            logger.warning(
                "gradient accumulation with BatchNorm layers: the batch statistics still use the "
                "per-iteration batch size, which may affect accuracy"
            )
        self._divisible_counts = max_counts // self._accumulative_counts * self._accumulative_counts
        self._remainder_counts = max_counts - self._divisible_counts

    def should_update(self) -> bool:
        """Whether the accumulated gradients should be applied now."""
        return self._inner_count % self._accumulative_counts == 0 or self._inner_count == self._max_counts

    def should_sync(self) -> bool:
        """Whether the next backward should all-reduce the gradients (distributed training)."""
        nxt = self._inner_count + 1
        return nxt % self._accumulative_counts == 0 or nxt == self._max_counts

    def optim_context(self, model: nn.Module) -> AbstractContextManager[Any]:
        """Context for the forward and backward of one iteration.

        Skips the gradient all-reduce (``model.no_sync()``) while gradients are being
        accumulated and the next backward does not finish a group; otherwise it does nothing.
        """
        if self._accumulative_counts > 1 and not self.should_sync():
            no_sync = getattr(model, "no_sync", None)
            if callable(no_sync):
                return no_sync()
        return _NO_CONTEXT

    @property
    def inner_count(self) -> int:
        """Number of backward passes counted so far."""
        return self._inner_count

    # ------------------------------------------------------------------ clipping
    def _clip_grad_norm(self) -> None:
        params = [p for g in self.optimizer.param_groups for p in g["params"] if p.requires_grad and p.grad is not None]
        if not params:
            return
        grad_norm = clip_grad_norm_(params, **self.clip_grad_kwargs)
        hub = _current_message_hub()
        if hub is not None:
            hub.update_scalar("train/grad_norm", float(grad_norm))

    def _clip_grad_value(self) -> None:
        params = [p for g in self.optimizer.param_groups for p in g["params"] if p.requires_grad and p.grad is not None]
        if params:
            clip_grad_value_(params, **self.clip_grad_kwargs)

    # introspection (param_groups, defaults, get_lr, get_momentum, state dicts): BaseOptimWrapper

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(accumulative_counts={self._accumulative_counts}, "
            f"clip_grad={self.clip_grad_kwargs or None}, nonfinite_grad={self._nonfinite_grad!r},\n"
            f"optimizer={self.optimizer!r})"
        )


def _names_in_optimizer_order(optimizer: torch.optim.Optimizer, model: nn.Module) -> list[str]:
    """The model's name of each parameter of ``optimizer``, in its order ('' for one the model lacks)."""
    inner = getattr(model, "module", None)
    model = inner if isinstance(inner, nn.Module) else model
    names = {id(p): name for name, p in model.named_parameters(remove_duplicate=False)}
    return [names.get(id(p), "") for g in optimizer.param_groups for p in g["params"]]


def _current_run_logger() -> Any:
    """The current ``mme.logging.MMLogger`` (the run's log), or None when none exists yet."""
    try:
        from mme.logging import MMLogger
    except ImportError:
        return None
    try:  # ManagerMixin's lookup, which (unlike MMLogger's) does not create a default logger
        return super(MMLogger, MMLogger).get_current_instance()
    except RuntimeError:
        return None


def _current_message_hub() -> Any:
    """The current ``mme.logging.MessageHub``, or None when there is none."""
    try:
        from mme.logging import MessageHub
    except ImportError:  # mme.logging without MessageHub: nothing to record into
        return None
    try:
        return MessageHub.get_current_instance()
    except RuntimeError:
        return None
