"""The ``Runner``: builds everything from a config and runs training, validation and testing."""

from __future__ import annotations

import copy
import inspect
import itertools
import logging
import multiprocessing as mp
import os
import os.path as osp
import platform
import time
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import torch
from torch import nn
from torch.utils.data import DataLoader

from mme.config import Config
from mme.device import get_device
from mme.dist import broadcast, broadcast_object_list, get_dist_info, init_dist, is_distributed
from mme.hooks import HOOK_STAGES, Hook, get_priority
from mme.logging import MessageHub, MMLogger
from mme.model import MMDistributedDataParallel, convert_sync_batchnorm, is_model_wrapper
from mme.registry import HOOKS, MODEL_WRAPPERS, RUNNERS, VISUALIZERS, DefaultScope
from mme.utils import import_modules_from_strings, mkdir_or_exist

from ._base_loop import BaseLoop
from ._build_mixin import BuildMixin
from ._checkpoint_mixin import CheckpointMixin
from ._properties import PropertiesMixin
from ._errors import RunnerConfigError, RunnerStateError
from ._randomness import set_random_seed

__all__ = ["Runner"]

logger = logging.getLogger(__name__)

_LAUNCHERS = ("none", "pytorch", "slurm", "mpi")
_DEFAULT_HOOKS: dict[str, dict[str, Any]] = {
    "runtime_info": dict(type="RuntimeInfoHook"),
    "timer": dict(type="IterTimerHook"),
    "sampler_seed": dict(type="DistSamplerSeedHook"),
    "logger": dict(type="LoggerHook"),
    "param_scheduler": dict(type="ParamSchedulerHook"),
    "checkpoint": dict(type="CheckpointHook", interval=1),
}
_NAME_COUNTER = itertools.count(1)
_USED_NAMES: set[str] = set()
_USED_LOG_DIRS: set[str] = set()


def _check_group(names: Sequence[str], values: Sequence[Any]) -> None:
    given = [n for n, v in zip(names, values) if v is not None]
    if given and len(given) != len(names):
        missing = [n for n, v in zip(names, values) if v is None]
        raise RunnerConfigError(
            f"{', '.join(names)} must be given together or not at all; got {', '.join(given)} "
            f"but not {', '.join(missing)}")


def _check_train_cfg(train_cfg: Any) -> None:
    if train_cfg is None or isinstance(train_cfg, BaseLoop):
        return
    if not isinstance(train_cfg, dict):
        raise RunnerConfigError(f"train_cfg must be a dict or a loop, got {type(train_cfg).__name__}")
    if "type" in train_cfg and "by_epoch" in train_cfg:
        raise RunnerConfigError("train_cfg takes either 'type' or 'by_epoch', not both")
    if "type" in train_cfg:
        return
    by_epoch = train_cfg.get("by_epoch", "max_iters" not in train_cfg)
    needed = "max_epochs" if by_epoch else "max_iters"
    if needed not in train_cfg:
        raise RunnerConfigError(f"train_cfg with by_epoch={by_epoch} needs {needed!r}, got keys {sorted(train_cfg)}")


