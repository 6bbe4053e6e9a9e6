"""``FSDPStrategy``: parameters, gradients and optimizer states sharded over the processes (FSDP2)."""

from __future__ import annotations

import difflib
import inspect
import logging
import os
import os.path as osp
import tempfile
from collections.abc import Mapping
from typing import Any

import torch
from torch import nn

from mme.device import get_device
from mme.dist import broadcast, get_world_size
from mme.model import MMFullyShardedDataParallel, is_model_wrapper
from mme.registry import MODEL_WRAPPERS, STRATEGIES

from ._base import BaseStrategy, unwrap
from ._errors import CheckpointError, StrategyConfigError

__all__ = ["FSDPStrategy"]

_logger = logging.getLogger(__name__)

#: ``state_dict_type`` values (MMEngine's and FSDP1's names) and the checkpoint format each means.
_STATE_DICT_TYPES = {"full": "full", "full_state_dict": "full", "sharded": "sharded", "sharded_state_dict": "sharded",
                     "local": "sharded", "local_state_dict": "sharded"}
#: Keys of a ``state_dict_cfg`` dict (FSDP1's state dict configs are accepted and need nothing in FSDP2).
_STATE_DICT_CFG_KEYS = ("state_dict_type", "state_dict_config", "optim_state_dict_config")
#: Strategy arguments passed to the model wrapper (when given).
_WRAPPER_KEYS = ("auto_wrap_policy", "reshard_after_forward", "mixed_precision", "cpu_offload")


def _format(value: Any) -> str:
    name = getattr(value, "name", value)  # FSDP1's StateDictType enum
    fmt = _STATE_DICT_TYPES.get(name.lower()) if isinstance(name, str) else None
    if fmt is None:
        raise StrategyConfigError(
            f"FSDPStrategy state_dict_type must be 'full' (one file written by rank 0) or 'sharded' (a directory "
            f"of torch.distributed.checkpoint shards; MMEngine's 'local' means the same), got {value!r}")
    return fmt


def _options(**kwargs: Any) -> Any:
    from torch.distributed.checkpoint.state_dict import StateDictOptions

    return StateDictOptions(**kwargs)


def _optim_wrappers(optim_wrapper: Any) -> list[tuple[str | None, Any]]:
    """``[(None, wrapper)]`` for one optimizer wrapper, ``[(name, wrapper), ...]`` for an ``OptimWrapperDict``."""
    inner = getattr(optim_wrapper, "optim_wrappers", None)
    if isinstance(inner, Mapping):
        return list(inner.items())
    return [(None, optim_wrapper)]


def _wrapper_extras(wrapper: Any) -> dict[str, Any]:
    """What an optimizer wrapper's ``state_dict`` holds besides the optimizer's (AMP's ``loss_scaler``)."""
    return {k: v for k, v in wrapper.state_dict().items() if k not in ("state", "param_groups")}


def _load_wrapper_extras(wrapper: Any, extras: Mapping[str, Any]) -> None:
    scaler = extras.get("loss_scaler")
    if scaler is not None and hasattr(wrapper, "loss_scaler"):
        wrapper.loss_scaler.load_state_dict(scaler)


def _param_names(module: nn.Module, optimizer: torch.optim.Optimizer) -> list[list[str]]:
    """The names (``named_parameters``) of the optimizer's parameters, group by group."""
    names = {id(p): n for n, p in module.named_parameters()}
    try:
        return [[names[id(p)] for p in group["params"]] for group in optimizer.param_groups]
    except KeyError as e:
        raise CheckpointError("the optimizer holds a parameter that is not the model's; FSDPStrategy builds the "
                              "optimizer after sharding the model") from e


def _to_indexed(state: Mapping[str, Any]) -> dict[str, Any]:
    """A full optimizer state keyed by parameter names (``get_optimizer_state_dict``) in
    ``torch.optim.Optimizer.state_dict``'s format (parameters numbered in group order), as the
    plain Runner saves it."""
    if not state:
        return {}
    ids: dict[str, int] = {}
    groups = []
    for group in state["param_groups"]:
        groups.append({**group, "params": [ids.setdefault(name, len(ids)) for name in group["params"]]})
    return {"state": {ids[name]: value for name, value in state["state"].items()}, "param_groups": groups}


