"""The examples in mme.structures' docstrings run.

Every module of ``mme.structures`` goes through doctest, and each module in ``WITH_EXAMPLES`` must
hold at least one example: a module that loses its examples, or a finder that finds none, fails.
"""

from __future__ import annotations

import mme.structures
from doctest_support import doctest_tests

WITH_EXAMPLES = [
    "mme.structures._base_data_element",
    "mme.structures._instance_data",
    "mme.structures._label_data",
    "mme.structures._pixel_data",
]


test_the_modules_with_examples_are_found, test_docstring_examples = doctest_tests(
    [mme.structures], WITH_EXAMPLES)
