"""NeptuneVisBackend: a Neptune run (``mode="offline"`` or ``"debug"`` works without a server)."""

from __future__ import annotations

import os
from typing import Any

import numpy as np
from mme.registry import VISBACKENDS

from ._base import BaseVisBackend, config_to_dict, force_init_env, scalar_value


@VISBACKENDS.register_module()
class NeptuneVisBackend(BaseVisBackend):
    """Sends everything to a Neptune run. Install with ``pip install 'mme-visual[neptune]'``.

    Args:
        save_dir: Unused by Neptune (it keeps its own ``.neptune`` folder); kept for a uniform
            signature.
        init_kwargs: Keyword arguments of ``neptune.init_run`` (``project``, ``api_token``,
            ``mode``...).
    """

    requires = ("neptune",)
    extra = "neptune"

    def __init__(
        self, save_dir: str | os.PathLike[str] | None = None, init_kwargs: dict[str, Any] | None = None
    ) -> None:
        super().__init__(save_dir)
        self._init_kwargs = dict(init_kwargs or {})
        self._neptune: Any = None
        self._run: Any = None

    def _init_env(self) -> None:
        neptune = self._import("neptune")
        self._run = neptune.init_run(**self._init_kwargs)
        self._neptune = neptune

    def _experiment(self) -> Any:
        return self._run

    @force_init_env
    def add_config(self, config: Any, **kwargs: Any) -> None:
        """Store the config under ``config`` (unsupported values as strings)."""
        from neptune.utils import stringify_unsupported

        self._run["config"] = stringify_unsupported(config_to_dict(config))

    @force_init_env
    def add_image(self, name: str, image: np.ndarray, step: int = 0, **kwargs: Any) -> None:
        """Append an RGB image to the series ``name``."""
        from neptune.types import File

        self._run[name].append(File.as_image(np.asarray(image, dtype=np.float64) / 255.0), step=step)

    @force_init_env
    def add_scalar(self, name: str, value: float, step: int = 0, **kwargs: Any) -> None:
        """Append a value to the series ``name``."""
        self._run[name].append(scalar_value(value), step=step)

    def close(self) -> None:
        """Stop the run, waiting for its data to be written."""
        if self._run is not None:
            self._run.stop()
            self._run = None
            self._env_initialized = False
