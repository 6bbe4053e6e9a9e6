"""The examples in mme.dist's and mme.device's docstrings run."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["mme.dist._info", "mme.dist._device", "mme.dist._collectives", "mme.dist._collect",
           "mme.device._device"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted > 0
