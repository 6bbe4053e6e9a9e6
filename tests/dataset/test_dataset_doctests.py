"""The examples in mme.dataset's docstrings run.

Every module of ``mme.dataset`` goes through doctest, and each module in ``WITH_EXAMPLES`` must
hold at least one example: a module that loses its examples, or a finder that finds none, fails.
"""

from __future__ import annotations

import mme.dataset
from doctest_support import doctest_tests

WITH_EXAMPLES = [
    "mme.dataset._compose",
    "mme.dataset._fetch",
    "mme.dataset._utils",
]


test_the_modules_with_examples_are_found, test_docstring_examples = doctest_tests(
    [mme.dataset], WITH_EXAMPLES)
