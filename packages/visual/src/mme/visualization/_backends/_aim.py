"""AimVisBackend: an Aim run in a local repository (``save_dir``) or a remote one."""

from __future__ import annotations

import os
from typing import Any

import numpy as np
from mme.registry import VISBACKENDS

from ._base import BaseVisBackend, config_to_dict, force_init_env, scalar_value


@VISBACKENDS.register_module()
class AimVisBackend(BaseVisBackend):
    """Tracks everything in an ``aim.Run``. Install with ``pip install 'mme-visual[aim]'``.

    Args:
        save_dir: Aim repository directory (``Run(repo=...)``); ``init_kwargs["repo"]`` wins.
        init_kwargs: Extra keyword arguments of ``aim.Run`` (``experiment``,
            ``system_tracking_interval``...).
    """

    requires = ("aim",)
    extra = "aim"

    def __init__(
        self, save_dir: str | os.PathLike[str] | None = None, init_kwargs: dict[str, Any] | None = None
    ) -> None:
        super().__init__(save_dir)
        self._init_kwargs = dict(init_kwargs or {})
        self._aim: Any = None
        self._run: Any = None

    @property
    def run_hash(self) -> str | None:
        """Hash of the active run (``None`` before first use)."""
        return None if self._run is None else self._run.hash

    def _init_env(self) -> None:
        aim = self._import("aim")
        kwargs = dict(self._init_kwargs)
        if self._save_dir is not None:
            os.makedirs(self._save_dir, exist_ok=True)
            kwargs.setdefault("repo", self._save_dir)
        self._run = aim.Run(**kwargs)
        self._aim = aim

    def _experiment(self) -> Any:
        return self._run

    @force_init_env
    def add_config(self, config: Any, **kwargs: Any) -> None:
        """Store the config as the run's ``hparams``."""
        self._run["hparams"] = config_to_dict(config)

    @force_init_env
    def add_image(self, name: str, image: np.ndarray, step: int = 0, **kwargs: Any) -> None:
        """Track an RGB image."""
        self._run.track(self._aim.Image(np.asarray(image, dtype=np.uint8)), name=name, step=step)

    @force_init_env
    def add_scalar(self, name: str, value: float, step: int = 0, **kwargs: Any) -> None:
        """Track one metric."""
        self._run.track(scalar_value(value), name=name, step=step)

    def close(self) -> None:
        """Close the run, flushing it to the repository."""
        if self._run is not None:
            self._run.close()
            self._run = None
            self._env_initialized = False
