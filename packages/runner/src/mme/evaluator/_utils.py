"""get_metric_value."""

from __future__ import annotations

from typing import Any

from ._errors import MetricNotFoundError

__all__ = ["get_metric_value"]


def get_metric_value(indicator: str, metrics: dict[str, Any]) -> Any:
    """Look up ``indicator`` in ``metrics``, by full name or by the part after the last ``/``.

    Args:
        indicator: ``'accuracy'`` or ``'prefix/accuracy'``.
        metrics: The evaluation results.

    Examples:
        >>> get_metric_value('acc', {'cls/acc': 0.9, 'cls/loss': 0.1})
        0.9
    """
    if indicator in metrics:
        return metrics[indicator]
    if "/" not in indicator:
        matched = [k for k in metrics if k.split("/")[-1] == indicator]
        if len(matched) == 1:
            return metrics[matched[0]]
        if len(matched) > 1:
            raise MetricNotFoundError(f"indicator {indicator!r} is ambiguous: it matches {matched}; use the full name")
    raise MetricNotFoundError(f"indicator {indicator!r} matches none of the metrics {list(metrics)}")
