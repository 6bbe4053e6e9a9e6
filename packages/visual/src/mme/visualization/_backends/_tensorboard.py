"""TensorboardVisBackend: TensorBoard event files through PyTorch's SummaryWriter."""

from __future__ import annotations

import os
from typing import Any

import numpy as np
from mme.registry import VISBACKENDS

from ._base import BaseVisBackend, _module_available, config_text, force_init_env, scalar_value


@VISBACKENDS.register_module()
class TensorboardVisBackend(BaseVisBackend):
    """Writes TensorBoard event files under ``save_dir``.

    Uses ``torch.utils.tensorboard.SummaryWriter`` (which needs the ``tensorboard`` package) and
    falls back to ``tensorboardX`` when that is what is installed. Install with
    ``pip install 'mme-visual[tensorboard]'``.

    Args:
        save_dir: Log directory of the event files.
    """

    requires = ("tensorboard",)
    extra = "tensorboard"

    def __init__(self, save_dir: str | os.PathLike[str] | None = None) -> None:
        super().__init__(save_dir)
        self._writer: Any = None

    def _check_installed(self) -> None:
        # tensorboardX alone is enough too.
        if not _module_available("tensorboardX"):
            super()._check_installed()

    def _init_env(self) -> None:
        if self._save_dir is not None:
            os.makedirs(self._save_dir, exist_ok=True)
        writer_cls: Any
        try:
            from torch.utils.tensorboard import SummaryWriter as writer_cls
        except ImportError:
            writer_cls = self._import("tensorboardX").SummaryWriter
        self._writer = writer_cls(self._save_dir)

    def _experiment(self) -> Any:
        return self._writer

    @force_init_env
    def add_config(self, config: Any, **kwargs: Any) -> None:
        """Record the config source as a text summary called ``config``."""
        self._writer.add_text("config", f"```python\n{config_text(config)}\n```")

    @force_init_env
    def add_graph(self, model: Any, data_batch: Any, **kwargs: Any) -> None:
        """Trace ``model`` on ``data_batch`` and record its graph."""
        self._writer.add_graph(model, data_batch, **kwargs)

    @force_init_env
    def add_image(self, name: str, image: np.ndarray, step: int = 0, **kwargs: Any) -> None:
        """Record an RGB image."""
        self._writer.add_image(name, image, step, dataformats="HWC")

    @force_init_env
    def add_scalar(self, name: str, value: float, step: int = 0, **kwargs: Any) -> None:
        """Record one scalar."""
        self._writer.add_scalar(name, scalar_value(value), step)

    def close(self) -> None:
        """Flush and close the event file."""
        if self._writer is not None:
            self._writer.close()
            self._writer = None
            self._env_initialized = False
