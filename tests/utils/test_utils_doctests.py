"""The examples in mme.utils docstrings run."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import mme.utils

MODULES = sorted(m.name for m in pkgutil.iter_modules(mme.utils.__path__, "mme.utils."))


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
