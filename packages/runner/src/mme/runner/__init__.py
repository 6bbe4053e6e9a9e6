"""mme.runner: the Runner, its loops, the log processor and checkpoint utilities.

Names are imported on first use, so ``import mme.runner`` (and ``mme.runner.version``, which the
sibling packages of this wheel read) stays cheap and free of import cycles.
"""

from __future__ import annotations

import importlib
from typing import Any

from .version import __version__

_EXPORTS = {
    "BaseLoop": "._base_loop",
    "CheckpointError": "._errors",
    "CheckpointLoader": "._checkpoint_loader",
    "EpochBasedTrainLoop": "._train_loops",
    "FlexibleRunner": "._flexible",
    "IncompleteCheckpointError": "._errors",
    "IterBasedTrainLoop": "._train_loops",
    "LogProcessor": "._log_processor",
    "NonFiniteLossError": "._errors",
    "Priority": "mme.hooks",
    "Runner": "._runner",
    "RunnerConfigError": "._errors",
    "RunnerStateError": "._errors",
    "TestLoop": "._eval_loops",
    "UnsafeCheckpointError": "._errors",
    "ValLoop": "._eval_loops",
    "autocast": "._amp",
    "build_runner_from_cfg": "._build_runner",
    "calc_dynamic_intervals": "._train_loops",
    "find_latest_checkpoint": "._checkpoint",
    "get_deprecated_model_names": "._checkpoint_loader",
    "get_external_models": "._checkpoint_loader",
    "get_mmcls_models": "._checkpoint_loader",
    "get_priority": "mme.hooks",
    "get_rng_state": "._randomness",
    "get_state_dict": "._checkpoint",
    "get_torchvision_models": "._checkpoint_loader",
    "is_complete_checkpoint": "._checkpoint",
    "load_checkpoint": "._checkpoint",
    "load_state_dict": "._checkpoint",
    "publish_checkpoint": "._checkpoint",
    "save_checkpoint": "._checkpoint",
    "set_random_seed": "._randomness",
    "set_rng_state": "._randomness",
    "to_weights_only_safe": "._checkpoint",
    "turn_on_activation_checkpointing": "mme.model",
    "weights_to_cpu": "._checkpoint",
    "wrap_forward": "mme.model",
}

__all__ = [
    "BaseLoop",
    "CheckpointError",
    "CheckpointLoader",
    "EpochBasedTrainLoop",
    "FlexibleRunner",
    "IncompleteCheckpointError",
    "IterBasedTrainLoop",
    "LogProcessor",
    "NonFiniteLossError",
    "Priority",
    "Runner",
    "RunnerConfigError",
    "RunnerStateError",
    "TestLoop",
    "UnsafeCheckpointError",
    "ValLoop",
    "__version__",
    "autocast",
    "build_runner_from_cfg",
    "calc_dynamic_intervals",
    "find_latest_checkpoint",
    "get_deprecated_model_names",
    "get_external_models",
    "get_mmcls_models",
    "get_priority",
    "get_rng_state",
    "get_state_dict",
    "get_torchvision_models",
    "is_complete_checkpoint",
    "load_checkpoint",
    "load_state_dict",
    "publish_checkpoint",
    "save_checkpoint",
    "set_random_seed",
    "set_rng_state",
    "to_weights_only_safe",
    "turn_on_activation_checkpointing",
    "weights_to_cpu",
    "wrap_forward",
]


# Where the names of each root registry that this wheel fills are registered: declared here,
# imported by the registry on its first lookup, so that `import mme.runner` registers everything
# (as `import mmengine.runner` does) and still imports nothing. tests/runner/test_registrations.py
# checks the table against what importing every module registers.
_REGISTERED_IN = {
    "LOOPS": ("mme.runner._train_loops", "mme.runner._eval_loops"),
    "LOG_PROCESSORS": ("mme.runner._log_processor",),
    "RUNNERS": ("mme.runner._runner", "mme.runner._flexible"),
    "HOOKS": ("mme.hooks",),
    "OPTIMIZERS": ("mme.optim",),
    "OPTIM_WRAPPERS": ("mme.optim",),
    "OPTIM_WRAPPER_CONSTRUCTORS": ("mme.optim",),
    "PARAM_SCHEDULERS": ("mme.optim",),
    "MODELS": ("mme.model",),
    "MODEL_WRAPPERS": ("mme.model",),
    "WEIGHT_INITIALIZERS": ("mme.model",),
    "STRATEGIES": ("mme.strategy",),
    "DATASETS": ("mme.dataset",),
    "DATA_SAMPLERS": ("mme.dataset",),
    "FUNCTIONS": ("mme.dataset",),
    "EVALUATOR": ("mme.evaluator",),
    "METRICS": ("mme.evaluator",),
    "VISBACKENDS": ("mme.visualization",),
    "VISUALIZERS": ("mme.visualization",),
}


def _declare_registrations() -> None:
    from mme import registry

    for name, modules in _REGISTERED_IN.items():
        getattr(registry, name).add_locations(*modules)


_declare_registrations()


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'mme.runner' has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
