"""``MMFullyShardedDataParallel``: a model sharded with FSDP2 (``torch.distributed.fsdp.fully_shard``)."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from mme.registry import MODEL_WRAPPERS

from ._errors import ModelTypeError, ModelValueError

__all__ = ["MMFullyShardedDataParallel", "mixed_precision_policy"]

#: FSDP1's ``sharding_strategy`` names and the FSDP2 ``reshard_after_forward`` each stands for.
_SHARDING_STRATEGIES = {"FULL_SHARD": True, "SHARD_GRAD_OP": False}


def _dtype(value: Any, key: str) -> torch.dtype | None:
    if value is None or isinstance(value, torch.dtype):
        return value
    if isinstance(value, str):
        dtype = getattr(torch, value.removeprefix("torch."), None)
        if isinstance(dtype, torch.dtype):
            return dtype
    raise ModelValueError(f"mixed_precision.{key} must be a torch dtype or its name ('bfloat16', 'float32', ...), "
                          f"got {value!r}")


def mixed_precision_policy(mixed_precision: Any) -> Any:
    """A ``torch.distributed.fsdp.MixedPrecisionPolicy`` from ``None``, a policy or a dict of its fields.

    Dtypes may be named: ``dict(param_dtype='bfloat16', reduce_dtype='float32')``.
    """
    from torch.distributed.fsdp import MixedPrecisionPolicy

    if mixed_precision is None:
        return MixedPrecisionPolicy()
    if isinstance(mixed_precision, MixedPrecisionPolicy):
        return mixed_precision
    if not isinstance(mixed_precision, dict):
        raise ModelValueError(f"mixed_precision must be a dict of MixedPrecisionPolicy fields, got {mixed_precision!r}")
    fields = ("param_dtype", "reduce_dtype", "output_dtype", "cast_forward_inputs")
    unknown = [k for k in mixed_precision if k not in fields]
    if unknown:
        raise ModelValueError(f"mixed_precision: unknown keys {unknown}; MixedPrecisionPolicy takes {list(fields)}")
    kwargs = {k: (v if k == "cast_forward_inputs" else _dtype(v, k)) for k, v in mixed_precision.items()}
    return MixedPrecisionPolicy(**kwargs)


def _names(value: Any, key: str) -> list[Any]:
    if value is None:
        return []
    items = [value] if isinstance(value, (str, type)) else value
    if not isinstance(items, Sequence) or not all(isinstance(i, (str, type)) for i in items):
        raise ModelValueError(
            f"{key} must be a module class, a class name or a submodule name (or a list of them), got {value!r}; "
            "FSDP2 shards whole modules: name the classes (e.g. 'TransformerLayer') or submodules "
            "(e.g. 'backbone.layer1') that get their own fully_shard")
    return list(items)


def shard_targets(model: nn.Module, wrap: Sequence[Any]) -> list[nn.Module]:
    """The submodules of ``model`` named in ``wrap`` (classes, class names or submodule names), innermost first.

    Raises:
        ModelValueError: A name matches neither a submodule nor the class of one.
    """
    named = dict(model.named_modules())
    class_names = {type(m).__name__ for m in named.values()}
    targets: dict[int, tuple[int, nn.Module]] = {}
    for item in wrap:
        if isinstance(item, type):
            found = [(n, m) for n, m in named.items() if isinstance(m, item) and m is not model]
        elif item in named and item:
            found = [(item, named[item])]
        elif item in class_names:
            found = [(n, m) for n, m in named.items() if type(m).__name__ == item and m is not model]
        else:
            close = difflib.get_close_matches(item, [*class_names, *(n for n in named if n)], n=5, cutoff=0.5)
            hint = f"did you mean {', '.join(map(repr, close))}?" if close else "no close name"
            raise ModelValueError(
                f"auto_wrap_policy: {item!r} is neither a submodule nor a module class of {type(model).__name__} "
                f"({hint})")
        for name, module in found:
            targets[id(module)] = (name.count(".") + 1 if name else 0, module)
    return [m for _, m in sorted(targets.values(), key=lambda t: -t[0])]


@MODEL_WRAPPERS.register_module()
class MMFullyShardedDataParallel(nn.Module):
    """A ``BaseModel`` whose parameters are sharded over the processes with FSDP2.

    The wrapped model is ``fully_shard``-ed in place (its parameters become ``DTensor`` shards;
    its class, ``state_dict`` keys and methods stay) and kept as :attr:`module`, so a checkpoint
    of ``wrapper.module`` has the same keys as one of the plain model. The submodules named in
    ``auto_wrap_policy`` get their own ``fully_shard`` first (their parameters are gathered only
    while they run), then the whole model. ``train_step`` runs the preprocessor and
    ``forward(mode='loss')`` through FSDP's hooks (gathering the parameters, reduce-scattering
    the gradients in backward) and the optimizer wrapper's ``update_params``; while gradients
    are accumulated (``accumulative_counts``) the reduce-scatter waits for the last iteration.

    The optimizer must be built after wrapping: it must hold the sharded parameters.

    Args:
        module: The model (usually a ``BaseModel``), on its device.
        auto_wrap_policy: Module classes, class names or submodule names (``'backbone.layer1'``)
            whose instances are sharded on their own before the root; ``None`` shards only the
            whole model.
        reshard_after_forward: Free the gathered parameters after forward (``True``, FSDP1's
            ``FULL_SHARD``) or keep them until backward (``False``, ``SHARD_GRAD_OP``); an int
            reshards to that many ranks (see ``fully_shard``). Unset, torch's default: the
            inner units reshard, the root (whose parameters backward needs first) does not.
        sharding_strategy: FSDP1's name, ``'FULL_SHARD'`` or ``'SHARD_GRAD_OP'``, instead of
            ``reshard_after_forward``.
        mixed_precision: ``MixedPrecisionPolicy`` or a dict of its fields, e.g.
            ``dict(param_dtype='bfloat16', reduce_dtype='float32')``: compute in ``param_dtype``
            and reduce gradients in ``reduce_dtype`` while the sharded parameters (and the
            optimizer) stay in their own dtype. Each sharded module casts its floating-point
            inputs to ``param_dtype``: a forward that casts to float32 itself (``x.float()``)
            before a layer needs that layer in ``auto_wrap_policy``.
        cpu_offload: Keep the sharded parameters, gradients and optimizer states on the CPU
            (``CPUOffloadPolicy``).
        mesh: The ``DeviceMesh`` to shard over (default: every process).
    """

    def __init__(self, module: nn.Module, auto_wrap_policy: Any = None, reshard_after_forward: bool | int | None = None,
                 sharding_strategy: str | None = None, mixed_precision: Any = None, cpu_offload: bool = False,
                 mesh: Any = None) -> None:
        super().__init__()
        if not isinstance(module, nn.Module):
            raise ModelTypeError(f"MMFullyShardedDataParallel wraps an nn.Module, got {type(module).__name__}")
        from torch.distributed.fsdp import CPUOffloadPolicy, OffloadPolicy, fully_shard

        if sharding_strategy is not None:
            name = getattr(sharding_strategy, "name", sharding_strategy)
            if name not in _SHARDING_STRATEGIES:
                raise ModelValueError(
                    f"sharding_strategy={sharding_strategy!r}: FSDP2 supports {sorted(_SHARDING_STRATEGIES)} "
                    "(or set reshard_after_forward)")
            if reshard_after_forward is not None and reshard_after_forward != _SHARDING_STRATEGIES[name]:
                raise ModelValueError(f"sharding_strategy={name!r} contradicts "
                                      f"reshard_after_forward={reshard_after_forward!r}")
            reshard_after_forward = _SHARDING_STRATEGIES[name]
        kwargs: dict[str, Any] = dict(mp_policy=mixed_precision_policy(mixed_precision),
                                      offload_policy=CPUOffloadPolicy() if cpu_offload else OffloadPolicy())
        if reshard_after_forward is not None:  # unset: torch reshards the inner units but not the root,
            kwargs["reshard_after_forward"] = reshard_after_forward  # whose parameters backward needs at once
        if mesh is not None:
            kwargs["mesh"] = mesh
        for sub in shard_targets(module, _names(auto_wrap_policy, "auto_wrap_policy")):
            fully_shard(sub, **kwargs)
        fully_shard(module, **kwargs)
        self.module = module

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """The wrapped model's forward (through FSDP's hooks)."""
        return self.module(*args, **kwargs)

    def train_step(self, data: dict | tuple | list, optim_wrapper: Any) -> dict[str, torch.Tensor]:
        """One optimisation step; gradients are reduce-scattered unless the next update accumulates more."""
        should_sync = getattr(optim_wrapper, "should_sync", None)
        self.module.set_requires_gradient_sync(bool(should_sync()) if callable(should_sync) else True)
        with optim_wrapper.optim_context(self.module):
            data = self.module.data_preprocessor(data, training=True)
            if isinstance(data, dict):
                losses = self.module(**data, mode="loss")
            elif isinstance(data, (list, tuple)):
                losses = self.module(*data, mode="loss")
            else:
                raise ModelTypeError(
                    f"the preprocessed batch must be a dict, list or tuple, but got {type(data).__name__}")
        parsed_loss, log_vars = self.module.parse_losses(losses)
        optim_wrapper.update_params(parsed_loss)
        return log_vars

    def val_step(self, data: dict | tuple | list) -> list:
        """The wrapped model's ``val_step``."""
        return self.module.val_step(data)

    def test_step(self, data: dict | tuple | list) -> list:
        """The wrapped model's ``test_step``."""
        return self.module.test_step(data)
