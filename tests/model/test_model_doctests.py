"""The examples in mme.model's docstrings run.

Every module of ``mme.model`` goes through doctest, and each module in ``WITH_EXAMPLES`` must hold
at least one example: a module that loses its examples, or a finder that finds none, fails.
"""

from __future__ import annotations

import mme.model
from doctest_support import doctest_tests

WITH_EXAMPLES = [
    "mme.model._init_functions",
    "mme.model._utils",
    "mme.model._weight_init",
]


test_the_modules_with_examples_are_found, test_docstring_examples = doctest_tests(
    [mme.model], WITH_EXAMPLES)
