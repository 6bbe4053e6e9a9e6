"""mme.strategy: how a model is placed, wrapped, optimised and checkpointed.

A strategy is the part of training that differs between single-device, DDP, FSDP, DeepSpeed and
ColossalAI runs. The Runner asks its strategy to set up the process group, wrap and compile the
model, build the optimizer wrapper and gather or shard the checkpoint states; the loops, hooks,
exact resume and atomic checkpoint files are the Runner's and the same under every strategy.
The plain ``Runner`` picks ``SingleDeviceStrategy`` or ``DDPStrategy`` from its launcher;
``FlexibleRunner`` takes ``strategy=dict(type=...)`` (registered in ``mme.registry.STRATEGIES``).
"""

from __future__ import annotations

from mme.runner.version import __version__

from ._base import BaseStrategy
from ._colossalai import ColossalAIStrategy
from ._ddp import DDPStrategy
from ._deepspeed import DeepSpeedStrategy
from ._errors import (
    CheckpointError,
    IncompleteCheckpointError,
    MissingPackageError,
    StrategyConfigError,
    UnsafeCheckpointError,
)
from ._fsdp import FSDPStrategy
from ._single import SingleDeviceStrategy
from ._state_dict import load_state_dict

__all__ = [
    "BaseStrategy",
    "CheckpointError",
    "ColossalAIStrategy",
    "DDPStrategy",
    "DeepSpeedStrategy",
    "FSDPStrategy",
    "IncompleteCheckpointError",
    "MissingPackageError",
    "SingleDeviceStrategy",
    "StrategyConfigError",
    "UnsafeCheckpointError",
    "__version__",
    "load_state_dict",
]
