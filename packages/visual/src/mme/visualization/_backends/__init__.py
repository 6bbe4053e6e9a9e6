"""The visualization backends; importing this package registers them in VISBACKENDS."""

from __future__ import annotations

from ._aim import AimVisBackend
from ._base import BaseVisBackend, force_init_env
from ._clearml import ClearMLVisBackend
from ._dvclive import DVCLiveVisBackend
from ._local import LocalVisBackend
from ._mlflow import MLflowVisBackend
from ._neptune import NeptuneVisBackend
from ._tensorboard import TensorboardVisBackend
from ._wandb import WandbVisBackend

__all__ = [
    "AimVisBackend",
    "BaseVisBackend",
    "ClearMLVisBackend",
    "DVCLiveVisBackend",
    "LocalVisBackend",
    "MLflowVisBackend",
    "NeptuneVisBackend",
    "TensorboardVisBackend",
    "WandbVisBackend",
    "force_init_env",
]
