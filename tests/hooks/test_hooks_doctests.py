"""The docstring examples of mme.hooks and mme.runner run as doctests."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["mme.hooks._hook", "mme.hooks._priority", "mme.runner._checkpoint", "mme.runner._log_processor"]


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
