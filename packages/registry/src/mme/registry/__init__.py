"""Hierarchical, scoped registries that build objects from configs (no torch).

A :class:`Registry` maps names to classes and functions; ``registry.build(cfg)`` constructs
``cfg['type']`` with the other keys as arguments. The 23 root registries of mme (``MODELS``,
``HOOKS``, ``DATASETS``, ...) live here and stay empty until a higher layer registers into them.
"""

from __future__ import annotations

from ._build import build_from_cfg
from ._build_path import build_path, current_build_path
from ._default_scope import DefaultScope, init_default_scope
from ._errors import (
    AlreadyRegisteredError,
    BuildError,
    MissingTypeError,
    NotRegisteredError,
    RegistryError,
    RegistryImportError,
    RegistryTypeError,
    RegistryValueError,
)
from ._registry import Registry
from ._root import (
    DATA_SAMPLERS,
    DATASETS,
    EVALUATOR,
    FUNCTIONS,
    HOOKS,
    INFERENCERS,
    LOG_PROCESSORS,
    LOOPS,
    METRICS,
    MODEL_WRAPPERS,
    MODELS,
    OPTIM_WRAPPER_CONSTRUCTORS,
    OPTIM_WRAPPERS,
    OPTIMIZERS,
    PARAM_SCHEDULERS,
    RUNNER_CONSTRUCTORS,
    RUNNERS,
    STRATEGIES,
    TASK_UTILS,
    TRANSFORMS,
    VISBACKENDS,
    VISUALIZERS,
    WEIGHT_INITIALIZERS,
)
from ._tree import count_registered_modules, traverse_registry_tree
from .version import __version__

__all__ = [
    "AlreadyRegisteredError",
    "BuildError",
    "DATASETS",
    "DATA_SAMPLERS",
    "DefaultScope",
    "EVALUATOR",
    "FUNCTIONS",
    "HOOKS",
    "INFERENCERS",
    "LOG_PROCESSORS",
    "LOOPS",
    "METRICS",
    "MODELS",
    "MODEL_WRAPPERS",
    "MissingTypeError",
    "NotRegisteredError",
    "OPTIMIZERS",
    "OPTIM_WRAPPERS",
    "OPTIM_WRAPPER_CONSTRUCTORS",
    "PARAM_SCHEDULERS",
    "RUNNERS",
    "RUNNER_CONSTRUCTORS",
    "Registry",
    "RegistryError",
    "RegistryImportError",
    "RegistryTypeError",
    "RegistryValueError",
    "STRATEGIES",
    "TASK_UTILS",
    "TRANSFORMS",
    "VISBACKENDS",
    "VISUALIZERS",
    "WEIGHT_INITIALIZERS",
    "__version__",
    "build_from_cfg",
    "build_path",
    "count_registered_modules",
    "current_build_path",
    "init_default_scope",
    "traverse_registry_tree",
]
