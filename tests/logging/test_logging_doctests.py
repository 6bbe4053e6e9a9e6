"""The examples in mme.logging's docstrings run."""

from __future__ import annotations

import doctest
import importlib

import pytest
from mme.logging import HistoryBuffer

MODULES = ["mme.logging._history_buffer", "mme.logging._message_hub", "mme.logging._logger"]


@pytest.fixture(autouse=True)
def _keep_statistics():
    saved = dict(HistoryBuffer._statistics_methods)
    yield
    HistoryBuffer._statistics_methods.clear()
    HistoryBuffer._statistics_methods.update(saved)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted > 0
