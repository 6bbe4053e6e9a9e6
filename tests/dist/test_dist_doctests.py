"""The examples in mme.dist's and mme.device's docstrings run.

Every module of ``mme.device`` and ``mme.dist`` goes through doctest, and each module in
``WITH_EXAMPLES`` must hold at least one example: a module that loses its examples, or a finder that
finds none, fails.
"""

from __future__ import annotations

import mme.device
import mme.dist
from doctest_support import doctest_tests

WITH_EXAMPLES = [
    "mme.device._device",
    "mme.dist._collect",
    "mme.dist._collectives",
    "mme.dist._device",
    "mme.dist._info",
]


test_the_modules_with_examples_are_found, test_docstring_examples = doctest_tests(
    [mme.device, mme.dist], WITH_EXAMPLES)
