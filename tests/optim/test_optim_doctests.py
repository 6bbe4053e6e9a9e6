"""The examples in mme.optim's docstrings run.

Every module of ``mme.optim`` goes through doctest, and each module in ``WITH_EXAMPLES`` must hold
at least one example: a module that loses its examples, or a finder that finds none, fails.
"""

from __future__ import annotations

import mme.optim
from doctest_support import doctest_tests

WITH_EXAMPLES = [
    "mme.optim._constructor",
    "mme.optim._nonfinite",
    "mme.optim._optim_wrapper",
]


test_the_modules_with_examples_are_found, test_docstring_examples = doctest_tests(
    [mme.optim], WITH_EXAMPLES)
