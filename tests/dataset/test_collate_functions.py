"""COLLATE_FUNCTIONS is MMEngine's name of the FUNCTIONS registry."""

from __future__ import annotations

from mme.dataset import COLLATE_FUNCTIONS, default_collate, pseudo_collate
from mme.registry import FUNCTIONS


def test_collate_functions_is_the_functions_registry():
    assert COLLATE_FUNCTIONS is FUNCTIONS
    assert COLLATE_FUNCTIONS.get("default_collate") is default_collate
    assert COLLATE_FUNCTIONS.get("pseudo_collate") is pseudo_collate
