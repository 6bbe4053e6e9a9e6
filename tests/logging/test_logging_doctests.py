"""The examples in mme.logging's docstrings run.

Every module of ``mme.logging`` goes through doctest, and each module in ``WITH_EXAMPLES`` must hold
at least one example: a module that loses its examples, or a finder that finds none, fails.
"""

from __future__ import annotations

import mme.logging
import pytest
from mme.logging import HistoryBuffer
from doctest_support import doctest_tests

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


test_the_modules_with_examples_are_found, test_docstring_examples = doctest_tests(
    [mme.logging], WITH_EXAMPLES)
