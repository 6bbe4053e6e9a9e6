"""The examples in mme.config's docstrings run.

Every module of ``mme.config`` goes through doctest, and each module in ``WITH_EXAMPLES`` must hold
at least one example: a module that loses its examples, or a finder that finds none, fails.
"""

from __future__ import annotations

import mme.config
from doctest_support import doctest_tests

WITH_EXAMPLES = [
    "mme.config._config",
    "mme.config._config_dict",
    "mme.config._dict_action",
    "mme.config._errors",
    "mme.config._lazy",
]


test_the_modules_with_examples_are_found, test_docstring_examples = doctest_tests(
    [mme.config], WITH_EXAMPLES)
