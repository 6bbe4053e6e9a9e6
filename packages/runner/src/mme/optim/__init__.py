"""mme.optim: optimizer wrappers, the optimizer constructor and parameter schedulers.

Importing this package registers every ``torch.optim`` optimizer in ``OPTIMIZERS`` (torch's
``Adafactor`` as ``TorchAdafactor``), the wrappers in ``OPTIM_WRAPPERS``, the constructor in
``OPTIM_WRAPPER_CONSTRUCTORS`` and the schedulers in ``PARAM_SCHEDULERS``, whose build function
handles ``convert_to_iter_based``.
"""

from __future__ import annotations

from mme.runner.version import __version__

from ._amp_optim_wrapper import AmpOptimWrapper
from ._apex import ApexOptimWrapper
from ._base import BaseOptimWrapper
from ._constructor import DefaultOptimWrapperConstructor, build_optim_wrapper
from ._colossalai import ColossalAIOptimWrapper
from ._deepspeed import DeepSpeedOptimWrapper
from ._cyclic import CosineRestartParamScheduler, OneCycleParamScheduler
from ._errors import (
    MissingInitialValueError,
    NonFiniteGradError,
    OptimConfigError,
    OptimTypeError,
    SchedulerConfigError,
)
from ._optim_wrapper import OptimWrapper
from ._optim_wrapper_dict import OptimWrapperDict
from ._plateau import ReduceOnPlateauParamScheduler
from ._registration import build_optimizer_from_cfg, build_scheduler_from_cfg, register_all
from ._scheduler_base import _ParamScheduler
from ._schedulers import (
    ConstantParamScheduler,
    CosineAnnealingParamScheduler,
    ExponentialParamScheduler,
    LinearParamScheduler,
    MultiStepParamScheduler,
    PolyParamScheduler,
    StepParamScheduler,
)
from ._variants import (
    ConstantLR,
    ConstantMomentum,
    CosineAnnealingLR,
    CosineAnnealingMomentum,
    CosineRestartLR,
    CosineRestartMomentum,
    ExponentialLR,
    ExponentialMomentum,
    LinearLR,
    LinearMomentum,
    LRSchedulerMixin,
    MomentumSchedulerMixin,
    MultiStepLR,
    MultiStepMomentum,
    OneCycleLR,
    PolyLR,
    PolyMomentum,
    ReduceOnPlateauLR,
    ReduceOnPlateauMomentum,
    StepLR,
    StepMomentum,
)

register_all()
del register_all

__all__ = [
    "AmpOptimWrapper",
    "ApexOptimWrapper",
    "BaseOptimWrapper",
    "ColossalAIOptimWrapper",
    "ConstantLR",
    "ConstantMomentum",
    "ConstantParamScheduler",
    "CosineAnnealingLR",
    "CosineAnnealingMomentum",
    "CosineAnnealingParamScheduler",
    "CosineRestartLR",
    "CosineRestartMomentum",
    "CosineRestartParamScheduler",
    "DeepSpeedOptimWrapper",
    "DefaultOptimWrapperConstructor",
    "ExponentialLR",
    "ExponentialMomentum",
    "ExponentialParamScheduler",
    "LRSchedulerMixin",
    "LinearLR",
    "LinearMomentum",
    "LinearParamScheduler",
    "MissingInitialValueError",
    "MomentumSchedulerMixin",
    "MultiStepLR",
    "MultiStepMomentum",
    "MultiStepParamScheduler",
    "NonFiniteGradError",
    "OneCycleLR",
    "OneCycleParamScheduler",
    "OptimConfigError",
    "OptimTypeError",
    "OptimWrapper",
    "OptimWrapperDict",
    "PolyLR",
    "PolyMomentum",
    "PolyParamScheduler",
    "ReduceOnPlateauLR",
    "ReduceOnPlateauMomentum",
    "ReduceOnPlateauParamScheduler",
    "SchedulerConfigError",
    "StepLR",
    "StepMomentum",
    "StepParamScheduler",
    "ZeroRedundancyOptimizer",
    "_ParamScheduler",
    "__version__",
    "build_optim_wrapper",
    "build_optimizer_from_cfg",
    "build_scheduler_from_cfg",
]


def __getattr__(name: str) -> object:
    # ZeroRedundancyOptimizer is imported on first use: its module pulls torch.distributed.optim
    if name == "ZeroRedundancyOptimizer":
        from ._zero import ZeroRedundancyOptimizer

        globals()[name] = ZeroRedundancyOptimizer
        return ZeroRedundancyOptimizer
    raise AttributeError(f"module 'mme.optim' has no attribute {name!r}")
