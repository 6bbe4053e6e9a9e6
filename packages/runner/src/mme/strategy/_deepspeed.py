"""``DeepSpeedStrategy``: train through a DeepSpeed engine (ZeRO stages 0-3), checkpoint with its own files.

``deepspeed`` is imported only when the strategy is built (a missing package is a
:class:`MissingPackageError` then, before anything trains). On a machine without a GPU DeepSpeed
picks its CPU accelerator (set ``DS_ACCELERATOR=cpu`` to skip the probe) and the gloo backend;
its first use JIT-compiles a small shared-memory communication extension into
``TORCH_EXTENSIONS_DIR`` (``~/.cache/torch_extensions`` by default).
"""

from __future__ import annotations

import copy
import difflib
import glob
import json
import os.path as osp
from typing import Any

import torch
from torch import nn

from mme.device import get_device
from mme.model import is_model_wrapper
from mme.model._deepspeed import MMDeepSpeedEngineWrapper
from mme.optim import build_optim_wrapper
from mme.optim._deepspeed import DeepSpeedOptimWrapper
from mme.registry import STRATEGIES

from ._base import BaseStrategy, unwrap
from ._errors import CheckpointError, StrategyConfigError, require_package

__all__ = ["DeepSpeedStrategy"]

#: The tag (sub-directory) of the engine's checkpoint inside a sharded checkpoint directory.
TAG = "deepspeed"

# Top-level keys of DeepSpeed's configuration documented at https://www.deepspeed.ai/docs/config-json/
# (some are read outside ``DeepSpeedConfig``); the keys the installed DeepSpeedConfig reads are added.
_DOCUMENTED_KEYS = frozenset({
    "train_batch_size", "train_micro_batch_size_per_gpu", "gradient_accumulation_steps", "optimizer", "scheduler",
    "communication_data_type", "prescale_gradients", "gradient_predivide_factor", "sparse_gradients", "fp16",
    "bf16", "bfloat16", "amp", "gradient_clipping", "zero_optimization", "zero_allow_untested_optimizer",
    "zero_force_ds_cpu_optimizer", "aio", "activation_checkpointing", "flops_profiler", "autotuning",
    "sparse_attention", "data_efficiency", "curriculum_learning", "compression_training", "checkpoint",
    "data_types", "tensorboard", "wandb", "csv_monitor", "comet", "comms_logger", "elasticity", "steps_per_print",
    "wall_clock_breakdown", "dump_state", "memory_breakdown", "dataloader_drop_last", "pipeline",
    "progressive_layer_drop", "eigenvalue", "quantize_training", "hybrid_engine", "nebula", "compile",
    "weight_quantization", "torch_autocast", "timers", "tensor_parallel", "sequence_parallel_size",
    "use_data_before_expert_parallelism", "disable_allgather", "vocabulary_size", "log_level",
})


def _read_keys() -> set[str]:
    """The top-level keys the installed ``DeepSpeedConfig`` reads (recorded from a dry parse), or none."""
    try:
        from deepspeed.runtime.config import DeepSpeedConfig
    except Exception:  # noqa: BLE001 - another DeepSpeed layout: the documented keys only
        return set()

    class _Keys:
        def __init__(self, owner: _Recorder) -> None:
            self.owner = owner

        def __contains__(self, key: object) -> bool:
            self.owner.seen.add(key)
            return dict.__contains__(self.owner, key)

        def __iter__(self) -> Any:
            return iter(dict.keys(self.owner))

        def __len__(self) -> int:
            return dict.__len__(self.owner)

    class _Recorder(dict):
        def __init__(self, *args: Any) -> None:
            super().__init__(*args)
            self.seen: set = set()

        def get(self, key: Any, *default: Any) -> Any:
            self.seen.add(key)
            return super().get(key, *default)

        def __getitem__(self, key: Any) -> Any:
            self.seen.add(key)
            return super().__getitem__(key)

        def __contains__(self, key: object) -> bool:
            self.seen.add(key)
            return super().__contains__(key)

        def keys(self) -> Any:  # type: ignore[override]
            return _Keys(self)

    recorder = _Recorder({"train_micro_batch_size_per_gpu": 1})
    parser = DeepSpeedConfig.__new__(DeepSpeedConfig)
    parser.world_size, parser.global_rank = 1, 0
    try:
        parser._initialize_params(recorder)
    except Exception:  # noqa: BLE001 - keep what was read before the failure
        pass
    return {k for k in recorder.seen if isinstance(k, str)}


