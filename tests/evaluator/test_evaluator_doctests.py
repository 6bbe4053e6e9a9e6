"""The examples in mme.evaluator docstrings run."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import mme.evaluator
import pytest

MODULES = sorted(m.name for m in pkgutil.iter_modules(mme.evaluator.__path__, "mme.evaluator."))


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
