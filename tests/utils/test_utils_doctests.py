"""The examples in mme.utils' docstrings run.

Every module of ``mme.utils`` goes through doctest, and each module in ``WITH_EXAMPLES`` must hold
at least one example: a module that loses its examples, or a finder that finds none, fails.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import mme.utils

MODULES = sorted(m.name for m in pkgutil.iter_modules(mme.utils.__path__, "mme.utils."))
WITH_EXAMPLES = [
    "mme.utils._deprecation",
    "mme.utils._manager",
    "mme.utils._misc",
    "mme.utils._package_utils",
    "mme.utils._path",
    "mme.utils._prerequisites",
    "mme.utils._progress_rich",
    "mme.utils._sequences",
    "mme.utils._timer",
    "mme.utils._version_utils",
]


def test_the_modules_with_examples_are_found():
    assert MODULES and set(WITH_EXAMPLES) <= set(MODULES)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
    if name in WITH_EXAMPLES:
        assert result.attempted > 0, f"{name} has lost its docstring examples"
