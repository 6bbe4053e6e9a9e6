"""MLflowVisBackend: MLflow runs, by default in a SQLite store under ``save_dir``."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from mme.registry import VISBACKENDS

from ._base import BaseVisBackend, config_text, config_to_dict, flatten_dict, force_init_env, scalar_value


@VISBACKENDS.register_module()
class MLflowVisBackend(BaseVisBackend):
    """Sends everything to an MLflow run. Install with ``pip install 'mme-visual[mlflow]'``.

    Without ``tracking_uri`` the run is stored locally: a SQLite database
    ``save_dir/mlflow.db`` with artifacts under ``save_dir/mlartifacts`` (MLflow 3 no longer
    accepts a plain file store by default).

    Args:
        save_dir: Directory of the local store, and where ``close`` looks for artifacts.
        exp_name: Experiment name (``"Default"`` if not given).
        run_name: Run name.
        tags: Run tags.
        params: Run parameters logged at start.
        tracking_uri: Tracking server or store URI; overrides the local store.
        artifact_suffix: Files in ``save_dir`` with these suffixes are logged as artifacts on close.
        tracked_config_keys: Only these top-level config keys are logged as params (all if ``None``).
        artifact_location: Artifact root for a newly created experiment.
    """

    requires = ("mlflow",)
    extra = "mlflow"

    def __init__(
        self,
        save_dir: str | os.PathLike[str] | None = None,
        exp_name: str | None = None,
        run_name: str | None = None,
        tags: dict[str, Any] | None = None,
        params: dict[str, Any] | None = None,
        tracking_uri: str | None = None,
        artifact_suffix: Sequence[str] = (".json", ".log", ".py", "yaml"),
        tracked_config_keys: Sequence[str] | None = None,
        artifact_location: str | None = None,
    ) -> None:
        super().__init__(save_dir)
        self._exp_name = exp_name or "Default"
        self._run_name = run_name
        self._tags = dict(tags or {})
        self._params = dict(params or {})
        self._tracking_uri = tracking_uri
        self._artifact_suffix = tuple(artifact_suffix)
        self._tracked_config_keys = None if tracked_config_keys is None else list(tracked_config_keys)
        self._artifact_location = artifact_location
        self._mlflow: Any = None
        self._run: Any = None

    @property
    def tracking_uri(self) -> str | None:
        """The tracking URI in use (known before first use)."""
        if self._tracking_uri is not None:
            return self._tracking_uri
        if self._save_dir is None:
            return None
        return "sqlite:///" + Path(self._save_dir, "mlflow.db").resolve().as_posix()

    @property
    def run_id(self) -> str | None:
        """Id of the active run (``None`` before first use)."""
        return None if self._run is None else self._run.info.run_id

    def _init_env(self) -> None:
        mlflow = self._import("mlflow")
        if self._save_dir is not None:
            os.makedirs(self._save_dir, exist_ok=True)
        uri = self.tracking_uri
        if uri is not None:
            mlflow.set_tracking_uri(uri)
        location = self._artifact_location
        if location is None and self._tracking_uri is None and self._save_dir is not None:
            location = Path(self._save_dir, "mlartifacts").resolve().as_uri()
        if mlflow.get_experiment_by_name(self._exp_name) is None:
            mlflow.create_experiment(self._exp_name, artifact_location=location)
        mlflow.set_experiment(self._exp_name)
        self._run = mlflow.start_run(run_name=self._run_name)
        if self._tags:
            mlflow.set_tags(self._tags)
        if self._params:
            mlflow.log_params(self._params)
        self._mlflow = mlflow

    def _experiment(self) -> Any:
        return self._mlflow

    @force_init_env
    def add_config(self, config: Any, **kwargs: Any) -> None:
        """Log the (tracked keys of the) config as flattened params and its text as ``config.py``."""
        data = config_to_dict(config)
        if self._tracked_config_keys is not None:
            data = {k: v for k, v in data.items() if k in self._tracked_config_keys}
        params = {k: str(v)[:500] for k, v in flatten_dict(data).items()}
        if params:
            self._mlflow.log_params(params)
        self._mlflow.log_text(config_text(config), "config.py")

    @force_init_env
    def add_image(self, name: str, image: np.ndarray, step: int = 0, **kwargs: Any) -> None:
        """Log an RGB image as artifact ``<name>_<step>.png``."""
        self._mlflow.log_image(image, f"{name}_{step}.png")

    @force_init_env
    def add_scalar(self, name: str, value: float, step: int = 0, **kwargs: Any) -> None:
        """Log one metric."""
        self._mlflow.log_metric(name, scalar_value(value), step=step)

    @force_init_env
    def add_scalars(
        self, scalar_dict: Mapping[str, int | float], step: int = 0, file_path: str | None = None, **kwargs: Any
    ) -> None:
        """Log several metrics at one step."""
        self._mlflow.log_metrics({k: scalar_value(v) for k, v in scalar_dict.items()}, step=step)

    def close(self) -> None:
        """Log the artifacts found in ``save_dir`` and end the run."""
        if self._run is None:
            return
        if self._save_dir is not None and os.path.isdir(self._save_dir):
            for root, _, files in os.walk(self._save_dir):
                if "mlartifacts" in Path(root).relative_to(self._save_dir).parts:
                    continue
                for file in files:
                    if file.endswith(self._artifact_suffix):
                        path = os.path.join(root, file)
                        rel = os.path.relpath(root, self._save_dir)
                        self._mlflow.log_artifact(path, None if rel == "." else rel)
        self._mlflow.end_run()
        self._run = None
        self._env_initialized = False
