"""``ColossalAIStrategy``: train through a ColossalAI ``Booster`` and one of its plugins.

``colossalai`` is imported only when the strategy is built (a missing package is a
:class:`MissingPackageError` then, before anything trains). ColossalAI 0.5.0 needs
``torch<=2.5.1``; see ``docs/colossalai_cpu_findings.md`` for what runs without a GPU: only the
``torch_ddp`` plugin and ``hybrid`` with ``tp_size=1, pp_size=1, zero_stage=0`` and
``precision='fp32'`` or ``'bf16'`` (plain data parallel). The other plugins need a CUDA (or NPU)
device, which the strategy checks when built.
"""

from __future__ import annotations

import difflib
import inspect
import os
import os.path as osp
from typing import Any

import torch
from torch import nn

from mme.device import get_device
from mme.dist import get_rank
from mme.model import is_model_wrapper
from mme.model._colossalai import CollosalAIModelWrapper
from mme.optim import build_optim_wrapper
from mme.optim._colossalai import ColossalAIOptimWrapper
from mme.registry import MODEL_WRAPPERS, STRATEGIES

from ._base import BaseStrategy, unwrap
from ._errors import CheckpointError, StrategyConfigError, require_package

__all__ = ["ColossalAIStrategy"]

#: The sub-directory of a sharded checkpoint directory holding the booster's files.
TAG = "colossalai"
MODEL_FILE = "model.pt"
OPTIM_FILE = "optimizer.pt"

#: Plugin names (MMEngine's and ColossalAI's) and the ``colossalai.booster.plugin`` class of each.
_PLUGINS = {
    "gemini": "GeminiPlugin",
    "low_level_zero": "LowLevelZeroPlugin",
    "torch_ddp": "TorchDDPPlugin",
    "torch_fsdp": "TorchFSDPPlugin",
    "hybrid": "HybridParallelPlugin",
    "hybrid_parallel": "HybridParallelPlugin",
    "moe_hybrid": "MoeHybridParallelPlugin",
    "moe_hybrid_parallel": "MoeHybridParallelPlugin",
}
_HYBRID = ("HybridParallelPlugin", "MoeHybridParallelPlugin")
_CPU_ADVICE = ("on the CPU use plugin='torch_ddp', or plugin=dict(type='hybrid', tp_size=1, pp_size=1, "
               "zero_stage=0, precision='fp32' or 'bf16') (see docs/colossalai_cpu_findings.md)")


