"""Checking a Runner's whole configuration before anything is built or run.

:func:`check_runner_config` walks every component config the Runner will build (hooks, loops,
optimizer and optim wrapper, schedulers, evaluators and metrics, visualizer and backends,
dataloaders with their sampler, collate function, dataset and pipeline, model and model
wrapper, log processor, ``randomness``, ``env_cfg``, ``auto_scale_lr``). For each it resolves
``type`` through the registry that will build it (honouring ``_scope_`` and the default scope)
and binds the config's keys, plus the arguments the Runner adds when it builds (a sampler gets
``dataset`` and ``seed``, a loop ``runner`` and ``dataloader``, ...), against the signature of
the class or function. Nothing is constructed.

How a signature is read, ``**kwargs`` included, is in :mod:`._signature`.

Every problem (unknown key with its closest accepted name, missing required argument, type no
registry knows) is collected with its key path and raised once as a
:class:`~mme.runner.RunnerConfigError`.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from torch.utils.data import DataLoader

from mme.config._lazy import build_lazy
from mme.optim import DefaultOptimWrapperConstructor, OptimWrapperDict
from mme.registry import (
    DATA_SAMPLERS,
    DATASETS,
    EVALUATOR,
    FUNCTIONS,
    HOOKS,
    LOG_PROCESSORS,
    LOOPS,
    METRICS,
    MODEL_WRAPPERS,
    MODELS,
    OPTIM_WRAPPER_CONSTRUCTORS,
    OPTIM_WRAPPERS,
    OPTIMIZERS,
    PARAM_SCHEDULERS,
    STRATEGIES,
    TRANSFORMS,
    VISBACKENDS,
    VISUALIZERS,
    DefaultScope,
    Registry,
)

from ._base_loop import BaseLoop
from ._errors import RunnerConfigError
from ._eval_loops import TestLoop, ValLoop
from ._signature import close_key, signature_spec, suggest
from ._train_loops import EpochBasedTrainLoop, IterBasedTrainLoop

if TYPE_CHECKING:
    from mme.config import Config

__all__ = ["check_runner_config"]

#: ``env_cfg`` keys ``Runner.setup_env`` reads (and MMEngine's ``resource_limit``, which MMEngine
#: configs carry), and the keys of its ``mp_cfg``.
ENV_CFG_KEYS = ("cudnn_benchmark", "dist_cfg", "mp_cfg", "resource_limit")
MP_CFG_KEYS = ("mp_start_method", "opencv_num_threads")
AUTO_SCALE_LR_KEYS = ("base_batch_size", "enable")

_MISSING: Any = object()
_KW = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)


def _keyword_names(fn: Any) -> set[str]:
    return {p.name for p in inspect.signature(fn).parameters.values() if p.kind in _KW}


def _as_dict(cfg: Mapping) -> dict[str, Any]:
    # A plain dict from a pure-Python config may hold lazily imported classes: check what they are.
    return {key: build_lazy(value) for key, value in cfg.items()}


def _first_line(err: BaseException) -> str:
    return str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__


class _Checker:
    """Collects ``(key path, problem)`` pairs while walking a Runner's configuration."""

    def __init__(self, runner_cls: type[Any]) -> None:
        self.runner_cls = runner_cls
        self.problems: list[tuple[str, str]] = []

    def add(self, path: str, message: str) -> None:
        self.problems.append((path, message))

    # -- one component -----------------------------------------------------------------------
    def resolve(self, path: str, type_: Any, registry: Registry, scope: str | None) -> Any:
        """The class or function ``type_`` names in ``registry`` (``None`` after recording why not)."""
        if not isinstance(type_, str):
            if callable(type_):
                return type_
            self.add(path, f"'type' must be a registered name or a class/callable, got {type(type_).__name__} "
                           f"{type_!r}")
            return None
        try:
            with registry.switch_scope_and_registry(scope) as switched:
                try:
                    return switched.get(type_)
                except KeyError:
                    if switched is registry:
                        raise
                    return registry.get(type_)
        except (KeyError, ImportError, TypeError, ValueError) as err:
            self.add(path, _first_line(err))
            return None

    def bind(self, path: str, obj: Any, keys: Iterable[str], defaults: Iterable[str] = (), fill: int = 0) -> None:
        """Check that ``obj`` accepts ``keys`` as keyword arguments, with ``defaults`` added by the Runner.

        ``fill`` is the number of leading positional arguments the caller passes itself (the
        batch a collate function receives, ``self`` of a method).
        """
        spec = signature_spec(obj, self.runner_cls)
        keys = [str(k) for k in keys]
        filled = set(spec.positional[:fill])
        suggested: set[str] = set()
        if spec.accepted is not None:
            names = spec.accepted - filled
            for key in keys:
                if key in names:
                    continue
                if key in filled:
                    self.add(path, f"{spec.name} gets {key!r} from its caller; remove it from the config")
                    continue
                hint = suggest(key, names)
                if hint is not None:
                    suggested.add(hint)
                    self.add(path, f"{spec.name} has no argument {key!r}; did you mean {hint!r}?")
                else:
                    shown = ", ".join(sorted(names - set(defaults)))
                    self.add(path, f"{spec.name} has no argument {key!r} " + (f"(it takes: {shown})" if shown
                                                                               else "(it takes none)"))
            for key in defaults:
                if key not in keys and key not in names:
                    self.add(path, f"{spec.name} has no argument {key!r}, which the Runner passes when it builds it")
        given = set(keys) | set(defaults) | filled
        missing = [r for r in spec.required if r not in given and r not in suggested]  # a typo says it already
        if missing:
            what = "argument" if len(missing) == 1 else "arguments"
            self.add(path, f"{spec.name} is missing the required {what} {', '.join(repr(m) for m in missing)}")

    def component(self, path: str, cfg: Any, registry: Registry, default_type: Any = None,
                  defaults: Iterable[str] = (), fill: int = 0, drop: Iterable[str] = ()) -> Any:
        """Check a ``dict(type=..., **args)`` config; objects (already built) are not checked."""
        if not isinstance(cfg, Mapping):
            return None
        args = _as_dict(cfg)
        scope = args.pop("_scope_", None)
        type_ = args.pop("type", default_type)
        if type_ is None:
            self.add(path, f"needs a 'type' (a name in the {registry.name!r} registry); got keys "
                           f"{sorted(map(str, args))}")
            return None
        obj = self.resolve(path, type_, registry, scope)
        if obj is None:
            return None
        for key in drop:
            args.pop(key, None)
        self.bind(path, obj, args, defaults, fill)
        return obj

    def keys(self, path: str, cfg: Any, known: Iterable[str]) -> None:
        """Check a plain dict whose keys must be among ``known``."""
        if cfg is None:
            return
        if not isinstance(cfg, Mapping):
            self.add(path, f"must be a dict, got {type(cfg).__name__}")
            return
        known = sorted(known)
        for key in map(str, cfg):
            if key not in known:
                hint = suggest(key, known)
                tail = f"; did you mean {hint!r}?" if hint else f" (known keys: {', '.join(known)})"
                self.add(path, f"unknown key {key!r}{tail}")

    # -- sections ----------------------------------------------------------------------------
    def hooks(self, default_hooks: Mapping[str, Any], custom_hooks: Any) -> list[tuple[str, Any]]:
        """Check the hook configs; return each hook's key path and class (``None`` if unknown)."""
        paths = [(f"default_hooks.{key}", cfg) for key, cfg in default_hooks.items()]
        paths += [(f"custom_hooks.{i}", cfg) for i, cfg in enumerate(custom_hooks or ())]
        found = []
        for path, cfg in paths:
            hook = self.component(path, cfg, HOOKS, drop=("priority",))
            if getattr(hook, "kwargs_config", None) is not None:
                self.kwargs_config(path, hook, cfg)
            found.append((path, hook if isinstance(cfg, Mapping) or cfg is None else type(cfg)))
        return found

    def hooks_fit_strategy(self, hooks: list[tuple[str, Any]], strategy: Any) -> None:
        """Hooks that copy the whole model cannot run under a strategy that splits it over the ranks."""
        if strategy is None or getattr(strategy, "full_model_copies", True):
            return
        for path, hook in hooks:
            if getattr(hook, "copies_model", False):
                self.add(path, f"{hook.__name__} keeps a whole copy of the model, which {strategy.__name__} splits "
                               f"over the ranks (in memory or in its checkpoints): not supported; remove the hook or "
                               f"train with DDPStrategy")

    def kwargs_config(self, path: str, cls: type, cfg: Mapping) -> None:
        """Check the config a class builds from its ``**kwargs`` (its ``kwargs_config`` says which:
        the argument naming the type, the registry, the arguments the class passes itself)."""
        type_arg, registry, passed = cls.kwargs_config
        params = inspect.signature(cls).parameters
        args = {k: v for k, v in _as_dict(cfg).items() if k not in params and k not in ("type", "_scope_", "priority")}
        args["type"] = cfg.get(type_arg, params[type_arg].default)
        self.component(path, args, registry, defaults=passed)

    def train_loop(self, cfg: Any) -> None:
        if cfg is None or isinstance(cfg, BaseLoop):
            return
        if not isinstance(cfg, Mapping):
            self.add("train_cfg", f"must be a dict or a loop, got {type(cfg).__name__}")
            return
        args = _as_dict(cfg)
        if "type" in args:
            if "by_epoch" in args:
                self.add("train_cfg", "takes either 'type' or 'by_epoch', not both")
                return
            self.component("train_cfg", args, LOOPS, defaults=("runner", "dataloader"))
            return
        by_epoch = args.pop("by_epoch", "max_iters" not in args)
        loop = EpochBasedTrainLoop if by_epoch else IterBasedTrainLoop
        self.bind("train_cfg", loop, args, defaults=("runner", "dataloader"))

    def eval_loop(self, mode: str, cfg: Any) -> None:
        path = f"{mode}_cfg"
        if cfg is None or isinstance(cfg, BaseLoop):
            return
        if not isinstance(cfg, Mapping):
            self.add(path, f"must be a dict or a loop, got {type(cfg).__name__}")
            return
        defaults = ("runner", "dataloader", "evaluator")
        if "type" in cfg:
            self.component(path, cfg, LOOPS, defaults=defaults)
        else:
            self.bind(path, ValLoop if mode == "val" else TestLoop, _as_dict(cfg), defaults)

    def dataloader(self, path: str, cfg: Any) -> None:
        if cfg is None or not isinstance(cfg, Mapping):
            return
        args = _as_dict(cfg)
        dataset = args.pop("dataset", _MISSING)
        if dataset is _MISSING:
            self.add(path, "needs a 'dataset'")
        else:
            self.dataset(f"{path}.dataset", dataset)
        sampler = args.pop("sampler", _MISSING)
        if sampler is _MISSING:
            self.add(path, "needs a 'sampler', e.g. sampler=dict(type='DefaultSampler', shuffle=True)")
        else:
            self.component(f"{path}.sampler", sampler, DATA_SAMPLERS, defaults=("dataset", "seed"))
        batch_sampler = args.pop("batch_sampler", None)
        if isinstance(batch_sampler, Mapping):
            args.pop("batch_size", None)
            self.component(f"{path}.batch_sampler", batch_sampler, DATA_SAMPLERS, defaults=("sampler", "batch_size"))
        for key in ("collate_fn", "worker_init_fn"):
            fn = args.pop(key, None)
            if isinstance(fn, Mapping):
                self.component(f"{path}.{key}", fn, FUNCTIONS, fill=1)
            elif fn is not None and not callable(fn):
                self.add(f"{path}.{key}", f"must be a dict or a callable, got {fn!r}")
        self.bind(path, DataLoader, args, defaults=("batch_sampler", "collate_fn", "dataset", "sampler",
                                                   "worker_init_fn"))

    def dataset(self, path: str, cfg: Any) -> None:
        if self.component(path, cfg, DATASETS) is None:
            return
        nested = cfg.get("dataset")
        if isinstance(nested, Mapping):
            self.dataset(f"{path}.dataset", nested)
        nested_list = cfg.get("datasets")
        if isinstance(nested_list, (list, tuple)):
            for i, item in enumerate(nested_list):
                self.dataset(f"{path}.datasets.{i}", item)
        pipeline = cfg.get("pipeline")
        if isinstance(pipeline, (list, tuple)):
            for i, step in enumerate(pipeline):
                self.transform(f"{path}.pipeline.{i}", step)

    def transform(self, path: str, cfg: Any) -> None:
        """Check a pipeline step whose type TRANSFORMS knows (others are left to the dataset)."""
        if not isinstance(cfg, Mapping):
            return
        type_ = cfg.get("type")
        if isinstance(type_, str):
            try:
                with TRANSFORMS.switch_scope_and_registry(cfg.get("_scope_")) as switched:
                    type_ = switched.get(type_, None) or TRANSFORMS.get(type_, None)
            except (ImportError, TypeError, ValueError):
                return
        if type_ is None or not callable(type_):
            return
        args = {k: v for k, v in _as_dict(cfg).items() if k not in ("type", "_scope_")}
        self.bind(path, type_, args)

    def evaluator(self, path: str, cfg: Any) -> None:
        if isinstance(cfg, Mapping):
            if "metrics" in cfg:
                self.component(path, cfg, EVALUATOR, default_type="Evaluator")
                self.metrics(f"{path}.metrics", cfg["metrics"])
            else:
                self.component(path, cfg, METRICS)
        elif isinstance(cfg, (list, tuple)):
            self.metrics(path, cfg)

    def metrics(self, path: str, cfg: Any) -> None:
        if isinstance(cfg, (list, tuple)):
            for i, item in enumerate(cfg):
                self.component(f"{path}.{i}", item, METRICS)
        else:
            self.component(path, cfg, METRICS)

    def optim_wrapper(self, cfg: Any) -> bool:
        """Check ``optim_wrapper``; return whether it builds one wrapper (the default constructor)."""
        path = "optim_wrapper"
        if not isinstance(cfg, Mapping):
            return not isinstance(cfg, OptimWrapperDict)
        args = _as_dict(cfg)
        ctor_type = args.pop("constructor", "DefaultOptimWrapperConstructor")
        paramwise = args.pop("paramwise_cfg", None)
        ctor = self.resolve(f"{path}.constructor", ctor_type, OPTIM_WRAPPER_CONSTRUCTORS, None)
        if ctor is None:
            return True
        self.bind(f"{path}.constructor", ctor, ("optim_wrapper_cfg", "paramwise_cfg"))
        if not (inspect.isclass(ctor) and issubclass(ctor, DefaultOptimWrapperConstructor)):
            return False  # a custom constructor reads optim_wrapper its own way
        optimizer = args.pop("optimizer", None)
        if optimizer is None:
            self.add(path, "needs an 'optimizer' config, e.g. optimizer=dict(type='SGD', lr=0.01)")
        else:
            self.component(f"{path}.optimizer", optimizer, OPTIMIZERS, defaults=("params",))
        self.component(path, args, OPTIM_WRAPPERS, default_type="OptimWrapper", defaults=("optimizer",))
        if paramwise is not None and isinstance(optimizer, Mapping):
            try:  # the constructor checks paramwise_cfg when created; that needs no model
                ctor(optim_wrapper_cfg=dict(args, optimizer=optimizer), paramwise_cfg=paramwise)
            except (KeyError, TypeError, ValueError) as err:
                self.add(f"{path}.paramwise_cfg", str(err))
        return True

    def param_schedulers(self, cfg: Any, single_wrapper: bool) -> None:
        if cfg is None:
            return
        if isinstance(cfg, Mapping) and "type" not in cfg and not single_wrapper:
            for name, sub in cfg.items():  # one list per optimizer of an OptimWrapperDict
                self._schedulers(f"param_scheduler.{name}", sub)
        else:
            self._schedulers("param_scheduler", cfg)

    def _schedulers(self, path: str, cfg: Any) -> None:
        items = cfg if isinstance(cfg, (list, tuple)) else None
        if items is None:
            self.component(path, cfg, PARAM_SCHEDULERS, defaults=("optimizer",), drop=("convert_to_iter_based",))
            return
        for i, item in enumerate(items):
            self.component(f"{path}.{i}", item, PARAM_SCHEDULERS, defaults=("optimizer",),
                           drop=("convert_to_iter_based",))

    def visualizer(self, cfg: Any) -> None:
        if not isinstance(cfg, Mapping):
            return
        import mme.visualization  # noqa: F401 - registers VISUALIZERS and VISBACKENDS (built next anyway)

        self.component("visualizer", cfg, VISUALIZERS, default_type="Visualizer", defaults=("name", "save_dir"))
        backends = cfg.get("vis_backends")
        if isinstance(backends, Mapping):
            backends = [backends]
        for i, item in enumerate(backends or ()):
            self.component(f"visualizer.vis_backends.{i}", item, VISBACKENDS, defaults=("save_dir",), drop=("name",))

    def env_cfg(self, cfg: Any) -> None:
        self.keys("env_cfg", cfg, ENV_CFG_KEYS)
        if not isinstance(cfg, Mapping):
            return
        self.keys("env_cfg.mp_cfg", cfg.get("mp_cfg"), MP_CFG_KEYS)
        dist_cfg = cfg.get("dist_cfg")
        if dist_cfg is None or not isinstance(dist_cfg, Mapping):
            self.keys("env_cfg.dist_cfg", dist_cfg, ())
            return
        if dist_cfg.get("init_backend", "torch") != "torch":
            return  # deepspeed / colossalai take their own arguments
        import torch.distributed as torch_dist

        from mme.dist import init_dist

        own = _keyword_names(init_dist) - {"launcher"}
        torch_side = _keyword_names(torch_dist.init_process_group)
        self.keys("env_cfg.dist_cfg", dist_cfg, own | (torch_side - {"backend", "rank", "world_size"}) | {"port"})

    def auto_scale_lr(self, cfg: Any) -> None:
        self.keys("auto_scale_lr", cfg, AUTO_SCALE_LR_KEYS)
        if isinstance(cfg, Mapping) and cfg.get("enable", False) and "base_batch_size" not in cfg:
            self.add("auto_scale_lr", "enable=True needs 'base_batch_size'")

    def top_level(self, cfg: Config | Mapping, known: Iterable[str], foreign: Mapping[str, str]) -> None:
        known = set(known)
        for key in map(str, cfg):
            if key in known:
                continue
            if key in foreign:  # read by another runner class: silently ignoring it would change the run
                self.add(key, foreign[key])
                continue
            hint = close_key(key, known)
            if hint is not None:
                self.add(key, f"unknown top-level key {key!r}; did you mean {hint!r}?")


