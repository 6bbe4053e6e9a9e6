"""The examples in mme.hooks' and mme.runner's docstrings run.

Every module of ``mme.hooks`` and ``mme.runner`` goes through doctest, and each module in
``WITH_EXAMPLES`` must hold at least one example: a module that loses its examples, or a finder that
finds none, fails.
"""

from __future__ import annotations

import mme.hooks
import mme.runner
from doctest_support import doctest_tests

WITH_EXAMPLES = [
    "mme.hooks._hook",
    "mme.hooks._priority",
]


test_the_modules_with_examples_are_found, test_docstring_examples = doctest_tests(
    [mme.hooks, mme.runner], WITH_EXAMPLES)
