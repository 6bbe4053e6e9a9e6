"""The examples in mme.utils' docstrings run.

Every module of ``mme.utils`` goes through doctest, and each module in ``WITH_EXAMPLES`` must hold
at least one example: a module that loses its examples, or a finder that finds none, fails.
"""

from __future__ import annotations

import mme.utils
from doctest_support import doctest_tests

WITH_EXAMPLES = [
    "mme.utils._deprecation",
    "mme.utils._manager",
    "mme.utils._misc",
    "mme.utils._package_utils",
    "mme.utils._path",
    "mme.utils._prerequisites",
    "mme.utils._progress_rich",
    "mme.utils._sequences",
    "mme.utils._timer",
    "mme.utils._version_utils",
]


test_the_modules_with_examples_are_found, test_docstring_examples = doctest_tests(
    [mme.utils], WITH_EXAMPLES)
