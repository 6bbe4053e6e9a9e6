"""Weight initialisers registered in WEIGHT_INITIALIZERS and ``initialize`` that applies init_cfg."""

from __future__ import annotations

import copy
import io
import logging
import os
import re
from typing import Any

import torch
from mme import fileio
from mme.registry import WEIGHT_INITIALIZERS
from torch import nn

from ._errors import InitCfgError, ModelTypeError
from ._init_functions import (
    bias_init_with_prob,
    constant_init,
    kaiming_init,
    normal_init,
    trunc_normal_init,
    uniform_init,
    xavier_init,
)

logger = logging.getLogger(__name__)


def update_init_info(module: nn.Module, init_info: str) -> None:
    """Record ``init_info`` for every parameter of ``module`` whose mean changed since last time.

    ``module`` must carry ``_params_init_info`` (set up by ``BaseModule.init_weights``).
    """
    info = getattr(module, "_params_init_info", None)
    if info is None:
        raise InitCfgError(f"{type(module).__name__} has no _params_init_info; call init_weights() on a BaseModule")
    for param in module.parameters():
        mean_value = param.data.mean().cpu()
        entry = info.setdefault(param, {"init_info": init_info, "tmp_mean_value": None})
        previous = entry.get("tmp_mean_value")
        if previous is None or not torch.equal(previous, mean_value):
            entry["init_info"] = init_info
            entry["tmp_mean_value"] = mean_value


def _class_names(module: nn.Module) -> set[str]:
    return {cls.__name__ for cls in type(module).__mro__}


class BaseInit:
    """Base of the init_cfg initialisers.

    Args:
        bias: Value to fill biases with.
        bias_prob: If given, the bias is ``bias_init_with_prob(bias_prob)`` instead of ``bias``.
        layer: Class name(s) of the layers to initialise (a base class name matches its
            subclasses). Ignored when the initialiser is applied to a whole module through
            ``override``.
    """

    def __init__(self, *, bias: float = 0, bias_prob: float | None = None, layer: str | list[str] | None = None):
        self.wholemodule = False
        if not isinstance(bias, (int, float)):
            raise InitCfgError(f"bias must be a number, but got {type(bias).__name__}")
        if bias_prob is not None:
            if not isinstance(bias_prob, float):
                raise InitCfgError(f"bias_prob must be a float, but got {type(bias_prob).__name__}")
            bias = bias_init_with_prob(bias_prob)
        if layer is not None:
            if isinstance(layer, str):
                layer = [layer]
            elif not (isinstance(layer, list) and all(isinstance(x, str) for x in layer)):
                raise InitCfgError(f"layer must be a str or a list of str, but got {layer!r}")
        else:
            layer = []
        self.bias = bias
        self.layer = layer

    def _init(self, module: nn.Module) -> None:
        """Initialise one (sub)module's own parameters."""
        raise NotImplementedError

    def _get_init_info(self) -> str:
        return f"{type(self).__name__}: {self._args()}"

    def _args(self) -> str:
        return ", ".join(f"{k}={v}" for k, v in vars(self).items() if k != "wholemodule")

    def __call__(self, module: nn.Module) -> None:
        def apply(m: nn.Module) -> None:
            if self.wholemodule or (_class_names(m) & set(self.layer)):
                self._init(m)

        module.apply(apply)
        if hasattr(module, "_params_init_info"):
            update_init_info(module, init_info=self._get_init_info())


