"""The examples in mme.structures' docstrings run.

Every module of ``mme.structures`` goes through doctest, and each module in ``WITH_EXAMPLES`` must
hold at least one example: a module that loses its examples, or a finder that finds none, fails.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import mme.structures
import pytest

MODULES = sorted(m.name for m in pkgutil.iter_modules(mme.structures.__path__, "mme.structures."))
WITH_EXAMPLES = [
    "mme.structures._base_data_element",
    "mme.structures._instance_data",
    "mme.structures._label_data",
    "mme.structures._pixel_data",
]


def test_the_modules_with_examples_are_found():
    assert MODULES and set(WITH_EXAMPLES) <= set(MODULES)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
    if name in WITH_EXAMPLES:
        assert result.attempted > 0, f"{name} has lost its docstring examples"
