"""WandbVisBackend: Weights & Biases runs (online, or offline with ``WANDB_MODE=offline``)."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from mme.registry import VISBACKENDS

from ._base import BaseVisBackend, config_to_dict, force_init_env, scalar_value


@VISBACKENDS.register_module()
class WandbVisBackend(BaseVisBackend):
    """Sends everything to a wandb run. Install with ``pip install 'mme-visual[wandb]'``.

    Args:
        save_dir: Local directory of the run files (``wandb.init(dir=...)``).
        init_kwargs: Extra keyword arguments of ``wandb.init`` (``project``, ``name``, ``mode``...).
        define_metric_cfg: ``{metric: summary}`` pairs (e.g. ``{"accuracy": "max"}``) or a list of
            ``wandb.define_metric`` keyword dicts.
        commit: Passed as ``commit`` to ``wandb.log``.
        log_code_name: Artifact name for ``run.log_code``; ``None`` logs no code.
        watch_kwargs: Keyword arguments of ``wandb.watch`` used by ``add_graph``.
    """

    requires = ("wandb",)
    extra = "wandb"

    def __init__(
        self,
        save_dir: str | os.PathLike[str] | None = None,
        init_kwargs: dict[str, Any] | None = None,
        define_metric_cfg: dict[str, str] | Sequence[dict[str, Any]] | None = None,
        commit: bool = True,
        log_code_name: str | None = None,
        watch_kwargs: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(save_dir)
        self._init_kwargs = dict(init_kwargs or {})
        self._define_metric_cfg = define_metric_cfg
        self._commit = commit
        self._log_code_name = log_code_name
        self._watch_kwargs = dict(watch_kwargs or {})
        self._wandb: Any = None
        self._run: Any = None

    def _init_env(self) -> None:
        wandb = self._import("wandb")
        kwargs = dict(self._init_kwargs)
        if self._save_dir is not None:
            os.makedirs(self._save_dir, exist_ok=True)
            kwargs.setdefault("dir", self._save_dir)
        self._run = wandb.init(**kwargs)
        self._wandb = wandb
        cfg = self._define_metric_cfg
        if isinstance(cfg, Mapping):
            for metric, summary in cfg.items():
                self._run.define_metric(metric, summary=summary)
        elif cfg is not None:
            for item in cfg:
                self._run.define_metric(**item)

    def _experiment(self) -> Any:
        return self._wandb

    @property
    def run(self) -> Any:
        """The active ``wandb.Run`` (``None`` before first use)."""
        return self._run

    @force_init_env
    def add_config(self, config: Any, **kwargs: Any) -> None:
        """Update the run config; logs the code too when ``log_code_name`` is set."""
        self._run.config.update(config_to_dict(config), allow_val_change=True)
        if self._log_code_name is not None:
            self._run.log_code(name=self._log_code_name)

    @force_init_env
    def add_graph(self, model: Any, data_batch: Any, **kwargs: Any) -> None:
        """Watch the model's gradients and parameters with ``wandb.watch``."""
        self._wandb.watch(model, **self._watch_kwargs)

    @force_init_env
    def add_image(self, name: str, image: np.ndarray, step: int = 0, **kwargs: Any) -> None:
        """Log an RGB image as ``wandb.Image``."""
        self._run.log({name: self._wandb.Image(image)}, commit=self._commit)

    @force_init_env
    def add_scalar(self, name: str, value: float, step: int = 0, **kwargs: Any) -> None:
        """Log one scalar."""
        self._run.log({name: scalar_value(value)}, commit=self._commit)

    @force_init_env
    def add_scalars(
        self, scalar_dict: Mapping[str, int | float], step: int = 0, file_path: str | None = None, **kwargs: Any
    ) -> None:
        """Log several scalars in one ``wandb.log`` call."""
        self._run.log({k: scalar_value(v) for k, v in scalar_dict.items()}, commit=self._commit)

    def close(self) -> None:
        """Finish the run; returns once everything logged is in the run's ``.wandb`` file.

        ``run.finish()`` alone returns while wandb's service process may still be writing the
        run's transaction log (the ``.wandb`` file an offline run is synced from), so ``close``
        also waits for the service to close it.
        """
        if self._run is None:
            return
        run = self._run
        self._run = None
        self._env_initialized = False
        run.finish()
        _wait_for_service(self._wandb, run)


def _wait_for_service(wandb: Any, run: Any) -> None:
    """Block until wandb's service process has closed ``run``'s files.

    ``run.finish()`` ends by telling the service that the run is done without waiting for an
    answer; the service then closes the run's stream, transaction log included, before it reads
    the next request of the same connection. So the answer to any later request on that
    connection (here: the status of a sync that does not exist, which the service answers at
    once) comes only after the file is complete. Without such a connection (a disabled run, or
    a wandb older than the one mme is tested with) wandb is torn down instead when no other run
    is active: ``wandb.teardown()`` waits for the service process, if any, to exit.
    """
    library = getattr(run, "_wl", None)
    connection = getattr(library, "_connection", None)
    asyncer = getattr(library, "asyncer", None)
    sync_status = getattr(connection, "sync_status", None)
    if asyncer is not None and sync_status is not None:
        handle = asyncer.run(lambda: sync_status(""))
        handle.wait_or(timeout=None)
    elif getattr(wandb, "run", None) is None:
        wandb.teardown()
