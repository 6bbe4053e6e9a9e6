"""The examples in mme.dataset's docstrings run.

Every module of ``mme.dataset`` goes through doctest, and each module in ``WITH_EXAMPLES`` must
hold at least one example: a module that loses its examples, or a finder that finds none, fails.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import mme.dataset
import pytest

MODULES = sorted(m.name for m in pkgutil.iter_modules(mme.dataset.__path__, "mme.dataset."))
WITH_EXAMPLES = [
    "mme.dataset._compose",
    "mme.dataset._fetch",
    "mme.dataset._utils",
]


def test_the_modules_with_examples_are_found():
    assert MODULES and set(WITH_EXAMPLES) <= set(MODULES)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
    if name in WITH_EXAMPLES:
        assert result.attempted > 0, f"{name} has lost its docstring examples"
