"""The root registries of mme.

They hold nothing until a higher layer registers into them (``mme.runner`` registers its loops
and hooks into LOOPS and HOOKS, and attaches torch builders such as
``MODELS.build_func = build_model_from_cfg``). Downstream libraries declare children of them
with their own scope.
"""

from __future__ import annotations

from ._registry import Registry

__all__ = [
    "DATASETS",
    "DATA_SAMPLERS",
    "EVALUATOR",
    "FUNCTIONS",
    "HOOKS",
    "INFERENCERS",
    "LOG_PROCESSORS",
    "LOOPS",
    "METRICS",
    "MODELS",
    "MODEL_WRAPPERS",
    "OPTIMIZERS",
    "OPTIM_WRAPPERS",
    "OPTIM_WRAPPER_CONSTRUCTORS",
    "PARAM_SCHEDULERS",
    "RUNNERS",
    "RUNNER_CONSTRUCTORS",
    "STRATEGIES",
    "TASK_UTILS",
    "TRANSFORMS",
    "VISBACKENDS",
    "VISUALIZERS",
    "WEIGHT_INITIALIZERS",
]

_SCOPE = "mme"

#: Runners (``Runner`` and its subclasses).
RUNNERS = Registry("runner", scope=_SCOPE)
#: Constructors that build a runner from a config.
RUNNER_CONSTRUCTORS = Registry("runner constructor", scope=_SCOPE)
#: Training, validation and test loops.
LOOPS = Registry("loop", scope=_SCOPE)
#: Hooks.
HOOKS = Registry("hook", scope=_SCOPE)
#: Training strategies (single device, DDP, FSDP, DeepSpeed, ...).
STRATEGIES = Registry("strategy", scope=_SCOPE)
#: Datasets.
DATASETS = Registry("dataset", scope=_SCOPE)
#: Samplers for data loaders.
DATA_SAMPLERS = Registry("data sampler", scope=_SCOPE)
#: Data transforms.
TRANSFORMS = Registry("transform", scope=_SCOPE)
#: Models and their parts.
MODELS = Registry("model", scope=_SCOPE)
#: Model wrappers (DistributedDataParallel, ...).
MODEL_WRAPPERS = Registry("model_wrapper", scope=_SCOPE)
#: Weight initializers.
WEIGHT_INITIALIZERS = Registry("weight initializer", scope=_SCOPE)
#: Optimizers.
OPTIMIZERS = Registry("optimizer", scope=_SCOPE)
#: Optimizer wrappers (OptimWrapper, AmpOptimWrapper, ...).
OPTIM_WRAPPERS = Registry("optim_wrapper", scope=_SCOPE)
#: Constructors of optimizer wrappers.
OPTIM_WRAPPER_CONSTRUCTORS = Registry("optimizer wrapper constructor", scope=_SCOPE)
#: Learning-rate and momentum schedulers.
PARAM_SCHEDULERS = Registry("parameter scheduler", scope=_SCOPE)
#: Metrics.
METRICS = Registry("metric", scope=_SCOPE)
#: Evaluators.
EVALUATOR = Registry("evaluator", scope=_SCOPE)
#: Task-specific utilities (anchor generators, box coders, ...).
TASK_UTILS = Registry("task util", scope=_SCOPE)
#: Visualizers.
VISUALIZERS = Registry("visualizer", scope=_SCOPE)
#: Visualization backends (local, TensorBoard, wandb, ...).
VISBACKENDS = Registry("vis_backend", scope=_SCOPE)
#: Log processors.
LOG_PROCESSORS = Registry("log_processor", scope=_SCOPE)
#: Inferencers.
INFERENCERS = Registry("inferencer", scope=_SCOPE)
#: Plain functions (collate functions, ...).
FUNCTIONS = Registry("function", scope=_SCOPE)
