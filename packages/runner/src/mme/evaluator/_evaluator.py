"""Evaluator: runs several metrics over the predictions of a dataset."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from mme.dataset import pseudo_collate
from mme.registry import EVALUATOR, METRICS
from mme.structures import BaseDataElement

from ._errors import EvaluatorConfigError
from ._metric import BaseMetric

__all__ = ["Evaluator"]


class Evaluator:
    """Wraps a list of metrics.

    Args:
        metrics: A metric or metric config, or a sequence of them.

    Examples:
        >>> class Count(BaseMetric):
        ...     default_prefix = 'toy'
        ...     def process(self, data_batch, data_samples):
        ...         self.results.extend(data_samples)
        ...     def compute_metrics(self, results):
        ...         return {'n': len(results)}
        >>> ev = Evaluator(Count())
        >>> ev.process([{'pred': 1}, {'pred': 0}])
        >>> ev.evaluate(2)
        {'toy/n': 2}
    """

    def __init__(self, metrics: Any) -> None:
        self._dataset_meta: dict[str, Any] | None = None
        if isinstance(metrics, (dict, BaseMetric)) or not isinstance(metrics, Sequence):
            metrics = [metrics]
        self.metrics: list[BaseMetric] = []
        for i, metric in enumerate(metrics):
            if isinstance(metric, dict):
                metric = METRICS.build(metric)
            if not isinstance(metric, BaseMetric):
                raise EvaluatorConfigError(
                    f"Evaluator metric {i} must be a BaseMetric or a config dict, but got {type(metric).__name__}")
            self.metrics.append(metric)

    @property
    def dataset_meta(self) -> dict[str, Any] | None:
        """Meta information of the dataset; setting it sets it on every metric."""
        return self._dataset_meta

    @dataset_meta.setter
    def dataset_meta(self, dataset_meta: dict[str, Any] | None) -> None:
        self._dataset_meta = dataset_meta
        for metric in self.metrics:
            metric.dataset_meta = dataset_meta

    def process(self, data_samples: Sequence[Any], data_batch: Any = None) -> None:
        """Pass one batch of predictions (data elements become dicts) to every metric.

        Args:
            data_samples: The model's predictions for the batch.
            data_batch: The batch from the dataloader.
        """
        samples = [s.to_dict() if isinstance(s, BaseDataElement) else s for s in data_samples]
        for metric in self.metrics:
            metric.process(data_batch, samples)

    def evaluate(self, size: int) -> dict[str, Any]:
        """Evaluate every metric on the results gathered from all ranks.

        Args:
            size: Length of the whole dataset.
        """
        metrics: dict[str, Any] = {}
        for metric in self.metrics:
            results = metric.evaluate(size)
            clash = set(results) & set(metrics)
            if clash:
                raise EvaluatorConfigError(
                    f"several metrics produce the names {sorted(clash)}; give the metrics different prefixes")
            metrics.update(results)
        return metrics

    def offline_evaluate(self, data_samples: Sequence[Any], data: Sequence[Any] | None = None,
                         chunk_size: int = 1) -> dict[str, Any]:
        """Evaluate saved predictions (and optionally their inputs) without a model.

        Args:
            data_samples: All predictions.
            data: The matching inputs, or None; each chunk is batched with ``pseudo_collate``.
            chunk_size: Number of samples processed at a time.
        """
        if data is not None and len(data) != len(data_samples):
            raise EvaluatorConfigError(
                f"offline_evaluate: {len(data_samples)} data_samples but {len(data)} data items")
        if chunk_size < 1:
            raise EvaluatorConfigError(f"offline_evaluate: chunk_size must be positive, but got {chunk_size}")
        size = 0
        for start, chunk in _chunks(data_samples, chunk_size):
            batch = None if data is None else pseudo_collate(list(data[start:start + chunk_size]))
            size += len(chunk)
            self.process(chunk, batch)
        return self.evaluate(size)


def _chunks(seq: Sequence[Any], size: int) -> Iterator[tuple[int, list[Any]]]:
    for start in range(0, len(seq), size):
        yield start, list(seq[start:start + size])


EVALUATOR.register_module(module=Evaluator)
