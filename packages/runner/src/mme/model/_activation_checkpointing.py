"""Activation checkpointing by module name: recompute a submodule's forward in backward.

A checkpointed submodule keeps only its inputs for backward, not its intermediate activations;
backward runs its forward a second time to rebuild them. That trades one extra forward of the
submodule for the memory of its activations.
"""

from __future__ import annotations

import difflib
import functools
import types
from collections.abc import Callable, Sequence
from typing import Any

import torch
import torch.utils.checkpoint
from torch import nn

from ._errors import ModelValueError

__all__ = ["turn_on_activation_checkpointing", "wrap_forward"]

_MARK = "_mme_activation_checkpointing"


def _checkpointing_active(module: nn.Module | None) -> bool:
    """Checkpoint only when backward can follow: grad enabled and (for a module) training mode."""
    return torch.is_grad_enabled() and (module is None or module.training)


def wrap_forward(forward: Callable[..., Any], **checkpoint_kwargs: Any) -> Callable[..., Any]:
    """Wrap ``forward`` so it runs under ``torch.utils.checkpoint.checkpoint`` while training.

    The wrapped forward checkpoints when gradients are enabled and, for a module's bound
    ``forward``, the module is in training mode; otherwise (``torch.no_grad()``, ``eval()``) it
    calls ``forward`` directly, so inference neither pays for nor changes anything.

    A bound method stays a method bound to the same module (``copy.deepcopy`` of the module
    then rebinds it to the copy); wrapping an already wrapped forward returns it unchanged.

    Args:
        forward: A module's ``forward`` (bound method) or any callable.
        **checkpoint_kwargs: Arguments of ``torch.utils.checkpoint.checkpoint``
            (``preserve_rng_state``, ``context_fn``, ...); ``use_reentrant`` defaults to False.

    Returns:
        The wrapped forward.

    Examples:
        >>> layer = nn.Linear(2, 2)
        >>> layer.forward = wrap_forward(layer.forward)
        >>> layer(torch.ones(1, 2)).shape
        torch.Size([1, 2])
        >>> wrap_forward(layer.forward) is layer.forward
        True
    """
    if not callable(forward):
        raise TypeError(f"wrap_forward needs a callable forward, but got {type(forward).__name__}")
    if getattr(forward, _MARK, False):
        return forward
    checkpoint_kwargs.setdefault("use_reentrant", False)

    if isinstance(forward, types.MethodType) and isinstance(forward.__self__, nn.Module):
        func = forward.__func__

        @functools.wraps(func)
        def method(self: nn.Module, *args: Any, **kwargs: Any) -> Any:
            if not _checkpointing_active(self):
                return func(self, *args, **kwargs)
            run = functools.partial(func, self, **kwargs)
            return torch.utils.checkpoint.checkpoint(run, *args, **checkpoint_kwargs)

        setattr(method, _MARK, True)
        return types.MethodType(method, forward.__self__)

    @functools.wraps(forward)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not _checkpointing_active(None):
            return forward(*args, **kwargs)
        run = functools.partial(forward, **kwargs)
        return torch.utils.checkpoint.checkpoint(run, *args, **checkpoint_kwargs)

    setattr(wrapper, _MARK, True)
    return wrapper


def turn_on_activation_checkpointing(model: nn.Module, modules: str | Sequence[str], **checkpoint_kwargs: Any) -> None:
    """Checkpoint the activations of the named submodules of ``model`` during training.

    Each named submodule's ``forward`` is replaced by :func:`wrap_forward` of it: in training
    mode with gradients enabled it runs under ``torch.utils.checkpoint.checkpoint`` (non-reentrant
    by default), so its intermediate activations are freed after forward and recomputed in
    backward (the submodule's forward runs twice per training step). Gradients are unchanged.
    In ``eval()`` mode or under ``torch.no_grad()`` the forward runs once, as before. Turning it
    on twice for the same submodule changes nothing.

    Args:
        model: The model.
        modules: A submodule name or a list of names, as ``model.named_modules()`` spells them
            (``'backbone.layer1'``).
        **checkpoint_kwargs: Arguments of ``torch.utils.checkpoint.checkpoint``.

    Raises:
        ModelValueError: A name is not a submodule of ``model`` (the message lists close names).
        TypeError: ``modules`` is not a str or a sequence of str.

    Examples:
        >>> model = nn.Sequential(nn.Linear(4, 4), nn.ReLU(), nn.Linear(4, 1))
        >>> turn_on_activation_checkpointing(model, ['0', '2'])
        >>> model(torch.ones(2, 4)).sum().backward()
        >>> model[0].weight.grad.shape
        torch.Size([4, 4])
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"turn_on_activation_checkpointing needs an nn.Module, but got {type(model).__name__}")
    names = [modules] if isinstance(modules, str) else modules
    if not isinstance(names, Sequence) or not all(isinstance(n, str) for n in names):
        raise TypeError(f"modules must be a module name or a list of names, but got {modules!r}")
    named = dict(model.named_modules())
    unknown = [n for n in names if n not in named]
    if unknown:
        hints = []
        for name in unknown:
            close = difflib.get_close_matches(name, [n for n in named if n], n=5, cutoff=0.5)
            hint = f"did you mean {', '.join(repr(c) for c in close)}?" if close else "no close name"
            hints.append(f"{name!r} ({hint})")
        raise ModelValueError(
            f"activation checkpointing: {type(model).__name__} has no submodule {'; '.join(hints)}. "
            "Names are those of model.named_modules(), e.g. 'backbone.layer1'"
        )
    for name in dict.fromkeys(names):
        module = named[name]
        module.forward = wrap_forward(module.forward, **checkpoint_kwargs)  # type: ignore[method-assign]
