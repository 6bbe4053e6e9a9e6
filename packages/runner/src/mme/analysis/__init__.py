"""mme.analysis: FLOP, activation and parameter counts of a model, by module and by operator.

The model is traced with ``torch.jit`` on example inputs; each traced operator with a handle is
counted for the module that ran it and that module's parents. One fused multiply-add counts as
one FLOP. ``get_model_complexity_info`` gives the totals and a per-module table and model repr.
"""

from __future__ import annotations

from mme.runner.version import __version__

from ._complexity_analysis import (
    ActivationAnalyzer,
    FlopAnalyzer,
    activation_count,
    flop_count,
    parameter_count,
    parameter_count_table,
)
from ._jit_analysis import JitModelAnalysis, Statistics
from ._jit_handles import (
    addmm_flop_jit,
    batchnorm_flop_jit,
    bmm_flop_jit,
    conv_flop_count,
    conv_flop_jit,
    einsum_flop_jit,
    elementwise_flop_counter,
    generic_activation_jit,
    get_shape,
    linear_flop_jit,
    matmul_flop_jit,
    norm_flop_counter,
)
from ._print_helper import complexity_stats_str, complexity_stats_table, get_model_complexity_info

__all__ = [
    "ActivationAnalyzer",
    "FlopAnalyzer",
    "JitModelAnalysis",
    "Statistics",
    "__version__",
    "activation_count",
    "addmm_flop_jit",
    "batchnorm_flop_jit",
    "bmm_flop_jit",
    "complexity_stats_str",
    "complexity_stats_table",
    "conv_flop_count",
    "conv_flop_jit",
    "einsum_flop_jit",
    "elementwise_flop_counter",
    "flop_count",
    "generic_activation_jit",
    "get_model_complexity_info",
    "get_shape",
    "linear_flop_jit",
    "matmul_flop_jit",
    "norm_flop_counter",
    "parameter_count",
    "parameter_count_table",
]
