"""The Runner's ``build_*`` methods: dataloaders, loops, optimizers, schedulers, evaluators."""

from __future__ import annotations

import copy
import logging
from collections.abc import Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

from torch import nn
from torch.utils.data import DataLoader

from mme.config._lazy import build_lazy
from mme.dataset import name_fetch_errors
from mme.dataset import worker_init_fn as default_worker_init_fn
from mme.dist import get_rank
from mme.evaluator import Evaluator
from mme.optim import OptimWrapper, OptimWrapperDict
from mme.registry import (
    DATA_SAMPLERS,
    DATASETS,
    EVALUATOR,
    FUNCTIONS,
    LOG_PROCESSORS,
    LOOPS,
    MODELS,
    PARAM_SCHEDULERS,
    build_path,
)

from ._base_loop import BaseLoop
from ._errors import RunnerConfigError
from ._eval_loops import TestLoop, ValLoop
from ._log_processor import LogProcessor
from ._train_loops import EpochBasedTrainLoop, IterBasedTrainLoop

__all__ = ["BuildMixin"]

logger = logging.getLogger(__name__)


def _call(what: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Call ``fn`` and turn a signature mismatch into an error naming the config section."""
    try:
        return fn(*args, **kwargs)
    except TypeError as e:
        raise RunnerConfigError(f"{what}: {e}") from e


class BuildMixin:
    """Builders the Runner uses; each accepts a built object (returned as is) or a config."""

    if TYPE_CHECKING:  # the Runner provides the attributes this mixin uses

        def __getattr__(self, name: str) -> Any: ...


    @staticmethod
    def build_dataloader(dataloader: DataLoader | dict, seed: int | None = None,
                         diff_rank_seed: bool = False) -> DataLoader:
        """Build a ``DataLoader`` from a config with ``dataset``, ``sampler`` and DataLoader arguments.

        ``collate_fn`` defaults to ``pseudo_collate``; the sampler gets ``seed`` (unless
        ``diff_rank_seed``); workers are seeded through ``mme.dataset.worker_init_fn``. An
        exception while fetching a sample names the dataset and the index
        (``mme.dataset.name_fetch_errors``).
        """
        if isinstance(dataloader, DataLoader):
            return dataloader
        if not isinstance(dataloader, dict):
            raise RunnerConfigError(f"a dataloader must be a DataLoader or a dict, got {type(dataloader).__name__}")
        cfg = copy.deepcopy(dict(dataloader))
        if "dataset" not in cfg:
            raise RunnerConfigError(f"dataloader config needs a 'dataset', got keys {sorted(cfg)}")
        dataset_cfg = cfg.pop("dataset")
        if isinstance(dataset_cfg, dict):
            dataset = DATASETS.build(dataset_cfg)
            if hasattr(dataset, "full_init"):
                dataset.full_init()
        else:
            dataset = dataset_cfg
        name_fetch_errors(dataset)
        if "sampler" not in cfg:
            raise RunnerConfigError(
                "dataloader config needs a 'sampler', e.g. sampler=dict(type='DefaultSampler', shuffle=True)")
        sampler_cfg = cfg.pop("sampler")
        if isinstance(sampler_cfg, dict):
            sampler_seed = None if diff_rank_seed else seed
            sampler = DATA_SAMPLERS.build(sampler_cfg, default_args=dict(dataset=dataset, seed=sampler_seed))
        else:
            sampler = sampler_cfg
        batch_sampler_cfg = cfg.pop("batch_sampler", None)
        if isinstance(batch_sampler_cfg, dict):
            batch_sampler = DATA_SAMPLERS.build(
                batch_sampler_cfg, default_args=dict(sampler=sampler, batch_size=cfg.pop("batch_size", 1)))
        else:
            batch_sampler = batch_sampler_cfg
        init_fn = None
        if "worker_init_fn" in cfg:
            fn_cfg = dict(cfg.pop("worker_init_fn"))
            fn = build_lazy(fn_cfg.pop("type"))
            fn = FUNCTIONS.get(fn) if isinstance(fn, str) else fn
            init_fn = partial(fn, **fn_cfg)
        elif seed is not None:
            init_fn = partial(default_worker_init_fn, num_workers=cfg.get("num_workers", 0), rank=get_rank(),
                              seed=seed)
        collate_cfg = cfg.pop("collate_fn", dict(type="pseudo_collate"))
        if isinstance(collate_cfg, dict):
            collate_cfg = dict(collate_cfg)
            fn = build_lazy(collate_cfg.pop("type"))
            fn = FUNCTIONS.get(fn) if isinstance(fn, str) else fn
            collate_fn = partial(fn, **collate_cfg)
        elif callable(collate_cfg):
            collate_fn = collate_cfg
        else:
            raise RunnerConfigError(f"collate_fn must be a dict or a callable, got {collate_cfg!r}")
        if cfg.get("num_workers", 0) == 0:
            cfg.pop("persistent_workers", None)
            cfg.pop("prefetch_factor", None)
        return _call("dataloader config", DataLoader, dataset=dataset,
                     sampler=sampler if batch_sampler is None else None, batch_sampler=batch_sampler,
                     collate_fn=collate_fn, worker_init_fn=init_fn, **cfg)

    def build_model(self, model: nn.Module | dict) -> nn.Module:
        """Build the model from a ``MODELS`` config (or return the module)."""
        if isinstance(model, nn.Module):
            return model
        if isinstance(model, dict):
            return MODELS.build(model)
        raise RunnerConfigError(f"model must be an nn.Module or a dict, got {type(model).__name__}")

    def build_optim_wrapper(self, optim_wrapper: Any) -> OptimWrapper | OptimWrapperDict:
        """Build the optimizer wrapper from its config, as the strategy does (``mme.optim.build_optim_wrapper``
        for all but DeepSpeed's and ColossalAI's)."""
        if isinstance(optim_wrapper, (OptimWrapper, OptimWrapperDict)):
            return optim_wrapper
        import torch

        if isinstance(optim_wrapper, torch.optim.Optimizer):
            return OptimWrapper(optim_wrapper)
        if isinstance(optim_wrapper, dict):
            set_batch_size = getattr(self.strategy, "set_train_batch_size", None)
            loop = self._built(self._train_loop)
            if callable(set_batch_size) and loop is not None:  # DeepSpeed's default micro batch size
                set_batch_size(getattr(loop.dataloader, "batch_size", None))
            with build_path("optim_wrapper", cfg=optim_wrapper):  # build errors name the key
                return self.strategy.build_optim_wrapper(copy.deepcopy(optim_wrapper), self.model)
        raise RunnerConfigError(f"optim_wrapper must be an OptimWrapper or a dict, got {type(optim_wrapper).__name__}")

    def _build_schedulers(self, scheduler: Any, optim_wrapper: Any, key: str = "param_scheduler") -> list:
        one = not (isinstance(scheduler, Sequence) and not isinstance(scheduler, (str, dict)))
        items = [scheduler] if one else scheduler
        built = []
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                built.append(item)
                continue
            cfg = copy.deepcopy(dict(item))
            loop = self._train_loop
            if isinstance(loop, BaseLoop):
                default_end = self.max_epochs if cfg.get("by_epoch", True) else self.max_iters
                cfg.setdefault("end", default_end)
            default_args: dict[str, Any] = dict(optimizer=optim_wrapper)
            if cfg.get("convert_to_iter_based", False):
                default_args["epoch_length"] = len(self.train_dataloader)
            with build_path(key if one else f"{key}.{i}"):
                built.append(PARAM_SCHEDULERS.build(cfg, default_args=default_args))
        return built

    def build_param_scheduler(self, scheduler: Any) -> list | dict:
        """Build the parameter schedulers (a list, or a dict of lists for several optimizers)."""
        if isinstance(self.optim_wrapper, OptimWrapperDict):
            if isinstance(scheduler, dict) and "type" not in scheduler:
                return {name: self._build_schedulers(scheduler[name], self.optim_wrapper[name],
                                                     f"param_scheduler.{name}")
                        for name in scheduler}
            return {name: self._build_schedulers(scheduler, wrapper)
                    for name, wrapper in self.optim_wrapper.items()}
        return self._build_schedulers(scheduler, self.optim_wrapper)

    def build_evaluator(self, evaluator: Any) -> Evaluator:
        """Build an ``Evaluator`` from an evaluator, a metric config or a list of metric configs."""
        if isinstance(evaluator, Evaluator):
            return evaluator
        if isinstance(evaluator, dict):
            if "metrics" in evaluator:
                cfg = dict(evaluator)
                cfg.setdefault("type", "Evaluator")
                return EVALUATOR.build(cfg)
            return Evaluator(evaluator)
        if isinstance(evaluator, (list, tuple)):
            return Evaluator(list(evaluator))
        raise RunnerConfigError(
            f"evaluator must be an Evaluator, a dict or a list of dicts, got {type(evaluator).__name__}")

    def build_log_processor(self, log_processor: Any) -> LogProcessor:
        """Build the log processor (default ``LogProcessor()``)."""
        if log_processor is None:
            return LogProcessor()
        if isinstance(log_processor, dict):
            cfg = dict(log_processor)
            cfg.setdefault("type", "LogProcessor")
            return LOG_PROCESSORS.build(cfg)
        return log_processor

    def build_train_loop(self, loop: BaseLoop | dict) -> BaseLoop:
        """Build the training loop from ``train_cfg``."""
        if isinstance(loop, BaseLoop):
            return loop
        cfg = copy.deepcopy(dict(loop))
        with build_path(cfg={"train_cfg": loop, "train_dataloader": self._train_dataloader}):  # errors name keys
            if "type" in cfg:
                return LOOPS.build(cfg, default_args=dict(runner=self, dataloader=self._train_dataloader))
            by_epoch = cfg.pop("by_epoch", "max_iters" not in cfg)
            cls = EpochBasedTrainLoop if by_epoch else IterBasedTrainLoop
            return _call("train_cfg", cls, runner=self, dataloader=self._train_dataloader, **cfg)

    def _build_eval_loop(self, loop: BaseLoop | dict, mode: str) -> BaseLoop:
        if isinstance(loop, BaseLoop):
            return loop
        cfg = copy.deepcopy(dict(loop))
        dataloader = getattr(self, f"_{mode}_dataloader")
        evaluator = getattr(self, f"_{mode}_evaluator")
        holding = {f"{mode}_cfg": loop, f"{mode}_dataloader": dataloader, f"{mode}_evaluator": evaluator}
        with build_path(cfg=holding):  # build errors name the config key
            if "type" in cfg:
                return LOOPS.build(cfg, default_args=dict(runner=self, dataloader=dataloader, evaluator=evaluator))
            cls = ValLoop if mode == "val" else TestLoop
            return _call(f"{mode}_cfg", cls, runner=self, dataloader=dataloader, evaluator=evaluator, **cfg)

    def build_val_loop(self, loop: BaseLoop | dict) -> BaseLoop:
        """Build the validation loop from ``val_cfg``."""
        return self._build_eval_loop(loop, "val")

    def build_test_loop(self, loop: BaseLoop | dict) -> BaseLoop:
        """Build the test loop from ``test_cfg``."""
        return self._build_eval_loop(loop, "test")
