"""The examples in mme.evaluator's docstrings run.

Every module of ``mme.evaluator`` goes through doctest, and each module in ``WITH_EXAMPLES`` must
hold at least one example: a module that loses its examples, or a finder that finds none, fails.
"""

from __future__ import annotations

import mme.evaluator
from doctest_support import doctest_tests

WITH_EXAMPLES = [
    "mme.evaluator._evaluator",
    "mme.evaluator._utils",
]


test_the_modules_with_examples_are_found, test_docstring_examples = doctest_tests(
    [mme.evaluator], WITH_EXAMPLES)
