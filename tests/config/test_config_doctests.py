"""The examples in the docstrings of mme.config's public names run."""

from __future__ import annotations

import doctest

import mme.config
import pytest

PUBLIC = [name for name in mme.config.__all__ if not name.startswith("__")]


@pytest.mark.parametrize("name", PUBLIC)
def test_docstring_examples(name):
    obj = getattr(mme.config, name)
    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    for test in finder.find(obj, name, globs={name: obj, **vars(mme.config)}):
        runner.run(test)
    assert runner.failures == 0
