"""NaiveVisualizationHook: sends test inputs and predictions to the visualizer."""

from __future__ import annotations

import os.path as osp
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from mme.registry import HOOKS

from ._hook import DATA_BATCH, Hook

__all__ = ["NaiveVisualizationHook"]


def _to_image(inputs: Any) -> np.ndarray:
    array = inputs.detach().cpu().numpy() if isinstance(inputs, torch.Tensor) else np.asarray(inputs)
    if array.ndim == 3 and array.shape[0] in (1, 3) and array.shape[-1] not in (1, 3):
        array = array.transpose(1, 2, 0)
    if array.dtype != np.uint8:
        low, high = float(array.min()), float(array.max())
        array = ((array - low) / (high - low or 1.0) * 255).astype(np.uint8)
    return array


@HOOKS.register_module()
class NaiveVisualizationHook(Hook):
    """Calls ``runner.visualizer.add_datasample`` with each test input and its prediction.

    Args:
        interval: Visualize every ``interval`` test iterations.
        draw_gt: Draw the ground truth.
        draw_pred: Draw the prediction.
    """

    priority = "NORMAL"

    def __init__(self, interval: int = 1, draw_gt: bool = True, draw_pred: bool = True) -> None:
        self._interval = interval
        self.draw_gt = draw_gt
        self.draw_pred = draw_pred

    def after_test_iter(self, runner: Any, batch_idx: int, data_batch: DATA_BATCH = None,
                        outputs: Sequence | None = None) -> None:
        """Visualize the batch's samples."""
        if not self.every_n_inner_iters(batch_idx, self._interval) or not isinstance(data_batch, dict):
            return
        inputs = data_batch.get("inputs", [])
        outputs = outputs if outputs is not None else [None] * len(inputs)
        for i, (item, output) in enumerate(zip(inputs, outputs)):
            meta = getattr(output, "metainfo", {}) or {}
            name = osp.basename(meta["img_path"]) if "img_path" in meta else f"test_{batch_idx}_{i}"
            runner.visualizer.add_datasample(name, _to_image(item), data_sample=output, draw_gt=self.draw_gt,
                                             draw_pred=self.draw_pred, step=batch_idx)
