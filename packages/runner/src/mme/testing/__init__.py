"""mme.testing: toy components, a Runner test case and assertion helpers for tests.

Importing this module registers ``ToyModel`` (MODELS), ``ToyDataset`` (DATASETS) and
``ToyMetric`` (METRICS).
"""

from __future__ import annotations

from mme.runner.version import __version__

from ._compare import (
    assert_allclose,
    assert_attrs_equal,
    assert_dict_contains_subset,
    assert_dict_has_keys,
    assert_is_norm_layer,
    assert_keys_equal,
    assert_params_all_zeros,
    check_python_script,
)
from ._runner_test_case import RunnerTestCase
from ._toys import ToyDataset, ToyMetric, ToyModel, get_toy_cfg

__all__ = [
    "RunnerTestCase",
    "ToyDataset",
    "ToyMetric",
    "ToyModel",
    "__version__",
    "assert_allclose",
    "assert_attrs_equal",
    "assert_dict_contains_subset",
    "assert_dict_has_keys",
    "assert_is_norm_layer",
    "assert_keys_equal",
    "assert_params_all_zeros",
    "check_python_script",
    "get_toy_cfg",
]
