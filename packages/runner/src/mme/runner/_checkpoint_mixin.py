"""The Runner's checkpoint methods: ``save_checkpoint``, ``load_checkpoint``, ``resume``."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import torch

import mme.fileio as fileio
from mme.device import get_device
from mme.dist import is_main_process
from mme.hooks import CheckpointHook
from mme.registry import HOOKS

from ._checkpoint import _load_checkpoint, find_latest_checkpoint, save_checkpoint, weights_to_cpu
from ._errors import CheckpointError
from ._randomness import get_rng_state, set_rng_state
from ._sharded import is_sharded_checkpoint, load_sharded_extras, save_sharded_checkpoint, sharding_strategy
from .version import __version__

__all__ = ["CheckpointMixin", "DeferredLog", "checkpoint_backend_args"]


class DeferredLog:
    """Holds log records until the Runner's logger exists, then passes them on (``replay``)."""

    def __init__(self) -> None:
        self.records: list[tuple[int, str]] = []

    def info(self, msg: str, *args: Any) -> None:
        """Keep an INFO record."""
        self.records.append((logging.INFO, msg % args if args else msg))

    def warning(self, msg: str, *args: Any) -> None:
        """Keep a WARNING record."""
        self.records.append((logging.WARNING, msg % args if args else msg))

    def replay(self, logger: logging.Logger) -> None:
        """Log the kept records through ``logger``."""
        for level, msg in self.records:
            logger.log(level, msg)
        self.records.clear()


def checkpoint_backend_args(default_hooks: Mapping[str, Any], custom_hooks: Any) -> dict | None:
    """The ``backend_args`` of the CheckpointHook among the (merged) default and the custom hooks.

    Read from the configs, so that checkpoints can be found before the hooks are built.
    """
    for hook in [*default_hooks.values(), *(custom_hooks or ())]:
        if isinstance(hook, Mapping):
            hook_type = hook.get("type")
            if isinstance(hook_type, str):
                with HOOKS.switch_scope_and_registry(hook.get("_scope_")) as registry:
                    hook_type = registry.get(hook_type, None)
            if not (isinstance(hook_type, type) and issubclass(hook_type, CheckpointHook)):
                continue
            args = hook.get("backend_args") or hook.get("file_client_args")
        elif isinstance(hook, CheckpointHook):
            args = hook.backend_args
        else:
            continue
        if args:
            return dict(args)
    return None


def _schedulers_state(schedulers: Any) -> Any:
    if isinstance(schedulers, dict):
        return {name: [s.state_dict() for s in group] for name, group in schedulers.items()}
    return [s.state_dict() for s in schedulers]


