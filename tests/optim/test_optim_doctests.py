"""The examples in mme.optim docstrings run."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import mme.optim
import pytest

MODULES = sorted(m.name for m in pkgutil.iter_modules(mme.optim.__path__, "mme.optim."))


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
