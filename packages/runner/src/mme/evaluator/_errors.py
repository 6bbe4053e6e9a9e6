"""Exceptions raised by :mod:`mme.evaluator`."""

from __future__ import annotations

__all__ = ["EvaluatorConfigError", "MetricNotFoundError"]


class EvaluatorConfigError(ValueError):
    """An evaluator or metric argument is invalid."""


class MetricNotFoundError(ValueError):
    """``get_metric_value`` matched no metric, or more than one."""