def _did_you_mean(key: str, candidates: Any) -> str:
    close = difflib.get_close_matches(key, sorted(candidates), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def _identity_policy() -> Any:
    """A ShardFormer policy that changes nothing (data parallel only; a ``BaseModel`` has no auto policy)."""
    from colossalai.shardformer.policies.base_policy import Policy

    class IdentityPolicy(Policy):
        def config_sanity_check(self) -> None:
            pass

        def preprocess(self) -> nn.Module:
            return self.model

        def module_policy(self) -> dict:
            return {}

        def postprocess(self) -> nn.Module:
            return self.model

    return IdentityPolicy()


@STRATEGIES.register_module()
class ColossalAIStrategy(BaseStrategy):
    """Train through ``colossalai.booster.Booster`` with a plugin (Gemini, ZeRO, DDP, FSDP, hybrid parallel).

    The model is wrapped in ``CollosalAIModelWrapper`` (``model_wrapper``) by :meth:`wrap_model`;
    :meth:`build_optim_wrapper` builds the optimizer (its wrapper must be a
    ``ColossalAIOptimWrapper``), then the plugin and the booster, boosts the model and the
    optimizer and attaches both to the wrappers. The process group is mme's (``init_dist``);
    ColossalAI's ``launch`` would only create the same group and reseed.

    Checkpoints are ``'sharded'``: a directory holding the booster's ``save_model`` and
    ``save_optimizer`` files (under ``colossalai/``, each one whole file gathered by the plugin)
    besides the Runner's ``extras.pth``; ``mme checkpoint consolidate`` reads them without
    ColossalAI.

    Args:
        config: ColossalAI's launch config of versions before 0.4; the installed ColossalAI's
            ``launch`` takes none, so only ``None`` or an empty dict is accepted.
        mixed_precision: ``'fp16'``, ``'bf16'``, ... For a plugin with a ``precision`` argument
            (Gemini, LowLevelZero, hybrid) it is that argument (unless the plugin config sets
            it); otherwise the booster's ``mixed_precision``.
        plugin: The plugin: a name (``'gemini'`` (default, as in MMEngine), ``'low_level_zero'``,
            ``'torch_ddp'``, ``'torch_fsdp'``, ``'hybrid'``), a ``dict(type=<name or class
            name>, **plugin kwargs)``, or a ``Plugin`` instance. ``'hybrid'`` defaults to
            ``tp_size=1, pp_size=1`` and, with those, to a ShardFormer policy that changes nothing
            (a ``BaseModel`` has no auto policy); pass ``custom_policy`` for tensor or pipeline
            parallel.
        model_wrapper: Config of the model wrapper (default ``dict(type='CollosalAIModelWrapper')``).
    """

    needs_dist = True
    checkpoint_format = "sharded"
    keeps_group = True  # the plugin's process group mesh is built over the group
    full_model_copies = False

    def __init__(self, config: dict | str | None = None, mixed_precision: str | Any = None,
                 plugin: str | dict | Any = "gemini", model_wrapper: dict | None = None) -> None:
        super().__init__()
        self._colossalai: Any = require_package("colossalai", "ColossalAIStrategy", "colossalai")
        if config:
            raise StrategyConfigError(
                f"ColossalAIStrategy config={config!r}: colossalai {self._colossalai.__version__}'s launch takes no "
                f"config (removed in 0.4); set plugin=dict(...) and mixed_precision instead")
        if model_wrapper is not None and not isinstance(model_wrapper, dict):
            raise StrategyConfigError(f"ColossalAIStrategy model_wrapper must be a config dict, got {model_wrapper!r}")
        self.config = config
        self.mixed_precision = mixed_precision
        self.model_wrapper = model_wrapper
        self._plugin_cls, self.plugin_cfg, self._plugin_obj = self._resolve_plugin(plugin)
        self._check_device()
        self.booster: Any = None

    # -- plugin ------------------------------------------------------------------------------
    def _resolve_plugin(self, plugin: Any) -> tuple[type, dict[str, Any], Any]:
        from colossalai.booster import plugin as plugins

        if isinstance(plugin, plugins.Plugin):
            return type(plugin), {}, plugin
        if isinstance(plugin, str):
            cfg: dict[str, Any] = {"type": plugin}
        elif isinstance(plugin, dict):
            cfg = dict(plugin)
        else:
            raise StrategyConfigError(f"ColossalAIStrategy plugin must be a name, a dict(type=...) or a colossalai "
                                      f"Plugin, got {plugin!r}")
        kind = cfg.pop("type", None)
        names = {**_PLUGINS, **{v: v for v in _PLUGINS.values()}}
        if isinstance(kind, type) and issubclass(kind, plugins.Plugin):
            cls = kind
        elif isinstance(kind, str) and kind in names and hasattr(plugins, names[kind]):
            cls = getattr(plugins, names[kind])
        else:
            raise StrategyConfigError(
                f"ColossalAIStrategy plugin type {kind!r} is not a ColossalAI plugin"
                f"{_did_you_mean(str(kind), names)} (one of {', '.join(map(repr, _PLUGINS))})")
        params = inspect.signature(cls.__init__).parameters
        if not any(p.kind is p.VAR_KEYWORD for p in params.values()):
            known = [n for n in params if n != "self"]
            for key in cfg:
                if key not in params:
                    raise StrategyConfigError(f"ColossalAIStrategy: {key!r} is not an argument of {cls.__name__}"
                                              f"{_did_you_mean(key, known)}")
        if cls.__name__ in _HYBRID:
            cfg.setdefault("tp_size", 1)
            cfg.setdefault("pp_size", 1)
        if isinstance(self.mixed_precision, str) and "precision" in params:
            cfg.setdefault("precision", self.mixed_precision)
        return cls, cfg, None

    def _check_device(self) -> None:
        """Refuse, before anything is built, a plugin that cannot run on the CPU when there is no GPU/NPU."""
        from colossalai.accelerator import get_accelerator

        if get_accelerator().name in ("cuda", "npu"):
            return
        name, cfg = self._plugin_cls.__name__, self.plugin_cfg
        if self._plugin_obj is not None:
            if name in ("TorchDDPPlugin", *_HYBRID):
                return  # built by the user: not inspected
            cfg = {}
        if name == "TorchDDPPlugin":
            return
        if name in _HYBRID:
            bad = {k: cfg.get(k, d) for k, d in (("tp_size", 1), ("pp_size", 1), ("zero_stage", 0))
                   if cfg.get(k, d) != d}
            if "precision" not in cfg:
                bad["precision"] = "fp16 (HybridParallelPlugin's default)"
            elif cfg["precision"] not in ("fp32", "bf16", None):  # fp16: 'not supported for cpu accelerator'
                bad["precision"] = cfg["precision"]
            if not bad:
                return
            detail = ", ".join(f"{k}={v}" for k, v in bad.items())
            raise StrategyConfigError(
                f"ColossalAIStrategy: {name} with {detail} needs a CUDA (or NPU) device, and none is available "
                f"(ColossalAI's CPU accelerator); {_CPU_ADVICE}")
        raise StrategyConfigError(
            f"ColossalAIStrategy: {name} needs a CUDA (or NPU) device, and none is available (ColossalAI's CPU "
            f"accelerator lacks what it uses); {_CPU_ADVICE}")

    def _make_plugin(self) -> Any:
        if self._plugin_obj is not None:
            return self._plugin_obj
        cfg = dict(self.plugin_cfg)
        if self._plugin_cls.__name__ in _HYBRID and cfg.get("custom_policy") is None \
                and cfg["tp_size"] == 1 and cfg["pp_size"] == 1:
            cfg["custom_policy"] = _identity_policy()
        elif isinstance(cfg.get("custom_policy"), type):
            cfg["custom_policy"] = cfg["custom_policy"]()
        return self._plugin_cls(**cfg)

    def _make_booster(self) -> Any:
        from colossalai.booster import Booster

        plugin = self._make_plugin()
        mixed_precision = None
        if self.mixed_precision is not None and not (isinstance(self.mixed_precision, str)
                                                     and "precision" in self.plugin_cfg):
            mixed_precision = self.mixed_precision
        return Booster(mixed_precision=mixed_precision, plugin=plugin)

    # -- model -------------------------------------------------------------------------------
    def wrap_model(self, model: nn.Module) -> nn.Module:
        """Move the model to its device and wrap it in ``model_wrapper`` (the booster boosts it later)."""
        if isinstance(model, CollosalAIModelWrapper):
            return model
        if is_model_wrapper(model):
            raise StrategyConfigError(f"ColossalAIStrategy wraps the model itself; got an already wrapped "
                                      f"{type(model).__name__}")
        cfg = dict(self.model_wrapper or {})
        cfg.setdefault("type", "CollosalAIModelWrapper")
        wrapper_cls = MODEL_WRAPPERS.get(cfg["type"]) if isinstance(cfg["type"], str) else cfg["type"]
        if not (isinstance(wrapper_cls, type) and issubclass(wrapper_cls, CollosalAIModelWrapper)):
            raise StrategyConfigError(f"ColossalAIStrategy model_wrapper must be a CollosalAIModelWrapper "
                                      f"(or a subclass), got {cfg['type']!r}")
        return MODEL_WRAPPERS.build(cfg, default_args=dict(model=model.to(get_device())))

    # -- optimizer ---------------------------------------------------------------------------
    def build_optim_wrapper(self, optim_wrapper: dict, model: nn.Module) -> Any:
        """Build the optimizer, the plugin and the booster; boost the model and the optimizer.

        The boosted model is attached to the ``CollosalAIModelWrapper`` (the Runner's model) and
        the booster and boosted optimizer to the returned ``ColossalAIOptimWrapper``.
        """
        cfg = self._check_attach_once(optim_wrapper, model, CollosalAIModelWrapper, ColossalAIOptimWrapper,
                                      "the booster does the backward")
        wrapper = build_optim_wrapper(model.module, cfg)
        booster = self._make_booster()
        boosted_model, boosted_optim, *_ = booster.boost(model.module, wrapper.optimizer)
        model.attach(boosted_model)
        wrapper.attach(booster, boosted_optim)
        self.booster = booster
        return wrapper

    # -- sharded checkpoints -------------------------------------------------------------------
    def save_shards(self, directory: str, model: nn.Module, optim_wrapper: Any | None) -> None:
        """``booster.save_model`` (and ``save_optimizer``) into ``directory/colossalai/`` on every rank.

        Before the model is boosted (no training yet) rank 0 saves the model's state dict there.
        """
        tag_dir = osp.join(directory, TAG)
        os.makedirs(tag_dir, exist_ok=True)
        boosted = getattr(model, "model_wrapper", None)
        if self.booster is None or boosted is None:
            if optim_wrapper is not None:
                raise CheckpointError("ColossalAIStrategy saves the optimizer through its booster, which is built "
                                      "with the optimizer wrapper (train() builds it)")
            if get_rank() == 0:
                torch.save(unwrap(model).state_dict(), osp.join(tag_dir, MODEL_FILE))
            return
        self.booster.save_model(boosted, osp.join(tag_dir, MODEL_FILE), shard=False)
        if optim_wrapper is not None:
            self.booster.save_optimizer(optim_wrapper.optimizer, osp.join(tag_dir, OPTIM_FILE), shard=False)

    def load_shards(self, directory: str, model: nn.Module, optim_wrapper: Any | None) -> None:
        """``booster.load_model`` (and ``load_optimizer`` when ``optim_wrapper`` is given).

        Before the model is boosted (``load_from``, ``val``/``test`` without training) the saved
        weights are loaded into the model directly.
        """
        model_file = osp.join(directory, TAG, MODEL_FILE)
        if not osp.isfile(model_file):
            raise CheckpointError(f"{directory} has no ColossalAI checkpoint (no {TAG}/{MODEL_FILE} in it)")
        boosted = getattr(model, "model_wrapper", None)
        if self.booster is None or boosted is None:
            if optim_wrapper is not None:
                raise CheckpointError("ColossalAIStrategy loads the optimizer through its booster, which is built "
                                      "with the optimizer wrapper")
            state = torch.load(model_file, map_location="cpu", weights_only=True)
            super().load_model_state_dict(model, state, strict=True)
            return
        self.booster.load_model(boosted, model_file, strict=True)
        if optim_wrapper is not None:
            optim_file = osp.join(directory, TAG, OPTIM_FILE)
            if not osp.isfile(optim_file):
                raise CheckpointError(f"{directory} holds no optimizer state ({TAG}/{OPTIM_FILE})")
            self.booster.load_optimizer(optim_wrapper.optimizer, optim_file)

    @classmethod
    def consolidate(cls, directory: str) -> dict[str, Any]:  # type: ignore[override]
        """The model (and optimizer) states of the checkpoint ``directory`` (no process group, no ColossalAI).

        The booster saved each as one gathered file, so this only reads them.
        """
        tag_dir = osp.join(directory, TAG)
        model_file = osp.join(tag_dir, MODEL_FILE)
        if not osp.isfile(model_file):
            raise CheckpointError(f"{directory} has no ColossalAI checkpoint (no {TAG}/{MODEL_FILE} in it)")
        result = {"state_dict": torch.load(model_file, map_location="cpu", weights_only=True)}
        optim_file = osp.join(tag_dir, OPTIM_FILE)
        if osp.isfile(optim_file):
            result["optimizer"] = torch.load(optim_file, map_location="cpu", weights_only=True)
        return result

    def __repr__(self) -> str:
        plugin = self._plugin_obj if self._plugin_obj is not None else dict(type=self._plugin_cls.__name__,
                                                                            **self.plugin_cfg)
        return (f"ColossalAIStrategy(plugin={plugin!r}, mixed_precision={self.mixed_precision!r}, "
                f"model_wrapper={self.model_wrapper!r})")
