"""mme.model: BaseModel, data preprocessors, BaseModule with init_cfg, weight initialisers,
EMA models, the DDP wrapper, test-time augmentation and model helpers.

Importing this package attaches :func:`build_model_from_cfg` to the MODELS registry.
"""

from __future__ import annotations

from mme.runner.version import __version__

from ._averaged_model import (
    BaseAveragedModel,
    ExponentialMovingAverage,
    MomentumAnnealingEMA,
    StochasticWeightAverage,
)
from ._base_model import BaseModel
from ._base_module import BaseModule, ModuleDict, ModuleList, Sequential
from ._build import _attach, build_model_from_cfg
from ._data_preprocessor import BaseDataPreprocessor, ImgDataPreprocessor
from ._activation_checkpointing import turn_on_activation_checkpointing, wrap_forward
from ._colossalai import CollosalAIModelWrapper
from ._deepspeed import MMDeepSpeedEngineWrapper
from ._efficient_conv_bn_eval import efficient_conv_bn_eval_forward, turn_on_efficient_conv_bn_eval
from ._errors import InitCfgError, ModelTypeError, ModelValueError
from ._fsdp import MMFullyShardedDataParallel
from ._init_functions import (
    bias_init_with_prob,
    caffe2_xavier_init,
    constant_init,
    kaiming_init,
    normal_init,
    trunc_normal_,
    trunc_normal_init,
    uniform_init,
    xavier_init,
)
from ._separate_ddp import MMSeparateDistributedDataParallel
from ._test_time_aug import BaseTTAModel
from ._utils import convert_sync_batchnorm, detect_anomalous_params, merge_dict, revert_sync_batchnorm, stack_batch
from ._weight_init import (
    BaseInit,
    Caffe2XavierInit,
    ConstantInit,
    KaimingInit,
    NormalInit,
    PretrainedInit,
    TruncNormalInit,
    UniformInit,
    XavierInit,
    initialize,
    update_init_info,
)
from ._wrappers import MMDistributedDataParallel, is_model_wrapper

_attach()

__all__ = [
    "BaseAveragedModel",
    "BaseDataPreprocessor",
    "BaseInit",
    "BaseModel",
    "BaseModule",
    "BaseTTAModel",
    "Caffe2XavierInit",
    "CollosalAIModelWrapper",
    "ConstantInit",
    "ExponentialMovingAverage",
    "ImgDataPreprocessor",
    "InitCfgError",
    "KaimingInit",
    "MMDeepSpeedEngineWrapper",
    "MMDistributedDataParallel",
    "MMFullyShardedDataParallel",
    "MMSeparateDistributedDataParallel",
    "ModelTypeError",
    "ModelValueError",
    "ModuleDict",
    "ModuleList",
    "MomentumAnnealingEMA",
    "NormalInit",
    "PretrainedInit",
    "Sequential",
    "StochasticWeightAverage",
    "TruncNormalInit",
    "UniformInit",
    "XavierInit",
    "__version__",
    "bias_init_with_prob",
    "build_model_from_cfg",
    "caffe2_xavier_init",
    "constant_init",
    "convert_sync_batchnorm",
    "detect_anomalous_params",
    "efficient_conv_bn_eval_forward",
    "initialize",
    "is_model_wrapper",
    "kaiming_init",
    "merge_dict",
    "normal_init",
    "revert_sync_batchnorm",
    "stack_batch",
    "trunc_normal_",
    "trunc_normal_init",
    "turn_on_activation_checkpointing",
    "turn_on_efficient_conv_bn_eval",
    "uniform_init",
    "update_init_info",
    "wrap_forward",
    "xavier_init",
]