class CheckpointMixin:
    """Checkpoint saving, loading and exact resuming for the Runner."""

    if TYPE_CHECKING:  # the Runner provides the attributes this mixin uses

        def __getattr__(self, name: str) -> Any: ...

    optim_wrapper: Any
    param_schedulers: Any


    def save_checkpoint(self, out_dir: str, filename: str, file_client_args: dict | None = None,
                        save_optimizer: bool = True, save_param_scheduler: bool = True, meta: dict | None = None,
                        by_epoch: bool = True, backend_args: dict | None = None) -> str:
        """Write a checkpoint of the current training state to ``out_dir/filename`` and return its path.

        The strategy gives the model and optimizer states (gathered on every rank when sharded in
        memory). With a ``'full'`` checkpoint format only the main process writes: one file,
        written atomically through mme.fileio. With ``'sharded'`` (FSDP's ``state_dict_type=
        'sharded'``, DeepSpeed) every rank writes its shards into a directory of that name,
        which appears whole or not at all (see ``mme.runner._sharded``). The checkpoint holds ``meta`` (epoch, iter, seed, config text, versions, dataset_meta), ``state_dict``,
        ``optimizer``, ``param_schedulers``, ``message_hub``, the train sampler state and the
        random generators' states, all loadable with ``weights_only=True``.

        ``by_epoch`` is accepted for compatibility: the saved progress is always exactly what
        has finished when the method is called.
        """
        backend_args = backend_args if backend_args is not None else file_client_args
        filepath = fileio.join_path(out_dir, filename, backend_args=backend_args)
        if meta is not None and not isinstance(meta, dict):
            raise TypeError(f"meta must be a dict or None, got {type(meta).__name__}")
        strategy = self.strategy
        save_optimizer = save_optimizer and hasattr(self.optim_wrapper, "state_dict")
        sharded = strategy.checkpoint_format == "sharded"
        # every rank takes part: gathering a sharded model's states is a collective
        model_state = None if sharded else strategy.model_state_dict(self.model)
        optim_state = strategy.optim_state_dict(self.optim_wrapper, self.model) if save_optimizer and not sharded \
            else None
        if not is_main_process() and not sharded:
            return filepath
        progress = self.train_progress
        meta = dict(meta or {})
        meta.update(epoch=progress["epoch"], iter=progress["iter"], inner_iter=progress["inner_iter"],
                    cfg=self.cfg.pretty_text if self.cfg else "", seed=self.seed,
                    experiment_name=self.experiment_name, time=time.strftime("%Y%m%d_%H%M%S", time.localtime()),
                    mme_version=__version__, torch_version=torch.__version__)
        loop = self._built(self._train_loop)
        dataset: Any = getattr(getattr(loop, "dataloader", None), "dataset", None)
        if getattr(dataset, "metainfo", None) is not None:
            meta["dataset_meta"] = dataset.metainfo
        checkpoint: dict[str, Any] = {"meta": meta, "message_hub": self.message_hub.state_dict()}
        if model_state is not None:
            checkpoint["state_dict"] = weights_to_cpu(model_state)
        if optim_state is not None:
            checkpoint["optimizer"] = optim_state
        if save_param_scheduler and self.param_schedulers and self._schedulers_built():
            checkpoint["param_schedulers"] = _schedulers_state(self.param_schedulers)
        if loop is not None:
            sampler_state = loop.sampler_state() if hasattr(loop, "sampler_state") else None
            if sampler_state is not None:
                checkpoint["sampler"] = sampler_state
        checkpoint["rng"] = get_rng_state()
        self.call_hook("before_save_checkpoint", checkpoint=checkpoint)
        if sharded:
            save_sharded_checkpoint(strategy, checkpoint, filepath, self.model,
                                    self.optim_wrapper if save_optimizer else None, backend_args=backend_args)
        else:
            save_checkpoint(checkpoint, filepath, backend_args=backend_args)
        return filepath

    def _schedulers_built(self) -> bool:
        schedulers = self.param_schedulers
        groups = schedulers.values() if isinstance(schedulers, dict) else [schedulers]
        return all(hasattr(s, "state_dict") and hasattr(s, "step") for g in groups for s in (g or []))

    def load_checkpoint(self, filename: str, map_location: Any = "cpu", strict: bool = False,
                        revise_keys: list[tuple[str, str]] | tuple = ((r"^module\.", ""),),
                        weights_only: bool | None = None) -> dict:
        """Load the model weights of a checkpoint (and run ``after_load_checkpoint`` hooks).

        Args:
            filename: Local path or any mme.fileio URI.
            map_location: Where to load tensors.
            strict: Raise on missing, unexpected or mis-shaped keys.
            revise_keys: Regex ``(pattern, replacement)`` pairs applied to the weight names.
            weights_only: Refuse pickled objects beyond tensors and plain data. ``None`` uses the
                Runner's ``weights_only`` (default ``True``); pass ``False`` only for trusted
                legacy checkpoints.
        """
        if weights_only is None:
            weights_only = self._weights_only
        if is_sharded_checkpoint(filename):
            checkpoint = load_sharded_extras(filename, map_location=map_location, weights_only=weights_only)
            self.call_hook("after_load_checkpoint", checkpoint=checkpoint)
            self._load_shards(filename, checkpoint, optim_wrapper=None)
        else:
            checkpoint = _load_checkpoint(filename, map_location=map_location, weights_only=weights_only,
                                          backend_args=self._checkpoint_backend_args())
            self.call_hook("after_load_checkpoint", checkpoint=checkpoint)
            state = checkpoint.get("state_dict", checkpoint)
            for pattern, replacement in revise_keys:
                state = {re.sub(pattern, replacement, k): v for k, v in state.items()}
            self.strategy.load_model_state_dict(self.model, state, strict=strict, logger=self.logger)
        self._has_loaded = True
        self.logger.info(f"Load checkpoint from {filename}")
        return checkpoint

    def _load_shards(self, filename: str, extras: dict, optim_wrapper: Any) -> None:
        """Read the shards of ``filename`` through this run's strategy, which must be the one that wrote them."""
        writer = sharding_strategy(extras, filename)
        if not isinstance(self.strategy, writer):
            raise CheckpointError(
                f"{filename} is a sharded checkpoint written by {writer.__name__}, which this run's "
                f"{type(self.strategy).__name__} cannot read; make one file of it with `mme checkpoint consolidate "
                f"{filename} OUT.pth` and load that")
        self.strategy.load_shards(filename, self.model, optim_wrapper)

    def resume(self, filename: str, resume_optimizer: bool = True, resume_param_scheduler: bool = True,
               map_location: Any = "default", weights_only: bool | None = None) -> None:
        """Continue training exactly where the checkpoint ``filename`` stopped.

        Restores the weights, optimizer, schedulers, message hub, the loop's progress (mid-epoch
        included: the sampler continues at the saved position without loading skipped batches)
        and the random generators.
        """
        if map_location == "default":
            device = get_device()
            map_location = device if device == "cpu" else f"{device}:{torch.cuda.current_device()}" \
                if device == "cuda" else device
        self._resuming = True
        try:
            checkpoint = self.load_checkpoint(filename, map_location=map_location, weights_only=weights_only)
        finally:
            self._resuming = False
        meta = checkpoint.get("meta", {})
        resumed_seed = meta.get("seed")
        if resumed_seed is not None and resumed_seed != self.seed:
            self.logger.warning(f"The seed of the checkpoint ({resumed_seed}) differs from the runner's "
                                f"({self.seed}); using the checkpoint's")
            self._randomness_cfg.update(seed=resumed_seed)
            self.set_randomness(**self._randomness_cfg)
        loop = self.train_loop
        if "message_hub" in checkpoint:
            self.message_hub.load_state_dict(checkpoint["message_hub"])
        if resume_optimizer and is_sharded_checkpoint(filename) and checkpoint.get("sharded_optimizer"):
            self.optim_wrapper = self.build_optim_wrapper(self.optim_wrapper)
            self._load_shards(filename, checkpoint, optim_wrapper=self.optim_wrapper)
        elif resume_optimizer and "optimizer" in checkpoint:
            self.optim_wrapper = self.build_optim_wrapper(self.optim_wrapper)
            self.strategy.load_optim_state_dict(self.optim_wrapper, checkpoint["optimizer"], self.model)
        if resume_param_scheduler and "param_schedulers" in checkpoint and self.param_schedulers:
            self.param_schedulers = self.build_param_scheduler(self.param_schedulers)
            saved = checkpoint["param_schedulers"]
            if isinstance(self.param_schedulers, dict):
                pairs = [(s, c) for name, group in self.param_schedulers.items() for s, c in zip(group, saved[name])]
            else:
                if len(saved) != len(self.param_schedulers):
                    raise CheckpointError(f"checkpoint {filename} has {len(saved)} schedulers, the config "
                                          f"builds {len(self.param_schedulers)}")
                pairs = list(zip(self.param_schedulers, saved))
            for scheduler, state in pairs:
                scheduler.load_state_dict(state)
        progress = {"epoch": meta.get("epoch", 0), "iter": meta.get("iter", 0),
                    "inner_iter": meta.get("inner_iter", 0)}
        if hasattr(loop, "load_progress"):
            loop.load_progress(progress, checkpoint.get("sampler"))
        else:
            loop._epoch, loop._iter = progress["epoch"], progress["iter"]
        if "rng" in checkpoint:
            set_rng_state(checkpoint["rng"])
        self.logger.info(f"resumed epoch: {progress['epoch']}, iter: {progress['iter']} from {filename}")

    def _checkpoint_backend_args(self) -> dict | None:
        """The file backend arguments of the CheckpointHook, used to read checkpoints back."""
        for hook in self.hooks:
            args = getattr(hook, "backend_args", None)
            if type(hook).__name__ == "CheckpointHook" and args:
                return args
        return None

    def find_resume_checkpoint(self, backend_args: dict | None = None, logger: Any = None) -> str | None:
        """The checkpoint ``resume`` continues from (or ``load_from`` with ``resume``), or ``None``.

        ``resume=True`` without ``load_from`` takes the latest complete checkpoint of the work
        directory (:func:`find_latest_checkpoint`): none in an empty work directory (the run
        starts fresh), and an error when ``last_checkpoint`` names a checkpoint that is gone and
        nothing else can stand in. A path given to ``resume`` or ``load_from`` must exist.

        Raises:
            CheckpointError: The checkpoint to resume from is missing.
        """
        log = logger if logger is not None else self.logger
        if isinstance(self._resume, str):
            path, what = self._resume, "resume"
        elif self._resume and self._load_from is None:
            latest = find_latest_checkpoint(self.work_dir, backend_args=backend_args, logger=log)
            if latest is None:
                log.info("resume=True but %s has no checkpoint yet; training from scratch", self.work_dir)
            else:
                log.info("resume=True: the latest checkpoint of %s is %s", self.work_dir, latest)
            return latest
        elif self._resume:
            path, what = self._load_from, "load_from (with resume=True)"
        else:
            return None
        if not fileio.exists(path, backend_args=backend_args):
            raise CheckpointError(f"{what} names the checkpoint {path}, which does not exist")
        return path

    def _completed_run_message(self, checkpoint: str, backend_args: dict | None = None) -> str | None:
        """What to say when ``checkpoint`` already holds the whole training; ``None`` if training remains."""
        loop = self._train_loop  # the config: a Runner is built before its loop
        if not isinstance(loop, Mapping):
            return None
        by_epoch = "max_iters" not in loop  # the config check makes by_epoch agree with it
        key = "max_epochs" if by_epoch else "max_iters"
        limit = loop.get(key)
        if not isinstance(limit, int):
            return None
        meta = _read_meta(checkpoint, backend_args, self._weights_only)
        unit = "epoch" if by_epoch else "iter"
        done = meta.get(unit)
        if not isinstance(done, int) or done < limit:
            return None
        return (f"Nothing to do: the checkpoint {checkpoint} is at {unit} {done} and train_cfg.{key} is {limit}, "
                f"so this run's training is complete (raise {key} to train further)")

    def load_completed_run(self, filename: str) -> dict:
        """Take the final state of a finished training from its last checkpoint: weights and message hub.

        What ``train`` does when resuming a run that has nothing left to train: the model ends as
        the training left it, without building the data, the optimizer or a loop.
        """
        checkpoint = self.load_checkpoint(filename)
        if "message_hub" in checkpoint:
            self.message_hub.load_state_dict(checkpoint["message_hub"])
        return checkpoint

    def load_or_resume(self) -> None:
        """Resume (``resume=True`` or a path) or load ``load_from``, once."""
        if self._has_loaded:
            return
        resume_from = self._resume_from
        training = self._built(self._train_loop) is not None
        if resume_from is not None and training:
            self.resume(resume_from)
        elif resume_from is not None:
            self.load_checkpoint(resume_from)
        elif self._load_from is not None:
            self.load_checkpoint(self._load_from)


def _read_meta(filename: str, backend_args: dict | None, weights_only: bool) -> dict:
    """The ``meta`` of a checkpoint, read without loading its tensors into memory (memory-mapped)."""
    if is_sharded_checkpoint(filename):
        return load_sharded_extras(filename, weights_only=weights_only).get("meta", {})
    with fileio.get_local_path(filename, backend_args=backend_args) as local:
        try:
            checkpoint = torch.load(str(local), map_location="cpu", weights_only=weights_only, mmap=True)
        except Exception:  # noqa: BLE001 - legacy (non-zip) file, or a bad one: the full loader says which
            checkpoint = _load_checkpoint(str(local), map_location="cpu", weights_only=weights_only)
    meta = checkpoint.get("meta") if isinstance(checkpoint, dict) else None
    return meta if isinstance(meta, dict) else {}
