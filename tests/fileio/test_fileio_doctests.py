"""The examples in mme.fileio's docstrings run.

Every module of ``mme.fileio`` goes through doctest, and each module in ``WITH_EXAMPLES`` must hold
at least one example: a module that loses its examples, or a finder that finds none, fails.
"""

from __future__ import annotations

import mme.fileio
from doctest_support import doctest_tests

WITH_EXAMPLES = [
    "mme.fileio._handlers",
    "mme.fileio._io",
    "mme.fileio._zipcheck",
]


test_the_modules_with_examples_are_found, test_docstring_examples = doctest_tests(
    [mme.fileio], WITH_EXAMPLES)
