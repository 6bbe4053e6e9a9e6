"""The examples in mme.dist's and mme.device's docstrings run.

Every module of ``mme.device`` and ``mme.dist`` goes through doctest, and each module in
``WITH_EXAMPLES`` must hold at least one example: a module that loses its examples, or a finder that
finds none, fails.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import mme.device
import mme.dist
import pytest

MODULES = sorted(
    m.name for p in (mme.device, mme.dist) for m in pkgutil.iter_modules(p.__path__, p.__name__ + ".")
)
WITH_EXAMPLES = [
    "mme.device._device",
    "mme.dist._collect",
    "mme.dist._collectives",
    "mme.dist._device",
    "mme.dist._info",
]


def test_the_modules_with_examples_are_found():
    assert MODULES and set(WITH_EXAMPLES) <= set(MODULES)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
    if name in WITH_EXAMPLES:
        assert result.attempted > 0, f"{name} has lost its docstring examples"