def _to_named(state: Mapping[str, Any], names: list[list[str]]) -> dict[str, Any]:
    """The inverse of :func:`_to_indexed` for an optimizer whose parameters are ``names``."""
    groups = state.get("param_groups")
    if not isinstance(groups, list) or len(groups) != len(names) or \
            any(len(g.get("params", ())) != len(n) for g, n in zip(groups, names)):
        raise CheckpointError("the checkpoint's optimizer state does not fit this optimizer: its parameter groups "
                              "differ")
    by_index: dict[Any, str] = {}
    new_groups = []
    for group, group_names in zip(groups, names):
        for index, name in zip(group["params"], group_names):
            by_index[index] = name
        new_groups.append({**group, "params": list(group_names)})
    return {"state": {by_index[i]: v for i, v in state.get("state", {}).items() if i in by_index},
            "param_groups": new_groups}


def _turn_on_activation_checkpointing() -> Any:
    from mme.model import turn_on_activation_checkpointing

    return turn_on_activation_checkpointing


@STRATEGIES.register_module()
class FSDPStrategy(BaseStrategy):
    """Fully sharded data parallel (FSDP2, ``torch.distributed.fsdp.fully_shard``).

    Every rank holds a shard of each parameter, of its gradient and of its optimizer state; a
    module's parameters are gathered only while it runs. The model is moved to its device, its
    ``init_weights`` runs (unless ``skip_init_weights``), rank 0's weights are broadcast to the
    others and the model is sharded by ``model_wrapper`` (``MMFullyShardedDataParallel``);
    the optimizer is then built over the sharded parameters.

    Checkpoints: with ``state_dict_type='full'`` the states are gathered to rank 0's CPU (every
    rank takes part) and rank 0 writes one file in the plain Runner's format (the same keys,
    loadable with ``weights_only=True``, usable as ``load_from`` by any Runner). With
    ``'sharded'`` every rank writes its shards with ``torch.distributed.checkpoint`` into a
    checkpoint directory (which a run with another number of processes can read);
    ``mme checkpoint consolidate DIR OUT.pth`` makes one file of it.

    Args:
        model_wrapper: Config of the wrapper (default ``dict(type='MMFullyShardedDataParallel')``);
            its keys are the wrapper's arguments.
        state_dict_cfg: ``'full'`` or ``'sharded'`` (``'local'``, MMEngine's default name, means
            ``'sharded'``), or a dict with ``state_dict_type`` (FSDP1's ``state_dict_config`` and
            ``optim_state_dict_config`` are accepted and ignored).
        state_dict_type: The same as ``state_dict_cfg='...'``; default ``'full'``.
        activation_checkpointing: Submodule names (``model.named_modules()``) whose activations
            are recomputed in backward; applied before sharding.
        skip_init_weights: Do not call the model's ``init_weights`` (e.g. it is loaded anyway).
        auto_wrap_policy: Module classes, class names or submodule names sharded on their own
            before the whole model (see ``MMFullyShardedDataParallel``).
        reshard_after_forward: ``True`` frees gathered parameters after forward (FSDP1's
            ``FULL_SHARD``), ``False`` keeps them for backward (``SHARD_GRAD_OP``).
        mixed_precision: ``fully_shard``'s ``MixedPrecisionPolicy`` as a dict, e.g.
            ``dict(param_dtype='bfloat16', reduce_dtype='float32')``.
        cpu_offload: Keep the shards and the optimizer states on the CPU.
    """

    needs_dist = True
    keeps_group = True  # the parameters are sharded over the group
    full_model_copies = False
    #: The strategy runs ``init_weights`` before sharding; the Runner does not run it again.
    initializes_weights = True

    def __init__(self, model_wrapper: dict | None = None, state_dict_cfg: str | dict | None = None,
                 state_dict_type: str | None = None, activation_checkpointing: str | list[str] | None = None,
                 skip_init_weights: bool = False, auto_wrap_policy: Any = None,
                 reshard_after_forward: bool | int | None = None, mixed_precision: dict | None = None,
                 cpu_offload: bool | None = None) -> None:
        super().__init__()
        if model_wrapper is not None and not isinstance(model_wrapper, dict):
            raise StrategyConfigError(f"FSDPStrategy model_wrapper must be a config dict, got {model_wrapper!r}")
        self.checkpoint_format = self._state_dict_format(state_dict_cfg, state_dict_type)
        if activation_checkpointing is not None and not isinstance(activation_checkpointing, (str, list, tuple)):
            raise StrategyConfigError(f"FSDPStrategy activation_checkpointing must be submodule names, got "
                                      f"{activation_checkpointing!r}")
        self.activation_checkpointing = activation_checkpointing
        self.skip_init_weights = bool(skip_init_weights)
        cfg = dict(model_wrapper or {})
        cfg.setdefault("type", "MMFullyShardedDataParallel")
        given = dict(auto_wrap_policy=auto_wrap_policy, reshard_after_forward=reshard_after_forward,
                     mixed_precision=mixed_precision, cpu_offload=cpu_offload)
        for key in _WRAPPER_KEYS:
            if given[key] is None:
                continue
            if key in cfg and cfg[key] != given[key]:
                raise StrategyConfigError(f"FSDPStrategy: {key} is given both as a strategy argument and in "
                                          f"model_wrapper, with different values")
            cfg[key] = given[key]
        self._check_wrapper_cfg(cfg)
        self.model_wrapper = cfg

    @staticmethod
    def _state_dict_format(state_dict_cfg: Any, state_dict_type: Any) -> str:
        fmt = None
        if isinstance(state_dict_cfg, Mapping):
            unknown = [k for k in state_dict_cfg if k not in _STATE_DICT_CFG_KEYS]
            if unknown:
                raise StrategyConfigError(f"FSDPStrategy state_dict_cfg: unknown keys {unknown}; it takes "
                                          f"{list(_STATE_DICT_CFG_KEYS)}")
            if "state_dict_type" in state_dict_cfg:
                fmt = _format(state_dict_cfg["state_dict_type"])
        elif state_dict_cfg is not None:
            fmt = _format(state_dict_cfg)
        if state_dict_type is not None:
            other = _format(state_dict_type)
            if fmt is not None and fmt != other:
                raise StrategyConfigError(f"FSDPStrategy: state_dict_cfg ({state_dict_cfg!r}) and state_dict_type "
                                          f"({state_dict_type!r}) disagree")
            fmt = other
        return fmt or "full"

    @staticmethod
    def _check_wrapper_cfg(cfg: dict) -> None:
        """Unknown or misspelt wrapper arguments fail now, not when the model is wrapped."""
        wrapper_type = cfg["type"]
        try:
            wrapper_cls = MODEL_WRAPPERS.get(wrapper_type) if isinstance(wrapper_type, str) else wrapper_type
        except KeyError as e:
            raise StrategyConfigError(f"FSDPStrategy model_wrapper: {e}") from e
        if not isinstance(wrapper_cls, type):
            return
        params = inspect.signature(wrapper_cls.__init__).parameters
        if any(p.kind is p.VAR_KEYWORD for p in params.values()):
            return
        accepted = [n for n in params if n not in ("self", "module")]
        for key in cfg:
            if key != "type" and key not in accepted:
                close = difflib.get_close_matches(key, accepted, n=3, cutoff=0.6)
                hint = f"; did you mean {', '.join(map(repr, close))}?" if close else ""
                raise StrategyConfigError(f"FSDPStrategy: {wrapper_cls.__name__} has no argument {key!r}{hint} "
                                          f"(it takes {', '.join(accepted)})")
        if issubclass(wrapper_cls, MMFullyShardedDataParallel):
            from mme.model._fsdp import _names, mixed_precision_policy

            try:
                mixed_precision_policy(cfg.get("mixed_precision"))
                _names(cfg.get("auto_wrap_policy"), "auto_wrap_policy")
            except ValueError as e:
                raise StrategyConfigError(f"FSDPStrategy: {e}") from e

    # -- model -------------------------------------------------------------------------------
    def wrap_model(self, model: nn.Module) -> nn.Module:
        """Move the model to its device, initialise it, give every rank rank 0's weights and shard it."""
        if is_model_wrapper(model):
            raise StrategyConfigError("FSDPStrategy shards the model itself; it cannot take an already wrapped model")
        model = model.to(get_device())
        if not self.skip_init_weights and callable(getattr(model, "init_weights", None)):
            model.init_weights()
        if get_world_size() > 1:  # fully_shard keeps each rank's own slice: start from the same weights
            for value in model.state_dict().values():
                broadcast(value)
        try:
            if self.activation_checkpointing:
                _turn_on_activation_checkpointing()(model, self.activation_checkpointing)
            return MODEL_WRAPPERS.build(dict(self.model_wrapper), default_args=dict(module=model))
        except ValueError as e:  # a name that is not a submodule: the message lists close ones
            raise StrategyConfigError(str(e)) from e

    # -- full states ---------------------------------------------------------------------------
    def model_state_dict(self, model: nn.Module) -> dict[str, Any]:
        """The whole model state gathered to rank 0's CPU (``{}`` on the other ranks). A collective."""
        from torch.distributed.checkpoint.state_dict import get_model_state_dict

        return get_model_state_dict(unwrap(model), options=_options(full_state_dict=True, cpu_offload=True))

    def optim_state_dict(self, optim_wrapper: Any, model: nn.Module) -> dict[str, Any]:
        """The whole optimizer state on rank 0, in ``Optimizer.state_dict``'s format (as the plain Runner's)."""
        from torch.distributed.checkpoint.state_dict import get_optimizer_state_dict

        module = unwrap(model)
        states = {}
        for name, wrapper in _optim_wrappers(optim_wrapper):
            full = get_optimizer_state_dict(module, wrapper.optimizer,
                                            options=_options(full_state_dict=True, cpu_offload=True))
            states[name] = {**_to_indexed(full), **_wrapper_extras(wrapper)}
        return states[None] if None in states else states

    def load_model_state_dict(self, model: nn.Module, state_dict: Mapping[str, Any], strict: bool = False,
                              logger: Any = None) -> list[str]:
        """Load a whole (unsharded) state dict, given on every rank, into the sharded model."""
        from torch.distributed.checkpoint.state_dict import set_model_state_dict

        module = unwrap(model)
        own = {k: v.shape for k, v in module.state_dict().items()}
        filtered, mismatched = {}, []
        for key, value in state_dict.items():
            if key in own and isinstance(value, torch.Tensor) and own[key] != value.shape:
                mismatched.append(f"{key}: checkpoint {tuple(value.shape)} vs model {tuple(own[key])}")
                continue
            if key in own:
                filtered[key] = value
        unexpected = [k for k in state_dict if k not in own]
        set_model_state_dict(module, filtered, options=_options(full_state_dict=True, strict=False))
        missing = [k for k in own if k not in state_dict]
        problems = []
        if unexpected:
            problems.append(f"unexpected keys in source state_dict: {', '.join(unexpected)}")
        if missing:
            problems.append(f"missing keys in source state_dict: {', '.join(missing)}")
        if mismatched:
            problems.append("size mismatch: " + "; ".join(mismatched))
        if problems:
            message = "The model and loaded state dict do not match exactly\n" + "\n".join(problems)
            if strict:
                raise CheckpointError(message)
            (logger or _logger).warning(message)
        return problems

    def load_optim_state_dict(self, optim_wrapper: Any, state_dict: Mapping[str, Any], model: nn.Module) -> None:
        """Load a whole optimizer state (:meth:`optim_state_dict`'s format), given on every rank."""
        from torch.distributed.checkpoint.state_dict import set_optimizer_state_dict

        module = unwrap(model)
        wrappers = _optim_wrappers(optim_wrapper)
        for name, wrapper in wrappers:
            state = state_dict if name is None else state_dict[name]
            named = _to_named(state, _param_names(module, wrapper.optimizer))
            set_optimizer_state_dict(module, wrapper.optimizer, named, options=_options(full_state_dict=True))
            _load_wrapper_extras(wrapper, state)

    # -- sharded checkpoints -------------------------------------------------------------------
    def _sharded_state(self, model: nn.Module, optim_wrapper: Any | None) -> dict[str, Any]:
        from torch.distributed.checkpoint.state_dict import get_model_state_dict, get_optimizer_state_dict

        module = unwrap(model)
        state: dict[str, Any] = {"model": get_model_state_dict(module)}
        if optim_wrapper is not None:
            optim, extras = {}, {}
            for name, wrapper in _optim_wrappers(optim_wrapper):
                key = "" if name is None else name
                optim[key] = get_optimizer_state_dict(module, wrapper.optimizer)
                if _wrapper_extras(wrapper):
                    extras[key] = _wrapper_extras(wrapper)
            state["optimizer"] = optim
            if extras:
                state["optim_wrapper"] = extras
        return state

    def save_shards(self, directory: str, model: nn.Module, optim_wrapper: Any | None) -> None:
        """Write this rank's shards of the model (and optimizer) states with ``torch.distributed.checkpoint``."""
        import torch.distributed.checkpoint as dcp

        dcp.save(self._sharded_state(model, optim_wrapper), checkpoint_id=directory)

    def load_shards(self, directory: str, model: nn.Module, optim_wrapper: Any | None) -> None:
        """Read the model (and optimizer) states from the shards in ``directory`` (any number of writers)."""
        import torch.distributed.checkpoint as dcp
        from torch.distributed.checkpoint.state_dict import set_model_state_dict, set_optimizer_state_dict

        if not osp.isfile(osp.join(directory, ".metadata")):
            raise CheckpointError(f"{directory} has no torch.distributed.checkpoint shards (.metadata)")
        state = self._sharded_state(model, optim_wrapper)
        dcp.load(state, checkpoint_id=directory)
        module = unwrap(model)
        set_model_state_dict(module, state["model"])
        if optim_wrapper is not None:
            for name, wrapper in _optim_wrappers(optim_wrapper):
                key = "" if name is None else name
                set_optimizer_state_dict(module, wrapper.optimizer, state["optimizer"][key])
                _load_wrapper_extras(wrapper, state.get("optim_wrapper", {}).get(key, {}))

    @classmethod
    def consolidate(cls, directory: str) -> dict[str, Any]:  # type: ignore[override]
        """The states of a sharded checkpoint as whole tensors, read in this process (no process group).

        Returns ``{'state_dict': ..., 'optimizer': ...}`` (``optimizer`` keyed by parameter
        names, when the checkpoint has it).

        Note that ``torch.distributed.checkpoint`` stores its metadata (and non-tensor values)
        pickled: consolidate only checkpoints you trust.
        """
        from torch.distributed.checkpoint.format_utils import dcp_to_torch_save

        if not osp.isfile(osp.join(directory, ".metadata")):
            raise CheckpointError(f"{directory} has no torch.distributed.checkpoint shards (.metadata)")
        with tempfile.TemporaryDirectory(prefix="mme_consolidate_") as tmp:
            path = os.path.join(tmp, "full.pth")
            dcp_to_torch_save(directory, path)
            state = torch.load(path, map_location="cpu", weights_only=True)
        result = {"state_dict": state["model"]}
        if "optimizer" in state:
            optim = state["optimizer"]
            result["optimizer"] = optim[""] if set(optim) == {""} else optim
        return result

    def __repr__(self) -> str:
        return (f"FSDPStrategy(model_wrapper={self.model_wrapper!r}, state_dict_type={self.checkpoint_format!r}, "
                f"activation_checkpointing={self.activation_checkpointing!r}, "
                f"skip_init_weights={self.skip_init_weights})")