@WEIGHT_INITIALIZERS.register_module(name="Constant")
class ConstantInit(BaseInit):
    """Fill weights with ``val`` (biases with ``bias``)."""

    def __init__(self, val: float, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.val = val

    def _init(self, module: nn.Module) -> None:
        constant_init(module, self.val, self.bias)


@WEIGHT_INITIALIZERS.register_module(name="Xavier")
class XavierInit(BaseInit):
    """Xavier initialisation (``distribution`` 'normal' or 'uniform')."""

    def __init__(self, gain: float = 1, distribution: str = "normal", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.gain = gain
        self.distribution = distribution

    def _init(self, module: nn.Module) -> None:
        xavier_init(module, self.gain, self.bias, self.distribution)


@WEIGHT_INITIALIZERS.register_module(name="Normal")
class NormalInit(BaseInit):
    """Normal ``N(mean, std)`` initialisation."""

    def __init__(self, mean: float = 0, std: float = 1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.mean = mean
        self.std = std

    def _init(self, module: nn.Module) -> None:
        normal_init(module, self.mean, self.std, self.bias)


@WEIGHT_INITIALIZERS.register_module(name="TruncNormal")
class TruncNormalInit(BaseInit):
    """Normal ``N(mean, std)`` truncated to ``[a, b]``."""

    def __init__(self, mean: float = 0, std: float = 1, a: float = -2, b: float = 2, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.mean = mean
        self.std = std
        self.a = a
        self.b = b

    def _init(self, module: nn.Module) -> None:
        trunc_normal_init(module, self.mean, self.std, self.a, self.b, self.bias)


@WEIGHT_INITIALIZERS.register_module(name="Uniform")
class UniformInit(BaseInit):
    """Uniform ``U(a, b)`` initialisation."""

    def __init__(self, a: float = 0, b: float = 1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.a = a
        self.b = b

    def _init(self, module: nn.Module) -> None:
        uniform_init(module, self.a, self.b, self.bias)


@WEIGHT_INITIALIZERS.register_module(name="Kaiming")
class KaimingInit(BaseInit):
    """Kaiming initialisation."""

    def __init__(
        self,
        a: float = 0,
        mode: str = "fan_out",
        nonlinearity: str = "relu",
        distribution: str = "normal",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.a = a
        self.mode = mode
        self.nonlinearity = nonlinearity
        self.distribution = distribution

    def _init(self, module: nn.Module) -> None:
        kaiming_init(module, self.a, self.mode, self.nonlinearity, self.bias, self.distribution)


@WEIGHT_INITIALIZERS.register_module(name="Caffe2Xavier")
class Caffe2XavierInit(KaimingInit):
    """Caffe2's XavierFill (Kaiming uniform, ``a=1``, ``fan_in``, leaky_relu)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(a=1, mode="fan_in", nonlinearity="leaky_relu", distribution="uniform", **kwargs)


@WEIGHT_INITIALIZERS.register_module(name="Pretrained")
class PretrainedInit:
    """Load weights from a checkpoint (any path or URI ``mme.fileio`` reads).

    Args:
        checkpoint: Path or URI of the checkpoint.
        prefix: If given, load only the keys under ``prefix`` (e.g. ``'backbone.'``), with the
            prefix removed.
        map_location: Where to map the loaded tensors.
        weights_only: Load with ``torch.load(weights_only=...)``; True by default.
    """

    def __init__(
        self, checkpoint: str, prefix: str | None = None, map_location: str = "cpu", weights_only: bool = True
    ) -> None:
        if not isinstance(checkpoint, (str, os.PathLike)):
            raise InitCfgError(f"checkpoint must be a path, but got {type(checkpoint).__name__}")
        self.checkpoint = str(checkpoint)
        self.prefix = prefix
        self.map_location = map_location
        self.weights_only = weights_only
        self.wholemodule = False

    def __call__(self, module: nn.Module) -> None:
        state_dict = load_state_dict_from(self.checkpoint, self.map_location, self.prefix, self.weights_only)
        missing, unexpected = module.load_state_dict(state_dict, strict=False)
        if missing:
            logger.warning("missing keys in %s: %s", self.checkpoint, ", ".join(missing))
        if unexpected:
            logger.warning("unexpected keys in %s: %s", self.checkpoint, ", ".join(unexpected))
        logger.info("loaded pretrained weights from %s", self.checkpoint)
        if hasattr(module, "_params_init_info"):
            update_init_info(module, init_info=f"{type(self).__name__}: load from {self.checkpoint}")


def load_state_dict_from(
    checkpoint: str, map_location: str = "cpu", prefix: str | None = None, weights_only: bool = True
) -> dict[str, torch.Tensor]:
    """Read a checkpoint and return its model state dict (``state_dict`` key or the dict itself).

    A leading ``module.`` (from a DDP-wrapped model) is stripped from every key; with ``prefix``
    only the keys starting with it are kept, without it.
    """
    if os.path.isfile(checkpoint):
        obj = torch.load(checkpoint, map_location=map_location, weights_only=weights_only)
    else:
        obj = torch.load(io.BytesIO(fileio.get(checkpoint)), map_location=map_location, weights_only=weights_only)
    if not isinstance(obj, dict):
        raise ModelTypeError(f"checkpoint {checkpoint} holds a {type(obj).__name__}, not a dict")
    state_dict = obj.get("state_dict", obj)
    state_dict = {re.sub(r"^module\.", "", k): v for k, v in state_dict.items()}
    if prefix is not None:
        if not prefix.endswith("."):
            prefix += "."
        state_dict = {k[len(prefix) :]: v for k, v in state_dict.items() if k.startswith(prefix)}
        if not state_dict:
            raise InitCfgError(f"checkpoint {checkpoint} has no key starting with {prefix!r}")
    return state_dict


def _initialize(module: nn.Module, cfg: dict, wholemodule: bool = False) -> None:
    func = WEIGHT_INITIALIZERS.build(cfg)
    func.wholemodule = wholemodule
    func(module)


def _initialize_override(module: nn.Module, override: dict | list[dict], cfg: dict) -> None:
    overrides = [override] if isinstance(override, dict) else override
    if not isinstance(overrides, list):
        raise InitCfgError(f"override must be a dict or a list of dicts, but got {type(override).__name__}")
    for item in overrides:
        item = copy.deepcopy(dict(item))
        name = item.pop("name", None)
        if name is None:
            raise InitCfgError(f"each override must have a 'name' key, but got {item}")
        if not item:
            item.update(cfg)
        elif "type" not in item:
            raise InitCfgError(f"override {name!r} needs a 'type' key, but got {item}")
        sub = getattr(module, name, None)
        if not isinstance(sub, nn.Module):
            raise InitCfgError(
                f"override names {name!r}, but {type(module).__name__} has no submodule of that name"
            )
        _initialize(sub, item, wholemodule=True)


def initialize(module: nn.Module, init_cfg: dict | list[dict]) -> None:
    """Initialise ``module`` from an init_cfg (one dict or a list of them).

    Each dict names an initialiser in WEIGHT_INITIALIZERS (``type``), its arguments, the
    ``layer`` class names it applies to, and an optional ``override`` (a dict or a list of
    dicts with ``name`` of a submodule and, optionally, another initialiser for it).

    Examples:
        >>> model = nn.Sequential(nn.Linear(2, 2))
        >>> initialize(model, dict(type='Constant', layer='Linear', val=1, bias=2))
        >>> model[0].bias.tolist()
        [2.0, 2.0]
    """
    if isinstance(init_cfg, dict):
        init_cfg = [init_cfg]
    if not isinstance(init_cfg, list) or not all(isinstance(c, dict) for c in init_cfg):
        raise ModelTypeError(f"init_cfg must be a dict or a list of dicts, but got {init_cfg!r}")
    for cfg in init_cfg:
        cp_cfg = copy.deepcopy(dict(cfg))
        override = cp_cfg.pop("override", None)
        _initialize(module, cp_cfg)
        if override is not None:
            cp_cfg.pop("layer", None)
            _initialize_override(module, override, cp_cfg)
