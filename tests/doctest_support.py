"""The docstring-example tests of one layer, shared by each layer's ``test_*_doctests.py``.

Standard library only (the torch-free wheels run their tests in venvs without torch). A layer's
test module calls :func:`doctest_tests` with its packages and the modules that must hold
examples, and binds the two returned tests to module-level ``test_*`` names.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil
from collections.abc import Callable, Sequence
from types import ModuleType

import pytest


def doctest_tests(packages: Sequence[ModuleType], with_examples: Sequence[str]) -> tuple[Callable, Callable]:
    """Tests that every module of ``packages`` passes doctest, and every module in
    ``with_examples`` holds at least one example (so a module that loses its examples, or a
    finder that finds none, fails)."""
    modules = sorted(m.name for p in packages for m in pkgutil.iter_modules(p.__path__, p.__name__ + "."))

    def test_the_modules_with_examples_are_found() -> None:
        assert modules and set(with_examples) <= set(modules), sorted(set(with_examples) - set(modules))

    @pytest.mark.parametrize("name", modules)
    def test_docstring_examples(name: str) -> None:
        result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
        assert result.failed == 0
        if name in with_examples:
            assert result.attempted > 0, f"{name} has lost its docstring examples"

    return test_the_modules_with_examples_are_found, test_docstring_examples
