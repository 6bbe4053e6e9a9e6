"""The Runner's checkpoint methods: ``save_checkpoint``, ``load_checkpoint``, ``resume``."""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING, Any

import torch

import mme.fileio as fileio
from mme.device import get_device
from mme.dist import is_main_process
from mme.model import is_model_wrapper

from ._checkpoint import _load_checkpoint, find_latest_checkpoint, load_state_dict, save_checkpoint, weights_to_cpu
from ._errors import CheckpointError
from ._randomness import get_rng_state, set_rng_state
from .version import __version__

__all__ = ["CheckpointMixin"]


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

        Only the main process writes. The file is written atomically through mme.fileio, and
        holds ``meta`` (epoch, iter, seed, config text, versions, dataset_meta), ``state_dict``,
        ``optimizer``, ``param_schedulers``, ``message_hub``, the train sampler state and the
        random generators' states, all loadable with ``weights_only=True``.

        ``by_epoch`` is accepted for compatibility: the saved progress is always exactly what
        has finished when the method is called.
        """
        backend_args = backend_args if backend_args is not None else file_client_args
        filepath = fileio.join_path(out_dir, filename, backend_args=backend_args)
        if not is_main_process():
            return filepath
        if meta is None:
            meta = {}
        elif not isinstance(meta, dict):
            raise TypeError(f"meta must be a dict or None, got {type(meta).__name__}")
        progress = self.train_progress
        meta = dict(meta)
        meta.update(epoch=progress["epoch"], iter=progress["iter"], inner_iter=progress["inner_iter"],
                    cfg=self.cfg.pretty_text if self.cfg else "", seed=self.seed,
                    experiment_name=self.experiment_name, time=time.strftime("%Y%m%d_%H%M%S", time.localtime()),
                    mme_version=__version__, torch_version=torch.__version__)
        loop = self._built(self._train_loop)
        dataset: Any = getattr(getattr(loop, "dataloader", None), "dataset", None)
        if getattr(dataset, "metainfo", None) is not None:
            meta["dataset_meta"] = dataset.metainfo
        model = self.model.module if is_model_wrapper(self.model) else self.model
        checkpoint: dict[str, Any] = {
            "meta": meta,
            "state_dict": weights_to_cpu(model.state_dict()),
            "message_hub": self.message_hub.state_dict(),
        }
        if save_optimizer and hasattr(self.optim_wrapper, "state_dict"):
            checkpoint["optimizer"] = self.optim_wrapper.state_dict()
        if save_param_scheduler and self.param_schedulers and self._schedulers_built():
            checkpoint["param_schedulers"] = _schedulers_state(self.param_schedulers)
        if loop is not None:
            sampler_state = loop.sampler_state() if hasattr(loop, "sampler_state") else None
            if sampler_state is not None:
                checkpoint["sampler"] = sampler_state
        checkpoint["rng"] = get_rng_state()
        self.call_hook("before_save_checkpoint", checkpoint=checkpoint)
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
        checkpoint = _load_checkpoint(filename, map_location=map_location, weights_only=weights_only,
                                      backend_args=self._checkpoint_backend_args())
        self.call_hook("after_load_checkpoint", checkpoint=checkpoint)
        state = checkpoint.get("state_dict", checkpoint)
        for pattern, replacement in revise_keys:
            state = {re.sub(pattern, replacement, k): v for k, v in state.items()}
        load_state_dict(self.model, state, strict=strict, logger=self.logger)
        self._has_loaded = True
        self.logger.info(f"Load checkpoint from {filename}")
        return checkpoint

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
        if resume_optimizer and "optimizer" in checkpoint:
            self.optim_wrapper = self.build_optim_wrapper(self.optim_wrapper)
            self.optim_wrapper.load_state_dict(checkpoint["optimizer"])
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
        self._has_loaded = True
        self.logger.info(f"resumed epoch: {progress['epoch']}, iter: {progress['iter']} from {filename}")

    def _checkpoint_backend_args(self) -> dict | None:
        """The file backend arguments of the CheckpointHook, used to read checkpoints back."""
        for hook in self.hooks:
            args = getattr(hook, "backend_args", None)
            if type(hook).__name__ == "CheckpointHook" and args:
                return args
        return None

    def load_or_resume(self) -> None:
        """Resume (``resume=True`` or a path) or load ``load_from``, once."""
        if self._has_loaded:
            return
        resume_from = None
        if isinstance(self._resume, str):
            resume_from = self._resume
        elif self._resume and self._load_from is None:
            resume_from = find_latest_checkpoint(self.work_dir, backend_args=self._checkpoint_backend_args())
            if resume_from is None:
                self.logger.info(f"resume=True but {self.work_dir} has no checkpoint yet; training from scratch")
            else:
                self.logger.info(f"Auto resumed from the latest checkpoint {resume_from}.")
        elif self._resume:
            resume_from = self._load_from
        training = self._built(self._train_loop) is not None
        if resume_from is not None and training:
            self.resume(resume_from)
        elif resume_from is not None:
            self.load_checkpoint(resume_from)
        elif self._load_from is not None:
            self.load_checkpoint(self._load_from)
