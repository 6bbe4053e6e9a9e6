"""The ``Runner``: builds everything from a config and runs training, validation and testing."""

from __future__ import annotations

import contextlib
import copy
import functools
import inspect
import itertools
import logging
import multiprocessing as mp
import os
import os.path as osp
import platform
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import timedelta
from typing import Any

import torch
from torch import nn
from torch.utils.data import DataLoader

from mme.config import Config
from mme.config._config_dict import resolve_lazy
from mme.dist import broadcast, broadcast_object_list, destroy_dist, get_dist_info, is_distributed
from mme.hooks import HOOK_STAGES, Hook, get_priority
from mme.logging import MessageHub, MMLogger
from mme.model import (
    ModelValueError,
    is_model_wrapper,
    turn_on_activation_checkpointing,
    turn_on_efficient_conv_bn_eval,
)
from mme.registry import HOOKS, RUNNERS, VISUALIZERS, DefaultScope, build_path
from mme.strategy import BaseStrategy, DDPStrategy, SingleDeviceStrategy, StrategyConfigError
from mme.utils import import_modules_from_strings, mkdir_or_exist

from ._build_mixin import BuildMixin
from ._build_runner import build_runner_from_cfg
from ._checkpoint_mixin import CheckpointMixin, DeferredLog, checkpoint_backend_args
from ._properties import PropertiesMixin
from ._errors import RunnerConfigError, RunnerStateError
from ._randomness import set_random_seed
from ._signature import close_key
from ._run_end import eval_summary, notify_failure, train_summary
from ._validate import check_runner_config

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
#: Top-level config keys every Runner class reads besides its ``__init__`` arguments.
_CFG_ONLY_KEYS = ("activation_checkpointing", "compile", "custom_imports", "efficient_conv_bn_eval", "runner_type")
#: Keys the plain Runner reads to build its DDPStrategy; FlexibleRunner takes them in ``strategy``.
_DDP_CFG_KEYS = ("find_unused_parameters", "model_wrapper_cfg", "sync_bn")
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


def checked_compile(value: Any) -> bool | dict:
    """The ``compile`` setting, checked: ``True``, ``False`` or a dict of ``torch.compile`` arguments."""
    if not isinstance(value, (bool, dict)):
        raise RunnerConfigError(f"compile must be True, False or a dict of torch.compile arguments, got {value!r}")
    if isinstance(value, dict):
        params = [p for p in inspect.signature(torch.compile).parameters if p != "model"]
        unknown = [k for k in value if k not in params]
        if unknown:
            hints = [close_key(str(k), params) for k in unknown]
            hint = "; ".join(f"did you mean {h!r} for {k!r}?" for k, h in zip(unknown, hints) if h)
            raise RunnerConfigError(f"compile: {', '.join(map(repr, unknown))} not arguments of torch.compile "
                                    f"(which takes {', '.join(params)}){'; ' + hint if hint else ''}")
    return value


def _named(key: str, err: BaseException) -> str:
    """The message of ``err`` led by ``key``, unless a registry build error already names its key."""
    return str(err) if getattr(err, "key_path", None) else f"{key}: {err}"



def resolving_lazy_arguments(init: Callable[..., None]) -> Callable[..., None]:
    """Decorate a Runner's ``__init__`` so that every argument but ``cfg`` has its lazy objects built.

    Classes and functions a pure-Python config imports are lazy objects until used; building them
    on the way in (also when such dicts are passed to the constructor directly, not through
    ``from_cfg``) means every builder and every check sees objects. ``cfg`` keeps them lazy: it
    is dumped as text.
    """
    signature = inspect.signature(init)

    @functools.wraps(init)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> None:
        bound = signature.bind(self, *args, **kwargs)
        for name, value in bound.arguments.items():
            if name not in ("self", "cfg"):
                bound.arguments[name] = resolve_lazy(value)
        init(*bound.args, **bound.kwargs)

    return wrapper