class Runner(PropertiesMixin, BuildMixin, CheckpointMixin):
    """Trains, validates and tests a model; MMEngine's ``Runner`` interface.

    Every component can be an object or a config dict built through the registries. Training
    needs ``train_dataloader``, ``train_cfg`` and ``optim_wrapper`` together; validation
    ``val_dataloader``, ``val_cfg`` and ``val_evaluator``; testing ``test_dataloader``,
    ``test_cfg`` and ``test_evaluator``. A partial group is an error at construction.

    Args:
        model: An ``nn.Module`` (usually a ``BaseModel``) or its ``MODELS`` config.
        work_dir: Directory for logs, the dumped config and checkpoints.
        train_dataloader, val_dataloader, test_dataloader: DataLoaders or their configs.
        train_cfg: Training loop config: ``dict(by_epoch=True, max_epochs=12, val_interval=1)``,
            ``dict(by_epoch=False, max_iters=1000)`` or ``dict(type='MyLoop', ...)``.
        val_cfg, test_cfg: Evaluation loop configs (``dict()`` for the default loops).
        auto_scale_lr: ``dict(enable=True, base_batch_size=N)`` scales the learning rates by the
            real total batch size over ``base_batch_size``.
        optim_wrapper: An ``OptimWrapper`` or its config.
        param_scheduler: Scheduler config(s) or objects.
        val_evaluator, test_evaluator: Evaluators, metric configs or lists of metric configs.
        default_hooks: Overrides of the default hooks by key (``runtime_info``, ``timer``,
            ``sampler_seed``, ``logger``, ``param_scheduler``, ``checkpoint``); ``None`` removes one.
        custom_hooks: More hooks (configs or objects).
        data_preprocessor: Default ``data_preprocessor`` of a model config.
        load_from: Checkpoint whose weights are loaded before running.
        resume: ``True`` resumes from the latest checkpoint in ``work_dir`` (or from
            ``load_from`` if given); a path resumes from that checkpoint.
        launcher: ``'none'``, ``'pytorch'`` (torchrun), ``'slurm'`` or ``'mpi'``.
        env_cfg: ``cudnn_benchmark``, ``mp_cfg`` (``mp_start_method``, ``opencv_num_threads``) and
            ``dist_cfg`` (``backend``, ``timeout`` in seconds, ...).
        log_processor: ``LogProcessor`` config.
        log_level: Logging level.
        visualizer: ``Visualizer`` or its config (default: LocalVisBackend into the log dir).
        default_scope: Registry scope used to build components.
        randomness: ``dict(seed=None, deterministic=False, diff_rank_seed=False)``.
        experiment_name: Name of the run (default: config name plus timestamp).
        cfg: The full config, dumped to the work dir and saved in checkpoints.
        weights_only: How ``load_from`` and ``resume`` read checkpoints: ``True`` (default) refuses
            pickled objects beyond tensors and plain data; ``False`` is the opt-out for trusted
            legacy checkpoints (e.g. MMEngine's).
    """

    cfg: Config

    def __init__(self, model: nn.Module | dict, work_dir: str, train_dataloader: DataLoader | dict | None = None,
                 val_dataloader: DataLoader | dict | None = None, test_dataloader: DataLoader | dict | None = None,
                 train_cfg: dict | None = None, val_cfg: dict | None = None, test_cfg: dict | None = None,
                 auto_scale_lr: dict | None = None, optim_wrapper: Any = None, param_scheduler: Any = None,
                 val_evaluator: Any = None, test_evaluator: Any = None, default_hooks: dict | None = None,
                 custom_hooks: list | None = None, data_preprocessor: dict | None = None,
                 load_from: str | None = None, resume: bool | str = False, launcher: str = "none",
                 env_cfg: dict | None = None, log_processor: dict | None = None, log_level: str | int = "INFO",
                 visualizer: Any = None, default_scope: str = "mme",
                 randomness: dict | None = None, experiment_name: str | None = None,
                 cfg: Config | dict | None = None, weights_only: bool = True) -> None:
        if not isinstance(work_dir, (str, os.PathLike)):
            raise RunnerConfigError(f"work_dir must be a path, got {type(work_dir).__name__}")
        _check_group(("train_dataloader", "train_cfg", "optim_wrapper"), (train_dataloader, train_cfg, optim_wrapper))
        _check_group(("val_dataloader", "val_cfg", "val_evaluator"), (val_dataloader, val_cfg, val_evaluator))
        _check_group(("test_dataloader", "test_cfg", "test_evaluator"), (test_dataloader, test_cfg, test_evaluator))
        if param_scheduler is not None and optim_wrapper is None:
            raise RunnerConfigError("param_scheduler needs optim_wrapper (and train_dataloader, train_cfg)")
        _check_train_cfg(train_cfg)
        if launcher not in _LAUNCHERS:
            raise RunnerConfigError(f"launcher must be one of {_LAUNCHERS}, got {launcher!r}")
        if default_hooks is not None and not isinstance(default_hooks, dict):
            raise RunnerConfigError(f"default_hooks must be a dict, got {type(default_hooks).__name__}")
        if custom_hooks is not None and not isinstance(custom_hooks, (list, tuple)):
            raise RunnerConfigError(f"custom_hooks must be a list, got {type(custom_hooks).__name__}")

        self._work_dir = osp.abspath(os.fspath(work_dir))
        mkdir_or_exist(self._work_dir)
        if isinstance(cfg, Config):
            self.cfg = copy.deepcopy(cfg)
        elif isinstance(cfg, dict):
            self.cfg = Config(cfg)
        else:
            self.cfg = Config(dict())

        self._train_dataloader = train_dataloader
        self._train_loop: Any = train_cfg
        self.optim_wrapper = optim_wrapper
        self.auto_scale_lr = auto_scale_lr
        self.param_schedulers = param_scheduler
        self._val_dataloader = val_dataloader
        self._val_loop: Any = val_cfg
        self._val_evaluator = val_evaluator
        self._test_dataloader = test_dataloader
        self._test_loop: Any = test_cfg
        self._test_evaluator = test_evaluator
        self._launcher = launcher
        self._distributed = launcher != "none"
        self._load_from = load_from
        self._resume = resume
        self._has_loaded = False
        self._weights_only = weights_only
        self._resuming = False
        self._is_training = False
        self._hooks: list[Hook] = []
        self._stage_cache: dict[str, list[Any]] = {}

        env_cfg = dict(dist_cfg=dict(backend="nccl")) if env_cfg is None else env_cfg
        self.setup_env(env_cfg)
        self._randomness_cfg = dict(randomness) if randomness else dict(seed=None)
        self.set_randomness(**self._randomness_cfg)

        self._timestamp = self._make_timestamp()
        if experiment_name is not None:
            self._experiment_name = f"{experiment_name}_{self._timestamp}"
        elif self.cfg.filename is not None:
            stem = osp.splitext(osp.basename(self.cfg.filename))[0]
            self._experiment_name = f"{stem}_{self._timestamp}"
        else:
            self._experiment_name = self._timestamp
        self._instance_name = self._unique_name(self._experiment_name)
        # a second Runner of this process in the same work_dir and second gets its own log folder
        log_dir = osp.join(self.work_dir, self._timestamp)
        for n in itertools.count(1):
            if log_dir not in _USED_LOG_DIRS:
                break
            log_dir = osp.join(self.work_dir, f"{self._timestamp}-{n}")
        _USED_LOG_DIRS.add(log_dir)
        self._log_dir = log_dir
        mkdir_or_exist(self._log_dir)

        if default_scope is not None:
            self.default_scope = DefaultScope.get_instance(self._instance_name, scope_name=default_scope)
        self.logger = self.build_logger(log_level=log_level)
        self.message_hub = self.build_message_hub()
        self.visualizer = self.build_visualizer(visualizer)
        if self.cfg:
            self.visualizer.add_config(self.cfg)

        if isinstance(model, dict) and data_preprocessor is not None:
            model = dict(model)
            model.setdefault("data_preprocessor", data_preprocessor)
        self.model = self.build_model(model)
        self.model = self.wrap_model(self.cfg.get("model_wrapper_cfg"), self.model)
        self._model_name = type(self.model.module if is_model_wrapper(self.model) else self.model).__name__

        self.logger.info(
            f"launcher: {self._launcher}, distributed: {self._distributed}, world_size: {self._world_size}, "
            f"seed: {self._seed}, deterministic: {self._deterministic}, model: {type(self.model).__name__}")
        self.register_hooks(default_hooks, custom_hooks)
        self.log_processor = self.build_log_processor(log_processor)
        self.dump_config()

    # -- construction ------------------------------------------------------------------------
    @classmethod
    def from_cfg(cls, cfg: Config | dict) -> Runner:
        """Build a Runner from a config (as read by ``Config.fromfile``)."""
        cfg = copy.deepcopy(cfg) if isinstance(cfg, Config) else Config(cfg)
        if "model" not in cfg or "work_dir" not in cfg:
            missing = [k for k in ("model", "work_dir") if k not in cfg]
            raise RunnerConfigError(f"the config lacks {', '.join(repr(m) for m in missing)}")
        imports = cfg.get("custom_imports")
        if imports:
            import_modules_from_strings(**dict(imports))
        return cls(
            model=cfg["model"], work_dir=cfg["work_dir"], train_dataloader=cfg.get("train_dataloader"),
            val_dataloader=cfg.get("val_dataloader"), test_dataloader=cfg.get("test_dataloader"),
            train_cfg=cfg.get("train_cfg"), val_cfg=cfg.get("val_cfg"), test_cfg=cfg.get("test_cfg"),
            auto_scale_lr=cfg.get("auto_scale_lr"), optim_wrapper=cfg.get("optim_wrapper"),
            param_scheduler=cfg.get("param_scheduler"), val_evaluator=cfg.get("val_evaluator"),
            test_evaluator=cfg.get("test_evaluator"), default_hooks=cfg.get("default_hooks"),
            custom_hooks=cfg.get("custom_hooks"), data_preprocessor=cfg.get("data_preprocessor"),
            load_from=cfg.get("load_from"), resume=cfg.get("resume", False), launcher=cfg.get("launcher", "none"),
            env_cfg=cfg.get("env_cfg", dict(dist_cfg=dict(backend="nccl"))),
            log_processor=cfg.get("log_processor"), log_level=cfg.get("log_level", "INFO"),
            visualizer=cfg.get("visualizer"), default_scope=cfg.get("default_scope", "mme"),
            randomness=cfg.get("randomness", dict(seed=None)), experiment_name=cfg.get("experiment_name"), cfg=cfg,
            weights_only=cfg.get("weights_only", True))

    def setup_env(self, env_cfg: dict) -> None:
        """Apply ``cudnn_benchmark`` and ``mp_cfg``, and initialize distributed training if launched."""
        env_cfg = dict(env_cfg)
        if env_cfg.get("cudnn_benchmark"):
            torch.backends.cudnn.benchmark = True
        mp_cfg = dict(env_cfg.get("mp_cfg") or {})
        method = mp_cfg.get("mp_start_method")
        if method is not None and platform.system() != "Windows":
            if mp.get_start_method(allow_none=True) != method:
                mp.set_start_method(method, force=True)
        threads = mp_cfg.get("opencv_num_threads")
        if threads is not None:
            try:
                import cv2
            except ImportError:
                pass
            else:
                cv2.setNumThreads(threads)
        if self._distributed and not is_distributed():
            dist_cfg = dict(env_cfg.get("dist_cfg") or {})
            timeout = dist_cfg.get("timeout")
            if isinstance(timeout, (int, float)):
                dist_cfg["timeout"] = timedelta(seconds=timeout)
            if dist_cfg.get("backend", "nccl") == "nccl" and not torch.cuda.is_available():
                dist_cfg["backend"] = "gloo"
            init_dist(self._launcher, **dist_cfg)
        if is_distributed():
            self._distributed = True
        self._rank, self._world_size = get_dist_info()

    def set_randomness(self, seed: int | None = None, diff_rank_seed: bool = False,
                       deterministic: bool = False) -> None:
        """Seed every generator (see ``randomness``)."""
        self._deterministic = deterministic
        self._seed = set_random_seed(seed=seed, deterministic=deterministic, diff_rank_seed=diff_rank_seed)

    def _make_timestamp(self) -> str:
        holder = [time.strftime("%Y%m%d_%H%M%S", time.localtime())]
        if self._world_size > 1:
            broadcast_object_list(holder, src=0)
        return holder[0]

    @staticmethod
    def _unique_name(name: str) -> str:
        unique = name
        while unique in _USED_NAMES:
            unique = f"{name}-{next(_NAME_COUNTER)}"
        _USED_NAMES.add(unique)
        return unique

    def build_logger(self, log_level: int | str = "INFO", log_file: str | None = None, **kwargs: Any) -> MMLogger:
        """Create this run's logger, writing to ``<log_dir>/<timestamp>.log``."""
        if log_file is None:
            log_file = osp.join(self._log_dir, f"{self._timestamp}.log")
        kwargs.setdefault("name", self._instance_name)
        return MMLogger.get_instance(logger_name="mme", log_file=log_file, log_level=log_level, **kwargs)

    def build_message_hub(self, message_hub: dict | None = None) -> MessageHub:
        """Create this run's message hub."""
        cfg = dict(message_hub or {})
        cfg.setdefault("name", self._instance_name)
        return MessageHub.get_instance(**cfg)

    def build_visualizer(self, visualizer: Any = None) -> Any:
        """Create this run's ``Visualizer`` (default: scalars and config under ``<log_dir>/vis_data``)."""
        from mme.visualization import Visualizer  # matplotlib is slow to import: only when building

        if isinstance(visualizer, Visualizer):
            return visualizer
        if visualizer is None:
            visualizer = dict(type="Visualizer", vis_backends=[dict(type="LocalVisBackend")])
        cfg = dict(visualizer)
        cfg.setdefault("type", "Visualizer")
        cfg["name"] = self._unique_name(cfg["name"]) if "name" in cfg else self._instance_name
        cfg.setdefault("save_dir", self._log_dir)
        return VISUALIZERS.build(cfg)

    def wrap_model(self, model_wrapper_cfg: dict | None, model: nn.Module) -> nn.Module:
        """Move the model to the device and, when distributed, wrap it (MMDistributedDataParallel)."""
        if is_model_wrapper(model):
            if model_wrapper_cfg is not None:
                raise RunnerConfigError("model is already wrapped; model_wrapper_cfg cannot be applied")
            return model
        sync_bn = self.cfg.get("sync_bn")
        if sync_bn is not None:
            model = convert_sync_batchnorm(model, sync_bn)
        model = model.to(get_device())
        if not self._distributed:
            return model
        device_ids = [int(os.environ.get("LOCAL_RANK", 0))] if torch.cuda.is_available() else None
        if model_wrapper_cfg is None:
            # torch >= 2.13 renamed broadcast_buffers (and warns on the old name)
            ddp_params = inspect.signature(torch.nn.parallel.DistributedDataParallel.__init__).parameters
            sync = {"forward_sync_buffers": False} if "forward_sync_buffers" in ddp_params else {
                "broadcast_buffers": False}
            return MMDistributedDataParallel(module=model, device_ids=device_ids,
                                             find_unused_parameters=self.cfg.get("find_unused_parameters", False),
                                             **sync)
        cfg = dict(model_wrapper_cfg)
        cfg.setdefault("type", "MMDistributedDataParallel")
        wrapper_cls = MODEL_WRAPPERS.get(cfg["type"]) if isinstance(cfg["type"], str) else cfg["type"]
        default_args: dict[str, Any] = dict(module=model)
        if issubclass(wrapper_cls, torch.nn.parallel.DistributedDataParallel):
            default_args["device_ids"] = device_ids
        return MODEL_WRAPPERS.build(cfg, default_args=default_args)

    def dump_config(self) -> None:
        """Write the config to ``<work_dir>/<config file name>`` (main process only)."""
        if self._rank != 0 or not self.cfg:
            return
        name = osp.basename(self.cfg.filename) if self.cfg.filename else f"{self._experiment_name}.py"
        self.cfg.dump(osp.join(self.work_dir, name))

    # -- hooks -------------------------------------------------------------------------------
    def register_hook(self, hook: Hook | dict, priority: int | str | None = None) -> None:
        """Insert a hook after the registered hooks of lower or equal priority value."""
        if isinstance(hook, dict):
            cfg = dict(hook)
            cfg_priority = cfg.pop("priority", None)
            hook_obj = HOOKS.build(cfg)
            if priority is None and cfg_priority is not None:
                priority = cfg_priority
        elif isinstance(hook, Hook):
            hook_obj = hook
        else:
            raise RunnerConfigError(f"a hook must be a Hook or a dict, got {type(hook).__name__}")
        if priority is not None:
            hook_obj.priority = priority
        value = get_priority(hook_obj.priority)
        index = 0
        for i in range(len(self._hooks) - 1, -1, -1):
            if value >= get_priority(self._hooks[i].priority):
                index = i + 1
                break
        self._hooks.insert(index, hook_obj)
        self._stage_cache.clear()

    def register_default_hooks(self, hooks: dict | None = None) -> None:
        """Register the default hooks, each replaced by ``hooks[key]`` if given (``None`` removes it).

        A replacement without ``type`` updates the default hook's arguments instead.
        """
        merged: dict[str, Any] = copy.deepcopy(_DEFAULT_HOOKS)
        for key, value in (hooks or {}).items():
            if isinstance(value, dict) and "type" not in value and key in _DEFAULT_HOOKS:
                value = {**_DEFAULT_HOOKS[key], **value}  # dict(interval=5) tunes the default hook
            merged[key] = value
        for key, value in merged.items():
            if value is None:
                continue
            try:
                self.register_hook(value)
            except (KeyError, TypeError, ValueError) as e:
                raise RunnerConfigError(f"default_hooks.{key}: {e}") from e

    def register_custom_hooks(self, hooks: list) -> None:
        """Register extra hooks."""
        for i, hook in enumerate(hooks):
            try:
                self.register_hook(hook)
            except (KeyError, TypeError, ValueError) as e:
                raise RunnerConfigError(f"custom_hooks[{i}]: {e}") from e

    def register_hooks(self, default_hooks: dict | None = None, custom_hooks: list | None = None) -> None:
        """Register the default and then the custom hooks."""
        self.register_default_hooks(default_hooks)
        if custom_hooks is not None:
            self.register_custom_hooks(custom_hooks)

    def call_hook(self, fn_name: str, **kwargs: Any) -> None:
        """Call stage ``fn_name`` of every hook that implements it, in priority order."""
        methods = self._stage_cache.get(fn_name)
        if methods is None:
            if fn_name not in HOOK_STAGES:
                raise RunnerConfigError(f"unknown hook stage {fn_name!r}; stages are {', '.join(HOOK_STAGES)}")
            methods = [getattr(h, fn_name) for h in self._hooks if fn_name in h.get_triggered_stages()]
            self._stage_cache[fn_name] = methods
        for method in methods:
            method(self, **kwargs)

    def get_hooks_info(self) -> str:
        """A table of the hooks called at each stage, with their priorities."""
        lines = []
        for stage in HOOK_STAGES:
            hooks = [h for h in self._hooks if stage in h.get_triggered_stages()]
            if not hooks:
                continue
            lines.append(f"{stage}:")
            for hook in hooks:
                p = hook.priority
                name = p.name if hasattr(p, "name") else str(p)
                lines.append(f"({name:<12}) {type(hook).__name__}")
            lines.append(" -------------------- ")
        return "\n".join(lines)

    # -- running -----------------------------------------------------------------------------
    def _init_model_weights(self) -> None:
        model: Any = self.model.module if is_model_wrapper(self.model) else self.model
        if callable(getattr(model, "init_weights", None)):
            model.init_weights()
            if self._world_size > 1:
                for value in model.state_dict().values():
                    broadcast(value)

    def train(self) -> nn.Module:
        """Train the model (then validate as configured) and return it."""
        if self._train_loop is None:
            raise RunnerStateError(
                "train() needs train_dataloader, train_cfg and optim_wrapper, which were not given")
        model = self.model.module if is_model_wrapper(self.model) else self.model
        if not hasattr(model, "train_step"):
            raise RunnerStateError(f"{type(model).__name__} has no train_step; subclass mme.model.BaseModel")
        self._train_loop = self.build_train_loop(self._train_loop)
        self.optim_wrapper = self.build_optim_wrapper(self.optim_wrapper)
        self.scale_lr(self.optim_wrapper, self.auto_scale_lr)
        if self.param_schedulers is not None:
            self.param_schedulers = self.build_param_scheduler(self.param_schedulers)
        if self._val_loop is not None:
            self._val_loop = self.build_val_loop(self._val_loop)
        self.logger.info("Hooks will be executed in the following order:\n" + self.get_hooks_info())
        self.call_hook("before_run")
        self._init_model_weights()
        self.load_or_resume()
        if hasattr(self.optim_wrapper, "initialize_count_status"):
            self.optim_wrapper.initialize_count_status(self.model, self._train_loop.iter, self._train_loop.max_iters)
        self._is_training = True
        try:
            result = self.train_loop.run()
        finally:
            self._is_training = False
        self.call_hook("after_run")
        return result

    def val(self) -> dict:
        """Validate the model and return the metrics."""
        if self._val_loop is None:
            raise RunnerStateError("val() needs val_dataloader, val_cfg and val_evaluator, which were not given")
        self._val_loop = self.build_val_loop(self._val_loop)
        self.call_hook("before_run")
        self.load_or_resume()
        metrics = self.val_loop.run()
        self.call_hook("after_run")
        return metrics

    def test(self) -> dict:
        """Test the model and return the metrics."""
        if self._test_loop is None:
            raise RunnerStateError("test() needs test_dataloader, test_cfg and test_evaluator, which were not given")
        self._test_loop = self.build_test_loop(self._test_loop)
        self.call_hook("before_run")
        self.load_or_resume()
        metrics = self.test_loop.run()
        self.call_hook("after_run")
        return metrics

    def scale_lr(self, optim_wrapper: Any, auto_scale_lr: dict | None = None) -> None:
        """Scale every learning rate by (world size x batch size) / ``base_batch_size`` if enabled."""
        if not auto_scale_lr or not auto_scale_lr.get("enable", False):
            return
        if "base_batch_size" not in auto_scale_lr:
            raise RunnerConfigError("auto_scale_lr with enable=True needs 'base_batch_size'")
        batch_size = self.train_dataloader.batch_size
        if batch_size is None:
            raise RunnerConfigError("auto_scale_lr needs the train dataloader's batch_size")
        real = self._world_size * batch_size
        ratio = real / auto_scale_lr["base_batch_size"]
        inner = getattr(optim_wrapper, "optim_wrappers", None)
        wrappers = inner.values() if isinstance(inner, dict) else [optim_wrapper]
        for wrapper in wrappers:
            for group in wrapper.optimizer.param_groups:
                group["lr"] = group["lr"] * ratio
        self.logger.info(f"LR is set based on batch size of {auto_scale_lr['base_batch_size']} and the current "
                         f"batch size is {real}. Scaling the original LR by {ratio}.")


RUNNERS.register_module(module=Runner)
