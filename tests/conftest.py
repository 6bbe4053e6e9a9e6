"""Fixtures shared by every test layer.

This file must import nothing beyond the standard library at module level: the torch-free
wheels run their tests from it in a venv that has neither torch nor the higher mme layers.
"""

from __future__ import annotations

import os
import sys

import pytest


@pytest.fixture(autouse=True)
def _restore_environ():
    """Restore ``os.environ`` after each test."""
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)


@pytest.fixture(autouse=True)
def _drop_global_state():
    """Drop ManagerMixin instances and any process group a test left behind."""
    yield
    utils = sys.modules.get("mme.utils")
    if utils is not None:
        utils.ManagerMixin.reset()
    dist = sys.modules.get("torch.distributed")
    if dist is not None and dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()
