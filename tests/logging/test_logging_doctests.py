"""The examples in mme.logging's docstrings run.

Every module of ``mme.logging`` goes through doctest, and each module in ``WITH_EXAMPLES`` must hold
at least one example: a module that loses its examples, or a finder that finds none, fails.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import mme.logging
import pytest
from mme.logging import HistoryBuffer

MODULES = sorted(m.name for m in pkgutil.iter_modules(mme.logging.__path__, "mme.logging."))
WITH_EXAMPLES = [
    "mme.logging._history_buffer",
    "mme.logging._logger",
    "mme.logging._message_hub",
]


@pytest.fixture(autouse=True)
def _keep_statistics():
    saved = dict(HistoryBuffer._statistics_methods)
    yield
    HistoryBuffer._statistics_methods.clear()
    HistoryBuffer._statistics_methods.update(saved)


def test_the_modules_with_examples_are_found():
    assert MODULES and set(WITH_EXAMPLES) <= set(MODULES)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
    if name in WITH_EXAMPLES:
        assert result.attempted > 0, f"{name} has lost its docstring examples"
