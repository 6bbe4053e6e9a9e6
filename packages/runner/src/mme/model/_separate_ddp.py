"""MMSeparateDistributedDataParallel: one DDP per trainable child, for models with several optimizers."""

from __future__ import annotations

import contextlib
import functools
import inspect
from collections.abc import Iterator
from typing import Any

from mme.registry import MODEL_WRAPPERS
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from ._errors import ModelTypeError
from ._wrappers import MMDistributedDataParallel

__all__ = ["MMSeparateDistributedDataParallel"]


@MODEL_WRAPPERS.register_module()
class MMSeparateDistributedDataParallel(nn.Module):
    """Wraps each trainable direct child of a model in its own :class:`MMDistributedDataParallel`.

    For GAN-like models whose ``train_step`` runs several forward/backward passes, each with its
    own optimizer (an :class:`~mme.optim.OptimWrapperDict`): one DDP around the whole model
    would all-reduce every parameter in each backward and reject the unused ones, whereas a DDP
    per child (generator, discriminator, ...) all-reduces exactly the gradients each backward
    produces. Children without trainable parameters (the data preprocessor, frozen networks)
    stay as they are. As with any DDP, a child's forward whose output is not back-propagated
    (fake images fed to the discriminator) should run under ``torch.no_grad()``: a forward with
    gradients enabled makes the child's DDP wait for a backward.

    ``train_step`` calls the wrapped model's own ``train_step``, which calls its (now wrapped)
    children as before; ``val_step`` and ``test_step`` delegate too. The wrapped model's
    ``state_dict`` keeps its unwrapped keys (``generator.weight``, not
    ``generator.module.weight``) and its ``load_state_dict`` takes them, so checkpoints match
    single-process ones.

    Args:
        module: The model (a ``BaseModel`` with its own ``train_step``).
        broadcast_buffers: Whether each DDP syncs buffers from rank 0 at every forward (passed as
            ``forward_sync_buffers`` to torch versions that renamed it).
        find_unused_parameters: Passed to each DDP.
        **kwargs: More arguments of ``DistributedDataParallel`` (``device_ids``, ...).

    Examples:
        Under an initialised process group, with ``gan`` a model with ``generator`` and
        ``discriminator`` children::

            model = MMSeparateDistributedDataParallel(gan)
            log_vars = model.train_step(data, optim_wrapper_dict)
    """

    def __init__(self, module: nn.Module, broadcast_buffers: bool = False, find_unused_parameters: bool = False,
                 **kwargs: Any) -> None:
        super().__init__()
        if not isinstance(module, nn.Module):
            raise ModelTypeError(
                f"MMSeparateDistributedDataParallel wraps an nn.Module, but got {type(module).__name__}")
        if isinstance(module, (DistributedDataParallel, MMSeparateDistributedDataParallel)):
            raise ModelTypeError(f"the model is already wrapped in {type(module).__name__}")
        self.module = module
        ddp_params = inspect.signature(DistributedDataParallel.__init__).parameters
        sync_key = "forward_sync_buffers" if "forward_sync_buffers" in ddp_params else "broadcast_buffers"
        kwargs.setdefault(sync_key, broadcast_buffers)
        wrapped = []
        for name, child in list(module.named_children()):
            if isinstance(child, DistributedDataParallel) or not any(p.requires_grad for p in child.parameters()):
                continue
            setattr(module, name, MMDistributedDataParallel(
                module=child, find_unused_parameters=find_unused_parameters, **kwargs))
            wrapped.append(name)
        self.wrapped_children: tuple[str, ...] = tuple(wrapped)
        module.register_state_dict_post_hook(functools.partial(_unwrap_keys_hook, self.wrapped_children))
        module.register_load_state_dict_pre_hook(functools.partial(_wrap_keys_hook, self.wrapped_children))

    def train_step(self, data: dict | tuple | list, optim_wrapper: Any) -> dict[str, Any]:
        """The wrapped model's ``train_step`` (which gets ``optim_wrapper``, e.g. an OptimWrapperDict)."""
        return self.module.train_step(data, optim_wrapper)

    def val_step(self, data: dict | tuple | list) -> list:
        """The wrapped model's ``val_step``."""
        return self.module.val_step(data)

    def test_step(self, data: dict | tuple | list) -> list:
        """The wrapped model's ``test_step``."""
        return self.module.test_step(data)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """The wrapped model's forward."""
        return self.module(*args, **kwargs)

    def train(self, mode: bool = True) -> MMSeparateDistributedDataParallel:
        """Set training mode on this wrapper and the wrapped model (with all its children)."""
        self.training = mode
        self.module.train(mode)
        return self

    @contextlib.contextmanager
    def no_sync(self) -> Iterator[None]:
        """Skip the gradient all-reduce of every wrapped child (for gradient accumulation)."""
        with contextlib.ExitStack() as stack:
            for name in self.wrapped_children:
                stack.enter_context(getattr(self.module, name).no_sync())
            yield


def _rename(key: str, renames: dict[str, str]) -> str:
    for old, new in renames.items():
        if key.startswith(old):
            return new + key[len(old):]
    return key


def _unwrap_keys_hook(wrapped_children: tuple[str, ...], module: nn.Module, state_dict: dict[str, Any],
                      prefix: str, local_metadata: dict[str, Any]) -> None:
    """State-dict post hook of the wrapped model: ``<child>.module.<key>`` becomes ``<child>.<key>``."""
    renames = {f"{prefix}{name}.module.": f"{prefix}{name}." for name in wrapped_children}
    items = list(state_dict.items())
    state_dict.clear()
    for key, value in items:
        state_dict[_rename(key, renames)] = value
    metadata = getattr(state_dict, "_metadata", None)
    if metadata is not None:
        for key in list(metadata):
            new = _rename(key + ".", renames)[:-1]
            if new != key:
                metadata[new] = metadata.pop(key)


def _wrap_keys_hook(wrapped_children: tuple[str, ...], module: nn.Module, state_dict: dict[str, Any],
                    prefix: str, local_metadata: dict[str, Any], strict: bool, missing_keys: list[str],
                    unexpected_keys: list[str], error_msgs: list[str]) -> None:
    """Load pre-hook of the wrapped model: ``<child>.<key>`` becomes ``<child>.module.<key>``."""
    renames = {f"{prefix}{name}.": f"{prefix}{name}.module." for name in wrapped_children}
    wrapped = tuple(renames.values())
    for key in list(state_dict):
        if not key.startswith(wrapped):
            new = _rename(key, renames)
            if new != key:
                state_dict[new] = state_dict.pop(key)
    metadata = getattr(state_dict, "_metadata", None)
    if metadata is not None:
        for key in list(metadata):
            if not (key + ".").startswith(wrapped):
                new = _rename(key + ".", renames)[:-1]
                if new != key:
                    metadata.setdefault(new, metadata[key])
