"""mme.evaluator: metrics and the evaluator that runs them across ranks."""

from __future__ import annotations

from mme.runner.version import __version__

from ._errors import EvaluatorConfigError, MetricNotFoundError
from ._evaluator import Evaluator
from ._metric import BaseMetric, DumpResults
from ._utils import get_metric_value

__all__ = [
    "BaseMetric",
    "DumpResults",
    "Evaluator",
    "EvaluatorConfigError",
    "MetricNotFoundError",
    "__version__",
    "get_metric_value",
]
