"""Assertion helpers for tests (MMEngine's ``mmengine.testing.compare``)."""

from __future__ import annotations

import shlex
import sys
from collections.abc import Callable, Iterable, Mapping
from runpy import run_path
from typing import Any
from unittest.mock import patch

import numpy as np
import torch
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm
from torch.nn.modules.instancenorm import _InstanceNorm

__all__ = [
    "assert_allclose",
    "assert_attrs_equal",
    "assert_dict_contains_subset",
    "assert_dict_has_keys",
    "assert_is_norm_layer",
    "assert_keys_equal",
    "assert_params_all_zeros",
    "check_python_script",
]

# torch.testing's default tolerances, (rtol, atol), for the dtypes that have them
_TOLERANCES = {
    torch.float16: (1e-3, 1e-5),
    torch.bfloat16: (1.6e-2, 1e-5),
    torch.float32: (1.3e-6, 1e-5),
    torch.float64: (1e-7, 1e-7),
    torch.complex64: (1.3e-6, 1e-5),
    torch.complex128: (1e-7, 1e-7),
}


def assert_allclose(actual: Any, expected: Any, rtol: float | None = None, atol: float | None = None,
                    equal_nan: bool = True, msg: str | Callable[[str], str] | None = "") -> None:
    """Assert that ``actual`` and ``expected`` (tensors, arrays, numbers or sequences) are close.

    ``|actual - expected| <= atol + rtol * |expected|`` element-wise, after both are made tensors
    (``expected`` with ``actual``'s dtype); a tolerance left None is torch's default for the dtype
    (0 for integers). NaNs compare equal unless ``equal_nan`` is False.

    Raises:
        AssertionError: The values, or the shapes, differ (the message says where and by how much).
    """
    actual_t = actual if isinstance(actual, torch.Tensor) else torch.as_tensor(np.asarray(actual))
    expected_t = torch.as_tensor(
        expected if isinstance(expected, torch.Tensor) else np.asarray(expected), dtype=actual_t.dtype,
        device=actual_t.device)
    default_rtol, default_atol = _TOLERANCES.get(actual_t.dtype, (0.0, 0.0))
    torch.testing.assert_close(
        actual_t, expected_t, rtol=default_rtol if rtol is None else rtol, atol=default_atol if atol is None else atol,
        equal_nan=equal_nan, check_dtype=False, check_device=False, msg=msg or None)


def _equal(a: Any, b: Any) -> bool:
    """Whether two values are equal, element-wise for tensors and arrays (shapes must match)."""
    if isinstance(a, torch.Tensor) or isinstance(b, torch.Tensor):
        if not (isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor)):
            return False
        return a.shape == b.shape and bool(torch.equal(a.cpu(), b.cpu()))
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return bool(np.array_equal(np.asarray(a), np.asarray(b)))
    result = a == b
    if isinstance(result, (np.ndarray, torch.Tensor)):
        return bool(result.all())
    return bool(result)


def assert_dict_contains_subset(dict_obj: Mapping[Any, Any], expected_subset: Mapping[Any, Any]) -> bool:
    """Whether ``dict_obj`` has every key of ``expected_subset`` with an equal value (arrays element-wise)."""
    return all(key in dict_obj and _equal(dict_obj[key], value) for key, value in expected_subset.items())


def assert_attrs_equal(obj: Any, expected_attrs: Mapping[str, Any]) -> bool:
    """Whether ``obj`` has every attribute of ``expected_attrs`` with an equal value (tensors element-wise)."""
    missing = object()
    return all(_equal(value, expected) if (value := getattr(obj, attr, missing)) is not missing else False
               for attr, expected in expected_attrs.items())


def assert_dict_has_keys(obj: Mapping[str, Any], expected_keys: Iterable[str]) -> bool:
    """Whether ``obj`` has all of ``expected_keys``."""
    return set(expected_keys).issubset(obj.keys())


def assert_keys_equal(result_keys: Iterable[str], target_keys: Iterable[str]) -> bool:
    """Whether the two collections hold the same keys, in any order."""
    return set(result_keys) == set(target_keys)


def assert_is_norm_layer(module: nn.Module) -> bool:
    """Whether ``module`` is a normalization layer: batch, instance, group or layer norm."""
    return isinstance(module, (_BatchNorm, _InstanceNorm, nn.GroupNorm, nn.LayerNorm))


def assert_params_all_zeros(module: nn.Module) -> bool:
    """Whether every parameter of ``module`` (its weight and bias, and those of its children) is zero.

    Raises:
        ValueError: ``module`` has no parameters, so the question has no answer.
    """
    params = list(module.parameters())
    if not params:
        raise ValueError(f"assert_params_all_zeros: {type(module).__name__} has no parameters")
    return all(bool((p.detach() == 0).all()) for p in params)


def check_python_script(cmd: str) -> None:
    """Run a Python script in this process as ``__main__``, with ``sys.argv`` from ``cmd``.

    Unlike a subprocess, coverage tools see the script run. ``cmd`` is ``"path/script.py args"``
    or ``"python path/script.py args"``. A script that ends with ``sys.exit(n)`` raises
    ``SystemExit`` here.
    """
    args = shlex.split(cmd)
    if args and args[0] in ("python", "python3", sys.executable):
        args = args[1:]
    if not args:
        raise ValueError(f"check_python_script: no script in {cmd!r}")
    with patch.object(sys, "argv", args):
        run_path(args[0], run_name="__main__")