def check_runner_config(runner_cls: type[Any], args: Mapping[str, Any], cfg: Config | Mapping | None = None,
                        known_keys: Iterable[str] = (), foreign_keys: Mapping[str, str] | None = None) -> None:
    """Check every component config a Runner will build and raise once if anything is wrong.

    Args:
        runner_cls: The Runner class (its methods are targets of ``forwards_kwargs_to``).
        args: The Runner's arguments, with ``default_hooks`` already merged with the defaults.
        cfg: The whole config; its top-level keys are checked against ``known_keys`` and, when
            ``args['launcher']`` is not ``'none'``, its ``model_wrapper_cfg`` like the components.
        known_keys: Top-level keys a Runner reads.
        foreign_keys: Top-level keys this Runner class does not read but another does, each with
            the message saying which (an error when the config has one).

    Raises:
        RunnerConfigError: Listing every problem with its key path (``problems`` holds the pairs).
    """
    checker = _Checker(runner_cls)
    with DefaultScope.overwrite_default_scope(args.get("default_scope")):
        if cfg is not None:
            checker.top_level(cfg, known_keys, foreign_keys or {})
        data_preprocessor = args.get("data_preprocessor")
        checker.component("model", args.get("model"), MODELS,
                          defaults=("data_preprocessor",) if data_preprocessor is not None else ())
        strategy = args.get("strategy")
        if isinstance(strategy, Mapping):
            strategy = checker.component("strategy", strategy, STRATEGIES)
        elif strategy is not None:
            strategy = type(strategy)  # built already
        if cfg is not None and args.get("launcher", "none") != "none":  # only distributed runs wrap the model
            checker.component("model_wrapper_cfg", cfg.get("model_wrapper_cfg"), MODEL_WRAPPERS,
                              default_type="MMDistributedDataParallel", defaults=("module",))
        checker.hooks_fit_strategy(checker.hooks(args.get("default_hooks") or {}, args.get("custom_hooks")), strategy)
        for mode in ("train", "val", "test"):
            checker.dataloader(f"{mode}_dataloader", args.get(f"{mode}_dataloader"))
        checker.train_loop(args.get("train_cfg"))
        checker.eval_loop("val", args.get("val_cfg"))
        checker.eval_loop("test", args.get("test_cfg"))
        single = checker.optim_wrapper(args.get("optim_wrapper"))
        checker.param_schedulers(args.get("param_scheduler"), single)
        checker.evaluator("val_evaluator", args.get("val_evaluator"))
        checker.evaluator("test_evaluator", args.get("test_evaluator"))
        checker.visualizer(args.get("visualizer"))
        checker.component("log_processor", args.get("log_processor"), LOG_PROCESSORS, default_type="LogProcessor")
        randomness = args.get("randomness")
        if isinstance(randomness, Mapping):
            checker.bind("randomness", runner_cls.set_randomness, _as_dict(randomness), fill=1)
        elif randomness is not None:
            checker.add("randomness", f"must be a dict, got {type(randomness).__name__}")
        checker.env_cfg(args.get("env_cfg"))
        checker.auto_scale_lr(args.get("auto_scale_lr"))
    if checker.problems:
        count = len(checker.problems)
        head = "the config has a problem" if count == 1 else f"the config has {count} problems"
        lines = [f"{head} (found before building anything):"]
        lines += [f"  {path}: {message}" for path, message in checker.problems]
        raise RunnerConfigError("\n".join(lines), problems=checker.problems)
