"""Registers mme.optim's classes and torch's optimizers, and attaches the scheduler build function."""

from __future__ import annotations

from typing import Any

from mme.registry import (
    OPTIM_WRAPPER_CONSTRUCTORS,
    OPTIM_WRAPPERS,
    OPTIMIZERS,
    PARAM_SCHEDULERS,
    Registry,
    build_from_cfg,
)

from . import _cyclic, _plateau, _schedulers, _variants
from ._amp_optim_wrapper import AmpOptimWrapper
from ._apex import ApexOptimWrapper
from ._constructor import DefaultOptimWrapperConstructor
from ._errors import SchedulerConfigError
from ._optim_wrapper import OptimWrapper
from ._scheduler_base import _ParamScheduler

__all__ = ["build_optimizer_from_cfg", "build_scheduler_from_cfg", "build_zero_redundancy_optimizer", "register_all"]


def build_zero_redundancy_optimizer(params: Any, optimizer_type: str | type, **kwargs: Any) -> Any:
    """Build a :class:`mme.optim.ZeroRedundancyOptimizer` (registered under that name in OPTIMIZERS).

    A function, so that importing ``mme.optim`` does not import ``torch.distributed.optim``
    (about a second): the class's module is imported on the first build.
    """
    from ._zero import ZeroRedundancyOptimizer

    return ZeroRedundancyOptimizer(params, optimizer_type, **kwargs)


def build_optimizer_from_cfg(cfg: Any, registry: Registry, default_args: dict[str, Any] | None = None) -> Any:
    """Build an optimizer from its config (MMEngine's ``build_optimizer_from_cfg``).

    mme has no device-specific optimizer replacements to make, so this is ``build_from_cfg``;
    ``OptimWrapper`` configs are built by ``mme.optim.build_optim_wrapper``.
    """
    return build_from_cfg(cfg, registry, default_args=default_args)


def build_scheduler_from_cfg(cfg: Any, registry: Registry, default_args: dict[str, Any] | None = None) -> Any:
    """Build a parameter scheduler, honouring ``convert_to_iter_based``.

    With ``convert_to_iter_based=True`` on an epoch-based config, the scheduler is built through
    its ``build_iter_from_epoch`` with ``default_args['epoch_length']`` (the dataloader length).
    Otherwise ``epoch_length`` is dropped from ``default_args`` and the config built normally.

    Args:
        cfg: Scheduler config with ``type``.
        registry: The registry to look ``type`` up in.
        default_args: Defaults such as ``optimizer`` and ``epoch_length``.
    """
    args = dict(cfg)
    defaults = dict(default_args or {})
    convert = args.pop("convert_to_iter_based", False)
    if convert:
        if not args.get("by_epoch", True):
            raise SchedulerConfigError(
                f"convert_to_iter_based=True needs an epoch-based scheduler, but {args.get('type')!r} has by_epoch=False")
        sched_type = args.pop("type")
        sched_cls = registry.get(sched_type) if isinstance(sched_type, str) else sched_type
        for key, value in defaults.items():
            args.setdefault(key, value)
        return sched_cls.build_iter_from_epoch(**args)
    defaults.pop("epoch_length", None)
    return build_from_cfg(args, registry, default_args=defaults)


def register_all() -> None:
    """Fill OPTIMIZERS, OPTIM_WRAPPERS, OPTIM_WRAPPER_CONSTRUCTORS and PARAM_SCHEDULERS."""
    from ._builder import register_torch_optimizers  # registers the optional packages' optimizers too

    register_torch_optimizers()
    OPTIMIZERS.register_module(name="ZeroRedundancyOptimizer", module=build_zero_redundancy_optimizer)
    OPTIM_WRAPPERS.register_module(module=OptimWrapper)
    OPTIM_WRAPPERS.register_module(module=AmpOptimWrapper)
    OPTIM_WRAPPERS.register_module(module=ApexOptimWrapper)
    OPTIM_WRAPPER_CONSTRUCTORS.register_module(module=DefaultOptimWrapperConstructor)
    for mod in (_schedulers, _cyclic, _plateau, _variants):
        for name in mod.__all__:
            obj = getattr(mod, name)
            if isinstance(obj, type) and issubclass(obj, _ParamScheduler):
                PARAM_SCHEDULERS.register_module(module=obj)
    PARAM_SCHEDULERS.build_func = build_scheduler_from_cfg
