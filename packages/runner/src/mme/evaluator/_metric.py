"""BaseMetric and DumpResults."""

from __future__ import annotations

import logging
from abc import ABCMeta, abstractmethod
from collections.abc import Sequence
from typing import Any

import torch
from mme.dist import broadcast_object_list, collect_results, is_main_process
from mme.fileio import dump
from mme.registry import METRICS
from mme.structures import BaseDataElement

from ._errors import EvaluatorConfigError

__all__ = ["BaseMetric", "DumpResults"]

logger = logging.getLogger(__name__)


class BaseMetric(metaclass=ABCMeta):
    """Base class of metrics: accumulate per-batch results, then compute on the whole set.

    ``process`` appends to :attr:`results` batch by batch; ``evaluate(size)`` gathers the
    results of every rank in dataset order (dropping the padding of the distributed sampler),
    runs ``compute_metrics`` on rank 0, prefixes the names and broadcasts them to all ranks.

    Args:
        collect_device: ``'cpu'`` (through a shared directory) or ``'gpu'`` (through the
            communication backend) for gathering results.
        prefix: Prefix of the metric names (``'<prefix>/<name>'``); defaults to
            :attr:`default_prefix`.
        collect_dir: Shared directory for ``collect_device='cpu'``; a temporary one if None.
    """

    default_prefix: str | None = None

    def __init__(self, collect_device: str = "cpu", prefix: str | None = None, collect_dir: str | None = None) -> None:
        if collect_dir is not None and collect_device != "cpu":
            raise EvaluatorConfigError(
                f"{type(self).__name__}: collect_dir can only be set with collect_device='cpu', "
                f"but got collect_device={collect_device!r}")
        self._dataset_meta: dict[str, Any] | None = None
        self.collect_device = collect_device
        self.collect_dir = collect_dir
        self.results: list[Any] = []
        self.prefix = prefix or self.default_prefix
        if self.prefix is None:
            logger.debug("%s has no prefix; its metric names are used as they are", type(self).__name__)

    @property
    def dataset_meta(self) -> dict[str, Any] | None:
        """Meta information of the evaluated dataset."""
        return self._dataset_meta

    @dataset_meta.setter
    def dataset_meta(self, dataset_meta: dict[str, Any] | None) -> None:
        self._dataset_meta = dataset_meta

    @abstractmethod
    def process(self, data_batch: Any, data_samples: Sequence[Any]) -> None:
        """Process one batch of data and predictions, appending to :attr:`results`."""

    @abstractmethod
    def compute_metrics(self, results: list[Any]) -> dict[str, Any]:
        """Compute the metrics from the results of the whole dataset."""

    def evaluate(self, size: int) -> dict[str, Any]:
        """Gather the results of all ranks, compute the metrics on rank 0 and broadcast them.

        Args:
            size: Length of the whole dataset (results beyond it are sampler padding).
        """
        if not self.results:
            logger.warning(
                "%s got empty self.results; make sure process() appends its results to self.results",
                type(self).__name__)
        if self.collect_device == "cpu":
            results = collect_results(self.results, size, self.collect_device, tmpdir=self.collect_dir)
        else:
            results = collect_results(self.results, size, self.collect_device)
        if is_main_process():
            computed = self.compute_metrics(_to_cpu(results))
            if self.prefix:
                computed = {f"{self.prefix}/{k}": v for k, v in computed.items()}
            box: list[Any] = [computed]
        else:
            box = [None]
        broadcast_object_list(box)
        self.results.clear()
        return box[0]


@METRICS.register_module()
class DumpResults(BaseMetric):
    """Dump the processed predictions to a pickle file (``.pkl`` or ``.pickle``).

    Args:
        out_file_path: Where to write (local path or any mme.fileio URI).
        collect_device: See :class:`BaseMetric`.
        collect_dir: See :class:`BaseMetric`.
    """

    def __init__(self, out_file_path: str, collect_device: str = "cpu", collect_dir: str | None = None) -> None:
        super().__init__(collect_device=collect_device, collect_dir=collect_dir)
        if not str(out_file_path).endswith((".pkl", ".pickle")):
            raise EvaluatorConfigError(f"DumpResults: out_file_path must end with .pkl or .pickle, but got {out_file_path!r}")
        self.out_file_path = str(out_file_path)

    def process(self, data_batch: Any, data_samples: Sequence[Any]) -> None:
        """Keep the predictions (moved to the CPU)."""
        self.results.extend(_to_cpu(list(data_samples)))

    def compute_metrics(self, results: list[Any]) -> dict[str, Any]:
        """Write ``results`` to :attr:`out_file_path`; returns no metrics."""
        dump(results, self.out_file_path)
        logger.info("results have been saved to %s", self.out_file_path)
        return {}


def _to_cpu(data: Any) -> Any:
    """Move the tensors (and data elements) in ``data`` to the CPU."""
    if isinstance(data, (torch.Tensor, BaseDataElement)):
        return data.cpu()
    if isinstance(data, dict):
        return {k: _to_cpu(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return type(data)(_to_cpu(v) for v in data)
    return data
