"""OptimWrapperDict: several named optim wrappers (e.g. generator and discriminator)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import torch
from torch import nn

from ._errors import OptimTypeError
from ._optim_wrapper import OptimWrapper

__all__ = ["OptimWrapperDict"]


class OptimWrapperDict(OptimWrapper):
    """A dict of named :class:`OptimWrapper` objects for models with several optimizers.

    It reports learning rates and momenta (``'<name>.lr'``) and saves/loads the state of every
    wrapper; updating parameters is done through the individual wrappers
    (``wrappers['generator'].update_params(loss)``).

    Args:
        **optim_wrappers: The wrappers, by name.
    """

    def __init__(self, **optim_wrappers: OptimWrapper) -> None:
        for name, wrapper in optim_wrappers.items():
            if not isinstance(wrapper, OptimWrapper):
                raise OptimTypeError(f"OptimWrapperDict value {name!r} must be an OptimWrapper, but got {type(wrapper).__name__}")
        self.optim_wrappers: dict[str, OptimWrapper] = dict(optim_wrappers)

    def _unsupported(self, what: str) -> NotImplementedError:
        return NotImplementedError(
            f"OptimWrapperDict.{what} is ambiguous; call it on one wrapper, e.g. wrappers['{next(iter(self.optim_wrappers), 'name')}'].{what}"
        )

    def update_params(self, loss: torch.Tensor, step_kwargs: dict[str, Any] | None = None,
                      zero_kwargs: dict[str, Any] | None = None) -> None:
        """Not supported: update through the individual wrappers."""
        raise self._unsupported("update_params(loss)")

    def backward(self, loss: torch.Tensor, **kwargs: Any) -> None:
        """Not supported: back-propagate through the individual wrappers."""
        raise self._unsupported("backward(loss)")

    def step(self, **kwargs: Any) -> None:
        """Not supported: step the individual wrappers."""
        raise self._unsupported("step()")

    def zero_grad(self, **kwargs: Any) -> None:
        """Not supported: zero the individual wrappers."""
        raise self._unsupported("zero_grad()")

    @contextmanager
    def optim_context(self, model: nn.Module) -> Iterator[None]:
        """Not supported: use the individual wrappers' contexts."""
        raise self._unsupported("optim_context(model)")
        yield  # pragma: no cover

    def initialize_count_status(self, model: nn.Module, init_counts: int, max_counts: int) -> None:
        """Initialise the counters of every wrapper."""
        for wrapper in self.optim_wrappers.values():
            wrapper.initialize_count_status(model, init_counts, max_counts)

    def scale_loss(self, loss: torch.Tensor) -> torch.Tensor:
        """Not supported: scale through the individual wrappers."""
        raise self._unsupported("scale_loss(loss)")

    def should_update(self) -> bool:
        """Not supported: ask the individual wrappers."""
        raise self._unsupported("should_update()")

    def should_sync(self) -> bool:
        """Not supported: ask the individual wrappers."""
        raise self._unsupported("should_sync()")

    @property
    def inner_count(self) -> int:
        """Not supported: ask the individual wrappers."""
        raise self._unsupported("inner_count")

    @property
    def param_groups(self) -> list[dict[str, Any]]:
        """Not supported: schedulers are built per wrapper."""
        raise self._unsupported("param_groups")

    @property
    def defaults(self) -> dict[str, Any]:
        """Not supported: ask the individual wrappers."""
        raise self._unsupported("defaults")

    def get_lr(self) -> dict[str, list[float]]:
        """``{'<name>.lr': [...]}`` for every wrapper."""
        return {f"{name}.lr": w.get_lr()["lr"] for name, w in self.optim_wrappers.items()}

    def get_momentum(self) -> dict[str, list[float]]:
        """``{'<name>.momentum': [...]}`` for every wrapper."""
        return {f"{name}.momentum": w.get_momentum()["momentum"] for name, w in self.optim_wrappers.items()}

    def state_dict(self) -> dict[str, Any]:
        """``{name: wrapper.state_dict()}``."""
        return {name: w.state_dict() for name, w in self.optim_wrappers.items()}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load each wrapper's state from ``state_dict[name]``."""
        missing = set(self.optim_wrappers) - set(state_dict)
        extra = set(state_dict) - set(self.optim_wrappers)
        if missing or extra:
            raise KeyError(f"OptimWrapperDict.load_state_dict: keys differ, missing {sorted(missing)}, unexpected {sorted(extra)}")
        for name, state in state_dict.items():
            self.optim_wrappers[name].load_state_dict(state)

    def items(self) -> Iterator[tuple[str, OptimWrapper]]:
        """Iterate over ``(name, wrapper)``."""
        return iter(self.optim_wrappers.items())

    def values(self) -> Iterator[OptimWrapper]:
        """Iterate over the wrappers."""
        return iter(self.optim_wrappers.values())

    def keys(self) -> Iterator[str]:
        """Iterate over the names."""
        return iter(self.optim_wrappers.keys())

    def __getitem__(self, key: str) -> OptimWrapper:
        if key not in self.optim_wrappers:
            raise KeyError(f"OptimWrapperDict has no wrapper {key!r}; it has {sorted(self.optim_wrappers)}")
        return self.optim_wrappers[key]

    def __contains__(self, key: object) -> bool:
        return key in self.optim_wrappers

    def __len__(self) -> int:
        return len(self.optim_wrappers)

    def __iter__(self) -> Iterator[str]:
        return iter(self.optim_wrappers)

    def __repr__(self) -> str:
        body = "\n".join(f"{name}: {w!r}" for name, w in self.optim_wrappers.items())
        return f"{type(self).__name__}(\n{body})"