class Runner(PropertiesMixin, BuildMixin, CheckpointMixin):
    """Trains, validates and tests a model; MMEngine's ``Runner`` interface.

    Every component can be an object or a config dict built through the registries. Training
    needs ``train_dataloader``, ``train_cfg`` and ``optim_wrapper`` together; validation
    ``val_dataloader``, ``val_cfg`` and ``val_evaluator``; testing ``test_dataloader``,
    ``test_cfg`` and ``test_evaluator``. A partial group is an error at construction.

    Construction checks the whole configuration before building anything: every component
    config's ``type`` must resolve in its registry and its keys must be arguments of that class
    (a close match is suggested); all problems are raised at once as a
    :class:`RunnerConfigError` naming each key path. The dataloaders, loops, optimizer and
    schedulers themselves are still built lazily, when ``train``/``val``/``test`` needs them.

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
            ``load_from`` if given); a path resumes from that checkpoint. The checkpoint is
            found at construction: a missing one is an error, and one that already holds the
            whole training makes ``train`` a no-op that says so (no run folder is created).
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

    @resolving_lazy_arguments
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
        if launcher not in _LAUNCHERS:
            raise RunnerConfigError(f"launcher must be one of {_LAUNCHERS}, got {launcher!r}")
        if default_hooks is not None and not isinstance(default_hooks, dict):
            raise RunnerConfigError(f"default_hooks must be a dict, got {type(default_hooks).__name__}")
        if custom_hooks is not None and not isinstance(custom_hooks, (list, tuple)):
            raise RunnerConfigError(f"custom_hooks must be a list, got {type(custom_hooks).__name__}")

        self._work_dir = osp.abspath(os.fspath(work_dir))
        if isinstance(cfg, Config):
            self.cfg = copy.deepcopy(cfg)
        elif isinstance(cfg, dict):
            self.cfg = Config(cfg)
        else:
            self.cfg = Config(dict())
        merged_hooks = self._merge_default_hooks(default_hooks)
        check_runner_config(
            type(self), dict(model=model, train_dataloader=train_dataloader, val_dataloader=val_dataloader,
                             test_dataloader=test_dataloader, train_cfg=train_cfg, val_cfg=val_cfg, test_cfg=test_cfg,
                             auto_scale_lr=auto_scale_lr, optim_wrapper=optim_wrapper, param_scheduler=param_scheduler,
                             val_evaluator=val_evaluator, test_evaluator=test_evaluator, default_hooks=merged_hooks,
                             custom_hooks=custom_hooks, data_preprocessor=data_preprocessor, env_cfg=env_cfg,
                             log_processor=log_processor, visualizer=visualizer, default_scope=default_scope,
                             randomness=randomness, launcher=launcher, **self._strategy_arg()),
            cfg=self.cfg if self.cfg else None, known_keys=self._known_cfg_keys(),
            foreign_keys=self._foreign_cfg_keys())
        self._compile = self._compile_arg()
        with build_path("strategy"):
            self.strategy = self._make_strategy(distributed=launcher != "none" or is_distributed())
        mkdir_or_exist(self._work_dir)

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

        # which checkpoint a resume continues from, found before anything is written: a missing
        # one stops here, and a finished run gets no new log folder (its records wait for the logger)
        early_log = DeferredLog()
        ckpt_backend_args = checkpoint_backend_args(merged_hooks, custom_hooks)
        self._resume_from = self.find_resume_checkpoint(ckpt_backend_args, logger=early_log)
        self._nothing_to_do: tuple[str, str] | None = None  # (checkpoint, what to say) of a finished run
        if self._resume_from is not None and train_cfg is not None:
            message = self._completed_run_message(self._resume_from, ckpt_backend_args)
            self._nothing_to_do = None if message is None else (self._resume_from, message)

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
        self._log_level = log_level
        self._log_dir_ready = False

        if default_scope is not None:
            self.default_scope = DefaultScope.get_instance(self._instance_name, scope_name=default_scope)
        if self._nothing_to_do is None:
            self._open_log_dir()
        else:  # nothing will run: log to the console only, create no folder
            self.logger = MMLogger.get_instance(self._instance_name, logger_name="mme", log_level=log_level)
        early_log.replay(self.logger)
        self.message_hub = self.build_message_hub()
        with build_path("visualizer"):  # build errors name the config key
            self.visualizer = self.build_visualizer(visualizer)
        if self.cfg and self._log_dir_ready:
            self.visualizer.add_config(self.cfg)

        if isinstance(model, dict) and data_preprocessor is not None:
            model = dict(model)
            model.setdefault("data_preprocessor", data_preprocessor)
        with build_path("model"):
            self.model = self.build_model(model)
        self._prepare_model(self.model)
        with build_path("model_wrapper_cfg"):
            self.model = self.wrap_model(self.cfg.get("model_wrapper_cfg"), self.model)
        self.model = self.strategy.compile_model(self.model, self._compile)
        self._model_name = type(self.model.module if is_model_wrapper(self.model) else self.model).__name__

        self.logger.info(
            f"launcher: {self._launcher}, distributed: {self._distributed}, world_size: {self._world_size}, "
            f"seed: {self._seed}, deterministic: {self._deterministic}, model: {type(self.model).__name__}, "
            f"strategy: {self.strategy!r}")
        self.register_hooks(default_hooks, custom_hooks)
        with build_path("log_processor"):
            self.log_processor = self.build_log_processor(log_processor)
        if self._log_dir_ready:
            self.dump_config()

    # -- construction ------------------------------------------------------------------------
    @classmethod
    def from_cfg(cls, cfg: Config | dict) -> Runner:
        """Build a Runner from a config (as read by ``Config.fromfile``)."""
        cfg = copy.deepcopy(cfg) if isinstance(cfg, Config) else Config(cfg)
        return cls._from_cfg(cfg)

    @classmethod
    def _from_cfg(cls, cfg: Config, **overrides: Any) -> Runner:
        """Build from a checked config; ``overrides`` add or replace constructor arguments."""
        if "model" not in cfg or "work_dir" not in cfg:
            missing = [k for k in ("model", "work_dir") if k not in cfg]
            raise RunnerConfigError(f"the config lacks {', '.join(repr(m) for m in missing)}")
        imports = cfg.get("custom_imports")
        if imports:
            import_modules_from_strings(**dict(imports))
        kwargs = dict(
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
        kwargs.update(overrides)
        return cls(**kwargs)

    @classmethod
    def _known_cfg_keys(cls) -> set[str]:
        """Top-level config keys a Runner of this class reads."""
        params = inspect.signature(cls.__init__).parameters
        return {name for name in params if name not in ("self", "cfg")} | set(_CFG_ONLY_KEYS) | set(_DDP_CFG_KEYS)

    @classmethod
    def _foreign_cfg_keys(cls) -> dict[str, str]:
        """Top-level keys another Runner class reads, with what to do instead (an error here)."""
        return {"strategy": "'strategy' is read by FlexibleRunner, not by Runner; add runner_type='FlexibleRunner' "
                            "to the config (or build mme.runner.FlexibleRunner) to train with a strategy"}

    # -- strategy ----------------------------------------------------------------------------
    def _strategy_arg(self) -> dict[str, Any]:
        """The ``strategy`` argument to check with the other components (FlexibleRunner's)."""
        return {}

    def _compile_arg(self) -> bool | dict:
        """``compile``: ``True``/``False`` or ``torch.compile`` keyword arguments (the config key)."""
        return checked_compile(self.cfg.get("compile", False) if self.cfg else False)

    def _make_strategy(self, distributed: bool) -> BaseStrategy:
        """The plain Runner's strategy: ``DDPStrategy`` from its config keys when distributed."""
        cfg = self.cfg
        if distributed:
            strategy: BaseStrategy = DDPStrategy(model_wrapper=cfg.get("model_wrapper_cfg"), sync_bn=cfg.get("sync_bn"),
                                                 find_unused_parameters=cfg.get("find_unused_parameters", False))
        else:
            strategy = SingleDeviceStrategy(sync_bn=cfg.get("sync_bn"))
        return strategy

    def _prepare_model(self, model: nn.Module) -> None:
        """Apply ``efficient_conv_bn_eval`` and ``activation_checkpointing`` (config keys, module names)."""
        conv_bn = self.cfg.get("efficient_conv_bn_eval") if self.cfg else None
        if conv_bn:
            turn_on_efficient_conv_bn_eval(model, conv_bn)
        checkpointed = self.cfg.get("activation_checkpointing") if self.cfg else None
        if checkpointed:
            try:
                turn_on_activation_checkpointing(model, checkpointed)
            except ModelValueError as e:
                raise RunnerConfigError(f"activation_checkpointing: {e}") from e

    def _open_log_dir(self) -> None:
        """Create the run's log folder and the logger writing ``<log_dir>/<timestamp>.log`` (once)."""
        if self._log_dir_ready:
            return
        mkdir_or_exist(self._log_dir)
        self.logger = self.build_logger(log_level=self._log_level)
        self._log_dir_ready = True

    def _start_run_folder(self) -> None:
        """Open the log folder a finished run's Runner skipped, once something does run (``val``/``test``)."""
        if self._log_dir_ready:
            return
        self._open_log_dir()
        if self.cfg:
            self.visualizer.add_config(self.cfg)
        self.dump_config()

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
        dist_cfg = dict(env_cfg.get("dist_cfg") or {})
        timeout = dist_cfg.get("timeout")
        if isinstance(timeout, (int, float)):
            dist_cfg["timeout"] = timedelta(seconds=timeout)
        if dist_cfg.get("backend", "nccl") == "nccl" and not torch.cuda.is_available():
            dist_cfg["backend"] = "gloo"
        self._dist_cfg = dist_cfg
        self._owns_dist = False
        self._start_dist()
        if is_distributed():
            self._distributed = True
        self._rank, self._world_size = get_dist_info()

    def _start_dist(self) -> None:
        """Create the process group of a launched run unless one exists (again after ``_end_dist``)."""
        if self._launcher == "none" or is_distributed():
            return
        self.strategy.init_dist(self._launcher, **self._dist_cfg)
        self._owns_dist = True
        model = getattr(self, "model", None)
        if isinstance(model, torch.nn.parallel.DistributedDataParallel):
            # the wrapper communicates through the group it was made with, which is gone
            self.model = self.wrap_model(self.cfg.get("model_wrapper_cfg"), model.module)

    def _end_dist(self) -> None:
        """Destroy the process group if this Runner created it; the next run creates a fresh one.

        A strategy whose model is sharded over the group (``keeps_group``: FSDP, DeepSpeed)
        keeps it until the process exits, when ``init_dist``'s exit handler destroys it.
        """
        if self._owns_dist and not self.strategy.keeps_group:
            destroy_dist()
            self._owns_dist = False

    @contextlib.contextmanager
    def _running(self) -> Iterator[None]:
        """The span of ``train``/``val``/``test``: the process group this Runner made exists only
        within it, and the hooks hear of a failure (the group is then left to ``init_dist``'s exit
        handler, since other ranks may still be inside a collective)."""
        self._start_dist()
        try:
            yield
        except BaseException as exc:
            notify_failure(self, exc)
            raise
        self._end_dist()

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
        """Move the model to its device and wrap it as the strategy does (DDP when distributed).

        The plain Runner's ``DDPStrategy`` is built from the config's ``model_wrapper_cfg``; a
        ``model_wrapper_cfg`` given here for an already wrapped model is an error.
        """
        if is_model_wrapper(model) and model_wrapper_cfg is not None:
            raise RunnerConfigError("model is already wrapped; model_wrapper_cfg cannot be applied")
        try:
            return self.strategy.wrap_model(model)
        except StrategyConfigError as e:
            raise RunnerConfigError(f"{type(self.strategy).__name__}: {e}") from e

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
        merged = self._merge_default_hooks(hooks)
        for key, value in merged.items():
            if value is None:
                continue
            try:
                with build_path(f"default_hooks.{key}"):
                    self.register_hook(value)
            except (KeyError, TypeError, ValueError) as e:
                raise RunnerConfigError(_named(f"default_hooks.{key}", e)) from e

    @staticmethod
    def _merge_default_hooks(hooks: dict | None) -> dict[str, Any]:
        """The default hooks by key, each replaced or (a dict without ``type``) tuned by ``hooks[key]``."""
        merged: dict[str, Any] = copy.deepcopy(_DEFAULT_HOOKS)
        for key, value in (hooks or {}).items():
            if isinstance(value, dict) and "type" not in value and key in _DEFAULT_HOOKS:
                value = {**_DEFAULT_HOOKS[key], **value}  # dict(interval=5) tunes the default hook
            merged[key] = value
        return merged

    def register_custom_hooks(self, hooks: list) -> None:
        """Register extra hooks."""
        for i, hook in enumerate(hooks):
            try:
                with build_path(f"custom_hooks.{i}"):
                    self.register_hook(hook)
            except (KeyError, TypeError, ValueError) as e:
                raise RunnerConfigError(_named(f"custom_hooks.{i}", e)) from e

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
        if getattr(self.strategy, "initializes_weights", False):  # done before sharding (FSDPStrategy)
            return
        model: Any = self.model.module if is_model_wrapper(self.model) else self.model
        if callable(getattr(model, "init_weights", None)):
            model.init_weights()
            if self._world_size > 1:
                for value in model.state_dict().values():
                    broadcast(value)

    def train(self) -> nn.Module:
        """Train the model (then validate as configured) and return it.

        The run ends with a one-line summary at INFO level (see ``train_summary``); the table of
        hooks per stage is logged at DEBUG level.
        """
        start = time.perf_counter()
        if self._train_loop is None:
            raise RunnerStateError(
                "train() needs train_dataloader, train_cfg and optim_wrapper, which were not given")
        model = self.model.module if is_model_wrapper(self.model) else self.model
        if not hasattr(model, "train_step"):
            raise RunnerStateError(f"{type(model).__name__} has no train_step; subclass mme.model.BaseModel")
        if self._nothing_to_do is not None:
            checkpoint, message = self._nothing_to_do
            if not self._has_loaded:
                self.load_completed_run(checkpoint)
            self.logger.warning(message)
            return self.model
        self._train_loop = self.build_train_loop(self._train_loop)
        self.optim_wrapper = self.build_optim_wrapper(self.optim_wrapper)
        self.scale_lr(self.optim_wrapper, self.auto_scale_lr)
        if self.param_schedulers is not None:
            self.param_schedulers = self.build_param_scheduler(self.param_schedulers)
        if self._val_loop is not None:
            self._val_loop = self.build_val_loop(self._val_loop)
        if self.logger.isEnabledFor(logging.DEBUG):
            self.logger.debug("Hooks will be executed in the following order:\n" + self.get_hooks_info())
        with self._running():
            self.call_hook("before_run")
            self._init_model_weights()
            self.load_or_resume()
            if hasattr(self.optim_wrapper, "initialize_count_status"):
                self.optim_wrapper.initialize_count_status(self.model, self._train_loop.iter,
                                                           self._train_loop.max_iters)
            self._is_training = True
            try:
                result = self.train_loop.run()
            finally:
                self._is_training = False
            self.call_hook("after_run")
        self.logger.info(train_summary(self, time.perf_counter() - start))
        return result

    def val(self) -> dict:
        """Validate the model and return the metrics; the run ends with a one-line summary."""
        start = time.perf_counter()
        if self._val_loop is None:
            raise RunnerStateError("val() needs val_dataloader, val_cfg and val_evaluator, which were not given")
        self._start_run_folder()
        self._val_loop = self.build_val_loop(self._val_loop)
        with self._running():
            self.call_hook("before_run")
            self.load_or_resume()
            metrics = self.val_loop.run()
            self.call_hook("after_run")
        self.logger.info(eval_summary("val", metrics, time.perf_counter() - start))
        return metrics

    def test(self) -> dict:
        """Test the model and return the metrics; the run ends with a one-line summary."""
        start = time.perf_counter()
        if self._test_loop is None:
            raise RunnerStateError("test() needs test_dataloader, test_cfg and test_evaluator, which were not given")
        self._start_run_folder()
        self._test_loop = self.build_test_loop(self._test_loop)
        with self._running():
            self.call_hook("before_run")
            self.load_or_resume()
            metrics = self.test_loop.run()
            self.call_hook("after_run")
        self.logger.info(eval_summary("test", metrics, time.perf_counter() - start))
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
RUNNERS.build_func = build_runner_from_cfg  # RUNNERS.build(cfg) picks the class by runner_type

# FlexibleRunner registers itself in RUNNERS when its module is imported; importing it here makes
# `runner_type='FlexibleRunner'` resolve wherever the Runner is (it subclasses Runner: imported last).
from . import _flexible  # noqa: E402, F401
