"""ClearMLVisBackend: a ClearML task (online, or offline with ``CLEARML_OFFLINE_MODE=1``)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np
from mme.registry import VISBACKENDS

from ._base import BaseVisBackend, config_to_dict, force_init_env, scalar_value


@VISBACKENDS.register_module()
class ClearMLVisBackend(BaseVisBackend):
    """Sends everything to a ClearML task. Install with ``pip install 'mme-visual[clearml]'``.

    Args:
        save_dir: Directory whose files with ``artifact_suffix`` are uploaded on close.
        init_kwargs: Keyword arguments of ``clearml.Task.init`` (``project_name``, ``task_name``...).
        artifact_suffix: Suffixes of the files uploaded as artifacts on close.
        offline: Run the task in ClearML's offline mode (``Task.set_offline``); ``None`` leaves
            the mode as the environment (``CLEARML_OFFLINE_MODE``) sets it.
    """

    requires = ("clearml",)
    extra = "clearml"

    def __init__(
        self,
        save_dir: str | os.PathLike[str] | None = None,
        init_kwargs: dict[str, Any] | None = None,
        artifact_suffix: Sequence[str] = (".py", ".pth"),
        offline: bool | None = None,
    ) -> None:
        super().__init__(save_dir)
        self._init_kwargs = dict(init_kwargs or {})
        self._artifact_suffix = tuple(artifact_suffix)
        self._offline = offline
        self._task: Any = None
        self._logger: Any = None

    def _init_env(self) -> None:
        clearml = self._import("clearml")
        if self._offline is not None:
            clearml.Task.set_offline(offline_mode=self._offline)
        kwargs = dict(self._init_kwargs)
        kwargs.setdefault("project_name", "mme")
        kwargs.setdefault("task_name", "mme run")
        self._task = clearml.Task.init(**kwargs)
        self._logger = self._task.get_logger()

    def _experiment(self) -> Any:
        return self._task

    @force_init_env
    def add_config(self, config: Any, **kwargs: Any) -> None:
        """Connect the config to the task as its configuration."""
        self._task.connect_configuration(config_to_dict(config), name="config")

    @force_init_env
    def add_image(self, name: str, image: np.ndarray, step: int = 0, **kwargs: Any) -> None:
        """Report an RGB image."""
        self._logger.report_image(title=name, series=name, iteration=step, image=image)

    @force_init_env
    def add_scalar(self, name: str, value: float, step: int = 0, **kwargs: Any) -> None:
        """Report one scalar (title and series are both ``name``)."""
        self._logger.report_scalar(title=name, series=name, value=scalar_value(value), iteration=step)

    def close(self) -> None:
        """Upload the artifacts found in ``save_dir`` and close the task."""
        if self._task is None:
            return
        if self._save_dir is not None and os.path.isdir(self._save_dir):
            for root, _, files in os.walk(self._save_dir):
                for file in files:
                    if file.endswith(self._artifact_suffix):
                        self._task.upload_artifact(file, os.path.join(root, file))
        self._task.close()
        self._task = None
        self._logger = None
        self._env_initialized = False