_KNOWN_KEYS: frozenset[str] | None = None


def _known_keys() -> frozenset[str]:
    global _KNOWN_KEYS
    if _KNOWN_KEYS is None:
        _KNOWN_KEYS = _DOCUMENTED_KEYS | frozenset(_read_keys())
    return _KNOWN_KEYS


def _did_you_mean(key: str, candidates: Any) -> str:
    close = difflib.get_close_matches(key, sorted(candidates), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def _section_models() -> dict[str, Any]:
    """DeepSpeed's own (pydantic) models of config sections, where this DeepSpeed has them."""
    models: dict[str, Any] = {}
    try:
        from deepspeed.runtime.zero.config import DeepSpeedZeroConfig

        models["zero_optimization"] = DeepSpeedZeroConfig
    except Exception:  # noqa: BLE001
        pass
    try:
        from deepspeed.runtime.precision_config import DeepSpeedBF16Config, DeepSpeedFP16Config

        models["fp16"] = DeepSpeedFP16Config
        models["bf16"] = DeepSpeedBF16Config
    except Exception:  # noqa: BLE001
        pass
    return models


def _field_names(model: Any, depth: int = 0) -> set[str]:
    names: set[str] = set()
    for name, field in getattr(model, "model_fields", {}).items():
        names.add(name)
        if field.alias:
            names.add(field.alias)
        sub = field.annotation
        if depth < 3 and isinstance(sub, type) and hasattr(sub, "model_fields"):
            names |= _field_names(sub, depth + 1)
    return names


def check_deepspeed_config(config: dict[str, Any]) -> None:
    """Raise :class:`StrategyConfigError` for a key DeepSpeed does not know, naming it and a close match.

    Top-level keys are checked against the documented ones and those the installed
    ``DeepSpeedConfig`` reads; ``zero_optimization``, ``fp16`` and ``bf16`` are validated by
    DeepSpeed's own pydantic models (unknown keys and bad values).
    """
    known = _known_keys()
    for key in config:
        if key not in known:
            raise StrategyConfigError(
                f"DeepSpeedStrategy: {key!r} is not a DeepSpeed config key{_did_you_mean(str(key), known)} "
                f"(see https://www.deepspeed.ai/docs/config-json/)")
    for section, model in _section_models().items():
        value = config.get(section)
        if not isinstance(value, dict):
            continue
        try:
            model(**value)
        except Exception as e:  # noqa: BLE001 - pydantic.ValidationError, without importing pydantic here
            errors = e.errors() if callable(getattr(e, "errors", None)) else []
            for err in errors:
                where = ".".join(str(p) for p in (section, *err.get("loc", ())))
                if err.get("type") == "extra_forbidden":
                    last = str(err["loc"][-1]) if err.get("loc") else ""
                    raise StrategyConfigError(
                        f"DeepSpeedStrategy: {where} is not a DeepSpeed config key"
                        f"{_did_you_mean(last, _field_names(model))}") from None
            detail = "; ".join(f"{'.'.join(str(p) for p in (section, *x.get('loc', ())))}: {x.get('msg')}"
                               for x in errors) or str(e)
            raise StrategyConfigError(f"DeepSpeedStrategy: invalid {section}: {detail}") from None


@STRATEGIES.register_module()
class DeepSpeedStrategy(BaseStrategy):
    """Train through ``deepspeed.initialize``'s engine: ZeRO stages 0-3, fp16/bf16, DeepSpeed checkpoints.

    The keys are MMEngine's; each one that is not ``None`` is put into the DeepSpeed config
    (over the same key of ``config``). The merged config is checked when the strategy is built
    (an unknown key is an error naming it and a close match), so before anything trains.

    The engine is built in :meth:`build_optim_wrapper` from the ``optim_wrapper`` config's
    ``optimizer`` (and ``paramwise_cfg``/``constructor``); the ``optim_wrapper`` type is
    ``DeepSpeedOptimWrapper`` (the default here). Gradient clipping and accumulation are the
    engine's: ``gradient_clipping`` and ``gradient_accumulation_steps`` here, not ``clip_grad``
    or ``accumulative_counts`` in ``optim_wrapper``. ``train_micro_batch_size_per_gpu``
    defaults to the train dataloader's batch size.

    Checkpoints are ``'sharded'``: a directory holding the engine's ``save_checkpoint`` files
    (under the tag ``'deepspeed'``) besides the Runner's ``extras.pth``; ``mme checkpoint
    consolidate`` makes one fp32 weights file of it with DeepSpeed's ``zero_to_fp32`` helpers.

    Args:
        config: A DeepSpeed config dict or the path of a JSON file.
        zero_optimization: DeepSpeed's ``zero_optimization`` section, e.g. ``dict(stage=2)``.
        gradient_clipping: Max gradient norm (``0``/``None``: no clipping).
        fp16: DeepSpeed's ``fp16`` section.
        bf16: DeepSpeed's ``bf16`` section.
        amp: DeepSpeed's ``amp`` section (NVIDIA apex).
        inputs_to_half: Keys or positions of the model inputs cast to half precision
            (``MMDeepSpeedEngineWrapper``).
        activation_checkpointing: DeepSpeed's ``activation_checkpointing`` section.
        aio: DeepSpeed's ``aio`` section (NVMe offload).
        train_micro_batch_size_per_gpu: Default: the train dataloader's batch size.
        gradient_accumulation_steps: Backward passes per optimizer step.
        steps_per_print: DeepSpeed's own progress print interval (large: mme's LoggerHook logs).
        exclude_frozen_parameters: Leave parameters without ``requires_grad`` out of checkpoints.

    ``zero_allow_untested_optimizer`` defaults to ``True``: mme builds the optimizer from its
    registry (SGD, ...), which DeepSpeed otherwise refuses under ZeRO unless it is Adam(W).
    """

    needs_dist = True
    checkpoint_format = "sharded"
    keeps_group = True  # the engine holds the group (ZeRO partitions over it)
    full_model_copies = False

    def __init__(self, config: dict | str | None = None, zero_optimization: dict | None = None,
                 gradient_clipping: float | None = None, fp16: dict | None = None, bf16: dict | None = None,
                 amp: dict | None = None, inputs_to_half: list[int | str] | None = None,
                 activation_checkpointing: dict | None = None, aio: dict | None = None,
                 train_micro_batch_size_per_gpu: int | None = None, gradient_accumulation_steps: int | None = None,
                 steps_per_print: int = 10_000_000_000_000, exclude_frozen_parameters: bool | None = None) -> None:
        super().__init__()
        self._deepspeed: Any = require_package("deepspeed", "DeepSpeedStrategy", "deepspeed")
        if config is None:
            merged: dict[str, Any] = {}
        elif isinstance(config, dict):
            merged = copy.deepcopy(dict(config))
        elif isinstance(config, str):
            if not osp.isfile(config):
                raise StrategyConfigError(f"DeepSpeedStrategy config {config!r} is not a file")
            try:
                with open(config, encoding="utf-8") as f:
                    merged = json.load(f)
            except ValueError as e:
                raise StrategyConfigError(f"DeepSpeedStrategy config {config}: not valid JSON: {e}") from e
            if not isinstance(merged, dict):
                raise StrategyConfigError(f"DeepSpeedStrategy config {config}: the JSON must be an object")
        else:
            raise StrategyConfigError(f"DeepSpeedStrategy config must be a dict or a JSON path, got {config!r}")
        for key, value in dict(zero_optimization=zero_optimization, gradient_clipping=gradient_clipping, fp16=fp16,
                               bf16=bf16, amp=amp, activation_checkpointing=activation_checkpointing, aio=aio,
                               train_micro_batch_size_per_gpu=train_micro_batch_size_per_gpu,
                               gradient_accumulation_steps=gradient_accumulation_steps,
                               steps_per_print=steps_per_print).items():
            if value is not None:
                merged[key] = copy.deepcopy(value)
        merged.setdefault("zero_allow_untested_optimizer", True)
        check_deepspeed_config(merged)
        self.config = merged
        self.inputs_to_half = inputs_to_half
        self.exclude_frozen_parameters = bool(exclude_frozen_parameters)
        self._train_batch_size: int | None = None

    # -- model -------------------------------------------------------------------------------
    def wrap_model(self, model: nn.Module) -> nn.Module:
        """Move the model to its device and wrap it in ``MMDeepSpeedEngineWrapper`` (the engine comes later)."""
        if isinstance(model, MMDeepSpeedEngineWrapper):
            return model
        if is_model_wrapper(model):
            raise StrategyConfigError(f"DeepSpeedStrategy wraps the model itself; got an already wrapped "
                                      f"{type(model).__name__}")
        return MMDeepSpeedEngineWrapper(model.to(get_device()), inputs_to_half=self.inputs_to_half)

    def set_train_batch_size(self, batch_size: int | None) -> None:
        """The train dataloader's batch size: ``train_micro_batch_size_per_gpu`` when not configured.

        Called by the Runner before :meth:`build_optim_wrapper`.
        """
        self._train_batch_size = batch_size

    def engine_config(self) -> dict[str, Any]:
        """The DeepSpeed config the engine is built with (the batch size filled in)."""
        config = copy.deepcopy(self.config)
        if "train_micro_batch_size_per_gpu" not in config:
            if self._train_batch_size is None and "train_batch_size" not in config:
                raise StrategyConfigError(
                    "DeepSpeedStrategy needs train_micro_batch_size_per_gpu: set it, or give the Runner a "
                    "train_dataloader with a batch_size")
            if self._train_batch_size is not None:
                config["train_micro_batch_size_per_gpu"] = self._train_batch_size
        return config

    # -- optimizer ---------------------------------------------------------------------------
    def build_optim_wrapper(self, optim_wrapper: dict, model: nn.Module) -> Any:
        """Build the optimizer, then the engine (``deepspeed.initialize``) around the model and it.

        The engine is attached to the ``MMDeepSpeedEngineWrapper`` (the Runner's model) and to the
        returned ``DeepSpeedOptimWrapper``.
        """
        cfg = self._check_attach_once(optim_wrapper, model, MMDeepSpeedEngineWrapper, DeepSpeedOptimWrapper,
                                      "the DeepSpeed engine does the backward, clipping, accumulation and loss scaling")
        for key, where in (("clip_grad", "gradient_clipping"), ("accumulative_counts", "gradient_accumulation_steps")):
            if cfg.get(key) not in (None, 1):
                raise StrategyConfigError(
                    f"optim_wrapper {key}={cfg[key]!r} is not used with DeepSpeed: set "
                    f"strategy=dict(type='DeepSpeedStrategy', {where}=...) instead")
        wrapper = build_optim_wrapper(model.module, cfg)
        config = self.engine_config()
        engine, *_ = self._deepspeed.initialize(model=model.module, optimizer=wrapper.optimizer, config=config)
        model.attach_engine(engine)
        wrapper.engine = engine
        return wrapper

    # -- states ------------------------------------------------------------------------------
    @staticmethod
    def _engine(model: nn.Module) -> Any:
        return getattr(model, "engine", None)

    def _gathered(self, module: nn.Module, modifier_rank: int | None) -> Any:
        return self._deepspeed.zero.GatheredParameters(list(module.parameters()), modifier_rank=modifier_rank)

    def model_state_dict(self, model: nn.Module) -> dict[str, Any]:
        """The whole model state (ZeRO-3's partitioned parameters gathered: a collective)."""
        engine, module = self._engine(model), unwrap(model)
        if engine is not None and engine.zero_optimization_partition_weights():
            with self._gathered(module, modifier_rank=None):
                return {k: v.detach().clone() for k, v in module.state_dict().items()}
        return module.state_dict()

    def load_model_state_dict(self, model: nn.Module, state_dict: Any, strict: bool = False,
                              logger: Any = None) -> list[str]:
        """Load a whole state dict (a plain checkpoint file) into the engine's model and its ZeRO master copy."""
        engine = self._engine(model)
        if engine is None:
            return super().load_model_state_dict(model, state_dict, strict=strict, logger=logger)
        if engine.zero_optimization_partition_weights():
            with self._gathered(unwrap(model), modifier_rank=0):
                result = super().load_model_state_dict(model, state_dict, strict=strict, logger=logger)
        else:
            result = super().load_model_state_dict(model, state_dict, strict=strict, logger=logger)
        refresh = getattr(engine.optimizer, "refresh_fp32_params", None)
        if callable(refresh):
            refresh()
        return result

    # -- sharded checkpoints -------------------------------------------------------------------
    def save_shards(self, directory: str, model: nn.Module, optim_wrapper: Any | None) -> None:
        """``engine.save_checkpoint(directory, tag='deepspeed')`` on every rank.

        DeepSpeed always writes the optimizer state with the model's; ``optim_wrapper=None``
        only means the Runner will not read it back.
        """
        engine = self._engine(model)
        if engine is None:
            raise CheckpointError("DeepSpeedStrategy saves checkpoints through its engine, which is built with the "
                                  "optimizer wrapper (train() builds it)")
        # save_latest: ZeRO-3's weights-only load reads the tag from the 'latest' file, whatever tag it is given
        engine.save_checkpoint(directory, tag=TAG, client_state={}, save_latest=True,
                               exclude_frozen_parameters=self.exclude_frozen_parameters)

    def load_shards(self, directory: str, model: nn.Module, optim_wrapper: Any | None) -> None:
        """``engine.load_checkpoint`` (the optimizer too when ``optim_wrapper`` is given).

        Without an engine (``val``/``test`` without training) the consolidated weights are
        loaded into the model.
        """
        if not osp.isdir(osp.join(directory, TAG)):
            raise CheckpointError(f"{directory} has no DeepSpeed checkpoint (no {TAG}/ directory in it)")
        engine = self._engine(model)
        if engine is None:
            state = self.consolidate(directory)["state_dict"]
            super().load_model_state_dict(model, state, strict=True)
            return
        with_optimizer = optim_wrapper is not None
        load_path, _ = engine.load_checkpoint(directory, tag=TAG, load_module_strict=True,
                                              load_optimizer_states=with_optimizer, load_lr_scheduler_states=False,
                                              load_module_only=not with_optimizer)
        if load_path is None:
            raise CheckpointError(f"DeepSpeed could not load the checkpoint in {directory}")

    @classmethod
    def consolidate(cls, directory: str) -> dict[str, Any]:  # type: ignore[override]
        """The fp32 weights of the checkpoint ``directory`` in one state dict (no process group).

        ZeRO checkpoints go through DeepSpeed's ``zero_to_fp32`` helpers; a stage-0 one holds the
        whole model already. A classmethod, so ``mme checkpoint consolidate`` needs no engine.
        """
        require_package("deepspeed", "DeepSpeedStrategy", "deepspeed")
        tag_dir = osp.join(directory, TAG)
        if not osp.isdir(tag_dir):
            raise CheckpointError(f"{directory} has no DeepSpeed checkpoint (no {TAG}/ directory in it)")
        if glob.glob(osp.join(tag_dir, "*optim_states.pt")):
            from deepspeed.utils.zero_to_fp32 import get_fp32_state_dict_from_zero_checkpoint

            state = get_fp32_state_dict_from_zero_checkpoint(directory, tag=TAG)
        else:
            model_file = osp.join(tag_dir, "mp_rank_00_model_states.pt")
            if not osp.isfile(model_file):
                raise CheckpointError(f"{tag_dir} holds neither ZeRO shards nor {osp.basename(model_file)}")
            state = torch.load(model_file, map_location="cpu", weights_only=False)["module"]
        return {"state_dict": {k: v.detach().float().clone() if v.is_floating_point() else v.detach().clone()
                               for k, v in state.items()}}

    def __repr__(self) -> str:
        return f"DeepSpeedStrategy(config={self.config!r})"
