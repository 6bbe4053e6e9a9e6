"""Evaluation loops: ``ValLoop`` and ``TestLoop``."""

from __future__ import annotations

import sys
from contextlib import nullcontext
from typing import Any

import torch
from torch.utils.data import DataLoader

from mme.hooks import LoggerHook
from mme.registry import LOOPS
from mme.utils import ProgressBar

from ._base_loop import BaseLoop
from ._randomness import get_rng_state, set_rng_state

__all__ = ["TestLoop", "ValLoop"]


class _EvalLoop(BaseLoop):
    _mode = "val"

    def __init__(self, runner: Any, dataloader: DataLoader | dict, evaluator: Any, fp16: bool = False,
                 progress: bool | None = None) -> None:
        super().__init__(runner, dataloader)
        self.evaluator = runner.build_evaluator(evaluator)
        meta = getattr(self.dataloader.dataset, "metainfo", None)
        if meta is not None:
            self.evaluator.dataset_meta = meta
            runner.visualizer.dataset_meta = meta
        self.fp16 = fp16
        self.progress = progress

    def _show_progress(self) -> bool:
        if any(isinstance(h, LoggerHook) and h.progress_active for h in self.runner.hooks):
            return False  # the LoggerHook's live bar already shows this loop
        if self.progress is not None:
            return bool(self.progress) and self.runner.rank == 0
        return self.runner.rank == 0 and sys.stdout.isatty() and len(self.dataloader) >= 10

    def run(self) -> dict[str, Any]:
        """Run the model over the whole dataloader and return the evaluated metrics.

        The random generators are restored afterwards, so evaluating inside training does not
        change the training's random stream.
        """
        mode = self._mode
        runner = self.runner
        runner.call_hook(f"before_{mode}")
        runner.call_hook(f"before_{mode}_epoch")
        runner.model.eval()
        rng = get_rng_state()
        bar = ProgressBar(len(self.dataloader)) if self._show_progress() else None
        try:
            for idx, data_batch in enumerate(self.dataloader):
                self.run_iter(idx, data_batch)
                if bar is not None:
                    bar.update()
        finally:
            set_rng_state(rng)
        metrics = self.evaluator.evaluate(len(self.dataloader.dataset))
        runner.call_hook(f"after_{mode}_epoch", metrics=metrics)
        runner.call_hook(f"after_{mode}")
        return metrics

    @torch.no_grad()
    def run_iter(self, idx: int, data_batch: Any) -> None:
        """Predict one batch and feed the evaluator."""
        mode = self._mode
        runner = self.runner
        runner.call_hook(f"before_{mode}_iter", batch_idx=idx, data_batch=data_batch)
        device = "cuda" if torch.cuda.is_available() else "cpu"
        ctx = torch.autocast(device_type=device, dtype=torch.float16) if self.fp16 else nullcontext()
        with ctx:
            step = runner.model.val_step if mode == "val" else runner.model.test_step
            outputs = step(data_batch)
        self.evaluator.process(data_samples=outputs, data_batch=data_batch)
        runner.call_hook(f"after_{mode}_iter", batch_idx=idx, data_batch=data_batch, outputs=outputs)


@LOOPS.register_module()
class ValLoop(_EvalLoop):
    """Validation: ``model.val_step`` over the dataloader, then ``evaluator.evaluate``.

    Args:
        runner: The runner.
        dataloader: A ``DataLoader`` or its config.
        evaluator: An ``Evaluator``, a metric config or a list of them.
        fp16: Run under ``torch.autocast`` with float16.
        progress: Show a progress bar; ``None`` shows one on a terminal for loops of 10+ batches.
            When the LoggerHook's live bar is on the terminal, it shows this loop instead.
    """

    _mode = "val"


@LOOPS.register_module()
class TestLoop(_EvalLoop):
    """Testing: ``model.test_step`` over the dataloader, then ``evaluator.evaluate``.

    Arguments as for :class:`ValLoop`.
    """

    _mode = "test"
