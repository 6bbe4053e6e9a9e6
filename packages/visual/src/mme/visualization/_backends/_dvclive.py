"""DVCLiveVisBackend: DVCLive metrics, params and plots under ``save_dir``."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np
from mme.registry import VISBACKENDS

from ._base import BaseVisBackend, config_to_dict, flatten_dict, force_init_env, scalar_value


@VISBACKENDS.register_module()
class DVCLiveVisBackend(BaseVisBackend):
    """Logs through a ``dvclive.Live`` instance. Install with ``pip install 'mme-visual[dvclive]'``.

    Args:
        save_dir: DVCLive directory (``Live(dir=...)``).
        artifact_suffix: Files in ``save_dir`` (outside the DVCLive dir) with these suffixes are
            logged as artifacts on close (DVCLive needs a DVC repository for that).
        init_kwargs: Extra keyword arguments of ``dvclive.Live`` (``save_dvc_exp`` defaults to
            ``False`` so no git/DVC repository is needed).
    """

    requires = ("dvclive",)
    extra = "dvclive"

    def __init__(
        self,
        save_dir: str | os.PathLike[str] | None = None,
        artifact_suffix: Sequence[str] = (".json", ".py", "yaml"),
        init_kwargs: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(save_dir)
        self._artifact_suffix = tuple(artifact_suffix)
        self._init_kwargs = dict(init_kwargs or {})
        self._live: Any = None

    def _init_env(self) -> None:
        dvclive = self._import("dvclive")
        kwargs = dict(self._init_kwargs)
        kwargs.setdefault("save_dvc_exp", False)
        if self._save_dir is not None:
            kwargs.setdefault("dir", self._save_dir)
        self._live = dvclive.Live(**kwargs)

    def _experiment(self) -> Any:
        return self._live

    @force_init_env
    def add_config(self, config: Any, **kwargs: Any) -> None:
        """Log the flattened config as params (non-basic values as strings)."""
        params = {}
        for key, value in flatten_dict(config_to_dict(config)).items():
            params[key] = value if isinstance(value, (bool, int, float, str)) or value is None else str(value)
        self._live.log_params(params)

    @force_init_env
    def add_image(self, name: str, image: np.ndarray, step: int = 0, **kwargs: Any) -> None:
        """Save an RGB image as ``plots/images/<name>_<step>.png``."""
        self._live.step = step
        self._live.log_image(f"{name}_{step}.png", np.asarray(image, dtype=np.uint8))

    @force_init_env
    def add_scalar(self, name: str, value: float, step: int = 0, **kwargs: Any) -> None:
        """Log one metric at ``step``."""
        self._live.step = step
        self._live.log_metric(name, scalar_value(value))

    def close(self) -> None:
        """Log the artifacts found in ``save_dir`` (outside the DVCLive dir) and end the Live session.

        DVCLive itself skips artifacts, with a warning, when there is no DVC repository.
        """
        if self._live is None:
            return
        if self._save_dir is not None and os.path.isdir(self._save_dir):
            live_dir = os.path.abspath(self._live.dir)
            for root, _, files in os.walk(self._save_dir):
                if os.path.commonpath([os.path.abspath(root), live_dir]) == live_dir:
                    continue
                for file in files:
                    if file.endswith(self._artifact_suffix):
                        self._live.log_artifact(os.path.join(root, file))
        self._live.end()
        self._live = None
        self._env_initialized = False
