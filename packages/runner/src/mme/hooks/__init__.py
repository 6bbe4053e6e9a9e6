"""mme.hooks: the ``Hook`` base class, hook priorities and the built-in hooks.

Every hook is registered in ``mme.registry.HOOKS`` and can be named by ``type`` in
``default_hooks`` or ``custom_hooks``.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from ._checkpoint import CheckpointHook
from ._early_stopping import EarlyStoppingHook
from ._ema import EMAHook
from ._empty_cache import EmptyCacheHook
from ._errors import HookConfigError, HookError
from ._hook import HOOK_STAGES, Hook
from ._iter_timer import IterTimerHook
from ._logger import LoggerHook
from ._naive_visualization import NaiveVisualizationHook
from ._param_scheduler import ParamSchedulerHook
from ._priority import Priority, get_priority
from ._profiler import NPUProfilerHook, ProfilerHook, check_kineto
from ._runtime_info import RuntimeInfoHook
from ._sampler_seed import DistSamplerSeedHook
from ._sync_buffers import SyncBuffersHook
from ._test_time_aug import PrepareTTAHook, build_runner_with_tta

try:
    __version__ = version("mme-runner")
except PackageNotFoundError:  # pragma: no cover - source tree without metadata
    __version__ = "0.0.0"

__all__ = [
    "HOOK_STAGES",
    "CheckpointHook",
    "DistSamplerSeedHook",
    "EMAHook",
    "EarlyStoppingHook",
    "EmptyCacheHook",
    "Hook",
    "HookConfigError",
    "HookError",
    "IterTimerHook",
    "LoggerHook",
    "NPUProfilerHook",
    "NaiveVisualizationHook",
    "ParamSchedulerHook",
    "PrepareTTAHook",
    "Priority",
    "ProfilerHook",
    "RuntimeInfoHook",
    "SyncBuffersHook",
    "__version__",
    "build_runner_with_tta",
    "check_kineto",
    "get_priority",
]
