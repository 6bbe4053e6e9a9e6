"""mme.testing: toy components and configs for testing code that uses the Runner.

Importing this module registers ``ToyModel`` (MODELS), ``ToyDataset`` (DATASETS) and
``ToyMetric`` (METRICS).
"""

from __future__ import annotations

from mme.runner.version import __version__

from ._toys import ToyDataset, ToyMetric, ToyModel, get_toy_cfg

__all__ = ["ToyDataset", "ToyMetric", "ToyModel", "__version__", "get_toy_cfg"]
