"""DefaultOptimWrapperConstructor and build_optim_wrapper."""

from __future__ import annotations

import copy
import difflib
import logging
from typing import Any

from mme.registry import OPTIM_WRAPPER_CONSTRUCTORS, OPTIM_WRAPPERS, OPTIMIZERS
from torch import nn

from ._errors import OptimConfigError
from ._optim_wrapper import OptimWrapper

__all__ = ["DefaultOptimWrapperConstructor", "build_optim_wrapper"]

logger = logging.getLogger(__name__)

_NORMS = (nn.modules.batchnorm._BatchNorm, nn.modules.instancenorm._InstanceNorm, nn.GroupNorm, nn.LayerNorm)
_DCN_NAMES = {"DeformConv2d", "ModulatedDeformConv2d", "DeformConv2dPack", "ModulatedDeformConv2dPack"}
_WD_KEYS = ("bias_decay_mult", "norm_decay_mult", "dwconv_decay_mult", "flat_decay_mult")
_KNOWN_KEYS = {"custom_keys", "bias_lr_mult", "bypass_duplicate", "dcn_offset_lr_mult", *_WD_KEYS}


class DefaultOptimWrapperConstructor:
    """Builds an optim wrapper for a model, with per-parameter settings from ``paramwise_cfg``.

    Args:
        optim_wrapper_cfg: The ``optim_wrapper`` config: ``type`` (default ``'OptimWrapper'``),
            ``optimizer`` (required: ``type``, ``lr``, ``weight_decay``, ...) and the wrapper's
            own arguments (``accumulative_counts``, ``clip_grad``, ...).
        paramwise_cfg: Per-parameter options:

            - ``custom_keys``: ``{substring: dict(lr_mult=..., decay_mult=..., **group_opts)}``;
              a parameter whose full name contains the key (longest key first) gets
              ``lr = base_lr * lr_mult`` and ``weight_decay = base_wd * decay_mult`` and the
              other options verbatim. A key matching no parameter is logged as a warning.
            - ``bias_lr_mult``, ``bias_decay_mult``: for ``bias`` parameters outside norm layers.
            - ``norm_decay_mult``: for parameters of BatchNorm/GroupNorm/LayerNorm/InstanceNorm.
            - ``dwconv_decay_mult``: for depth-wise ``Conv2d`` parameters.
            - ``flat_decay_mult``: for other one-dimensional parameters.
            - ``dcn_offset_lr_mult``: lr multiplier of the ``conv_offset`` conv of deformable convs.
            - ``bypass_duplicate``: skip (with a warning) parameters shared by several modules.

    Examples:
        >>> model = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2))
        >>> ctor = DefaultOptimWrapperConstructor(
        ...     dict(optimizer=dict(type='SGD', lr=0.1, weight_decay=1e-4)),
        ...     paramwise_cfg=dict(norm_decay_mult=0.0))
        >>> [g['weight_decay'] for g in ctor(model).param_groups]
        [0.0001, 0.0001, 0.0, 0.0]
    """

    def __init__(self, optim_wrapper_cfg: dict[str, Any], paramwise_cfg: dict[str, Any] | None = None) -> None:
        if not isinstance(optim_wrapper_cfg, dict):
            raise OptimConfigError(f"optim_wrapper_cfg must be a dict, but got {type(optim_wrapper_cfg).__name__}")
        if "optimizer" not in optim_wrapper_cfg:
            raise OptimConfigError(f"optim_wrapper_cfg must contain an 'optimizer' config, but got keys {sorted(optim_wrapper_cfg)}")
        self.optim_wrapper_cfg = dict(optim_wrapper_cfg)
        self.optimizer_cfg = dict(self.optim_wrapper_cfg.pop("optimizer"))
        self.paramwise_cfg = {} if paramwise_cfg is None else paramwise_cfg
        self.base_lr = self.optimizer_cfg.get("lr")
        self.base_wd = self.optimizer_cfg.get("weight_decay")
        self._matched: set[str] = set()
        self._validate_cfg()

    def _validate_cfg(self) -> None:
        cfg = self.paramwise_cfg
        if not isinstance(cfg, dict):
            raise OptimConfigError(f"paramwise_cfg must be None or a dict, but got {type(cfg).__name__}")
        unknown = sorted(set(cfg) - _KNOWN_KEYS)
        if unknown:
            close = difflib.get_close_matches(unknown[0], _KNOWN_KEYS, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise OptimConfigError(f"paramwise_cfg has unknown keys {unknown}; {hint}known keys are "
                                   f"{sorted(_KNOWN_KEYS)}")
        custom_keys = cfg.get("custom_keys", {})
        if not isinstance(custom_keys, dict):
            raise OptimConfigError(f"paramwise_cfg.custom_keys must be a dict, but got {type(custom_keys).__name__}")
        for key, opts in custom_keys.items():
            if not isinstance(opts, dict):
                raise OptimConfigError(f"paramwise_cfg.custom_keys[{key!r}] must be a dict, but got {opts!r}")
            if self.base_wd is None and "decay_mult" in opts:
                raise OptimConfigError(
                    f"paramwise_cfg.custom_keys[{key!r}] sets decay_mult but the optimizer config has no weight_decay"
                )
        if self.base_lr is None and ("bias_lr_mult" in cfg or "dcn_offset_lr_mult" in cfg
                                     or any("lr_mult" in o for o in custom_keys.values())):
            raise OptimConfigError("paramwise_cfg sets an lr multiplier but the optimizer config has no lr")
        for key in _WD_KEYS:
            if key in cfg and self.base_wd is None:
                raise OptimConfigError(f"paramwise_cfg.{key} is set but the optimizer config has no weight_decay")

    def __call__(self, model: nn.Module) -> OptimWrapper:
        """Build the optim wrapper for ``model`` (unwrapping ``model.module`` if present)."""
        inner = getattr(model, "module", None)
        if isinstance(inner, nn.Module):
            model = inner
        optimizer_cfg = copy.copy(self.optimizer_cfg)
        if not self.paramwise_cfg:
            optimizer_cfg["params"] = model.parameters()
        else:
            params: list[dict[str, Any]] = []
            self._matched = set()
            self.add_params(params, model)
            for key in self.paramwise_cfg.get("custom_keys", {}):
                if key not in self._matched:
                    logger.warning(
                        "paramwise_cfg.custom_keys: key %r matches no parameter of %s; check its spelling",
                        key, type(model).__name__,
                    )
            optimizer_cfg["params"] = params
        optimizer = OPTIMIZERS.build(optimizer_cfg)
        wrapper_cfg = copy.copy(self.optim_wrapper_cfg)
        wrapper_cfg.setdefault("type", "OptimWrapper")
        return OPTIM_WRAPPERS.build(wrapper_cfg, default_args=dict(optimizer=optimizer))

    def add_params(self, params: list[dict[str, Any]], module: nn.Module, prefix: str = "",
                   is_dcn_module: bool | None = None) -> None:
        """Append one parameter group per parameter of ``module`` (recursively) to ``params``.

        Args:
            params: The list of parameter groups being built.
            module: The module whose parameters are added.
            prefix: Dotted name of ``module`` in the model.
            is_dcn_module: Whether ``module`` is (part of) a deformable convolution.
        """
        cfg = self.paramwise_cfg
        custom_keys = cfg.get("custom_keys", {})
        sorted_keys = sorted(sorted(custom_keys), key=len, reverse=True)
        bias_lr_mult = cfg.get("bias_lr_mult")
        bias_decay_mult = cfg.get("bias_decay_mult")
        norm_decay_mult = cfg.get("norm_decay_mult")
        dwconv_decay_mult = cfg.get("dwconv_decay_mult")
        flat_decay_mult = cfg.get("flat_decay_mult")
        bypass_duplicate = cfg.get("bypass_duplicate", False)
        dcn_offset_lr_mult = cfg.get("dcn_offset_lr_mult")

        is_norm = isinstance(module, _NORMS)
        is_dwconv = isinstance(module, nn.Conv2d) and module.in_channels == module.groups
        if is_dcn_module is None or not is_dcn_module:
            is_dcn_module = type(module).__name__ in _DCN_NAMES

        for name, param in module.named_parameters(recurse=False):
            full_name = f"{prefix}.{name}" if prefix else name
            group: dict[str, Any] = {"params": [param]}
            if bypass_duplicate and _is_in(group, params):
                logger.warning("%s is duplicate; it is skipped because bypass_duplicate=True", full_name)
                continue
            if not param.requires_grad:
                params.append(group)
                continue
            for key in sorted_keys:
                if key in full_name:
                    self._matched.add(key)
                    opts = custom_keys[key]
                    group["lr"] = self.base_lr * opts.get("lr_mult", 1.0)
                    if self.base_wd is not None:
                        group["weight_decay"] = self.base_wd * opts.get("decay_mult", 1.0)
                    group.update({k: v for k, v in opts.items() if k not in ("lr_mult", "decay_mult")})
                    break
            else:
                if name == "bias" and not (is_norm or is_dcn_module) and bias_lr_mult is not None:
                    group["lr"] = self.base_lr * bias_lr_mult
                if ("conv_offset" in prefix and is_dcn_module and dcn_offset_lr_mult is not None
                        and isinstance(module, nn.Conv2d)):
                    group["lr"] = self.base_lr * dcn_offset_lr_mult
                if self.base_wd is not None:
                    if is_norm and norm_decay_mult is not None:
                        group["weight_decay"] = self.base_wd * norm_decay_mult
                    elif name == "bias" and not is_dcn_module and bias_decay_mult is not None:
                        group["weight_decay"] = self.base_wd * bias_decay_mult
                    elif is_dwconv and dwconv_decay_mult is not None:
                        group["weight_decay"] = self.base_wd * dwconv_decay_mult
                    elif param.ndim == 1 and not is_dcn_module and flat_decay_mult is not None:
                        group["weight_decay"] = self.base_wd * flat_decay_mult
            params.append(group)

        for child_name, child in module.named_children():
            child_prefix = f"{prefix}.{child_name}" if prefix else child_name
            self.add_params(params, child, prefix=child_prefix, is_dcn_module=is_dcn_module)


def _is_in(group: dict[str, Any], groups: list[dict[str, Any]]) -> bool:
    ids = {id(p) for p in group["params"]}
    return any(ids & {id(p) for p in g["params"]} for g in groups)


def build_optim_wrapper(model: nn.Module, cfg: dict[str, Any]) -> OptimWrapper:
    """Build an optim wrapper from an ``optim_wrapper`` config.

    ``cfg`` may name a ``constructor`` (default ``'DefaultOptimWrapperConstructor'``) and a
    ``paramwise_cfg``; the rest is passed to the constructor as ``optim_wrapper_cfg``.

    Args:
        model: The model whose parameters are optimized.
        cfg: The optim wrapper config.

    Examples:
        >>> wrapper = build_optim_wrapper(nn.Linear(2, 1), dict(optimizer=dict(type='SGD', lr=0.01)))
        >>> type(wrapper).__name__, wrapper.get_lr()
        ('OptimWrapper', {'lr': [0.01]})
    """
    if not isinstance(cfg, dict):
        raise OptimConfigError(f"optim_wrapper config must be a dict, but got {type(cfg).__name__}")
    cfg = copy.copy(cfg)
    constructor_type = cfg.pop("constructor", "DefaultOptimWrapperConstructor")
    paramwise_cfg = cfg.pop("paramwise_cfg", None)
    constructor = OPTIM_WRAPPER_CONSTRUCTORS.build(
        dict(type=constructor_type, optim_wrapper_cfg=cfg, paramwise_cfg=paramwise_cfg)
    )
    return constructor(model)
