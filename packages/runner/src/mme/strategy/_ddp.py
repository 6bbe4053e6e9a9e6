"""``DDPStrategy``: data parallel over processes, every rank holding the whole model."""

from __future__ import annotations

import inspect
import os
from typing import Any

import torch
from torch import nn

from mme.device import get_device
from mme.model import MMDistributedDataParallel, convert_sync_batchnorm, is_model_wrapper
from mme.registry import MODEL_WRAPPERS, STRATEGIES

from ._base import BaseStrategy
from ._errors import StrategyConfigError

__all__ = ["DDPStrategy"]


def _ddp_defaults() -> dict[str, Any]:
    """``DistributedDataParallel`` arguments mme sets: buffers are not broadcast at every forward
    (``SyncBuffersHook`` syncs them when needed; torch 2.13 renamed the argument)."""
    params = inspect.signature(torch.nn.parallel.DistributedDataParallel.__init__).parameters
    return {"forward_sync_buffers": False} if "forward_sync_buffers" in params else {"broadcast_buffers": False}


@STRATEGIES.register_module()
class DDPStrategy(BaseStrategy):
    """Distributed data parallel: ``MMDistributedDataParallel`` (or ``model_wrapper``) around the model.

    The plain ``Runner`` uses this strategy for every launched run, built from its config keys
    ``model_wrapper_cfg``, ``find_unused_parameters`` and ``sync_bn``.

    Args:
        model_wrapper: Config of the wrapper (default ``dict(type='MMDistributedDataParallel')``);
            ``device_ids`` is filled in on CUDA.
        sync_bn: ``'torch'`` or ``'mmcv'`` converts BatchNorm layers to SyncBatchNorm.
        find_unused_parameters: Passed to DDP when ``model_wrapper`` does not set it.
    """

    needs_dist = True

    def __init__(self, model_wrapper: dict | None = None, sync_bn: str | None = None,
                 find_unused_parameters: bool = False) -> None:
        super().__init__()
        if model_wrapper is not None and not isinstance(model_wrapper, dict):
            raise StrategyConfigError(f"DDPStrategy model_wrapper must be a config dict, got {model_wrapper!r}")
        self.model_wrapper = model_wrapper
        self.sync_bn = sync_bn
        self.find_unused_parameters = find_unused_parameters

    def wrap_model(self, model: nn.Module) -> nn.Module:
        """Convert SyncBatchNorm if asked, move the model to its device and wrap it."""
        if is_model_wrapper(model):
            if self.model_wrapper is not None:
                raise StrategyConfigError("the model is already wrapped; model_wrapper cannot be applied")
            return model
        if self.sync_bn is not None:
            model = convert_sync_batchnorm(model, self.sync_bn)
        model = model.to(get_device())
        device_ids = [int(os.environ.get("LOCAL_RANK", 0))] if torch.cuda.is_available() else None
        if self.model_wrapper is None:
            return MMDistributedDataParallel(module=model, device_ids=device_ids,
                                             find_unused_parameters=self.find_unused_parameters, **_ddp_defaults())
        cfg = dict(self.model_wrapper)
        cfg.setdefault("type", "MMDistributedDataParallel")
        wrapper_cls = MODEL_WRAPPERS.get(cfg["type"]) if isinstance(cfg["type"], str) else cfg["type"]
        default_args: dict[str, Any] = dict(module=model)
        if isinstance(wrapper_cls, type) and issubclass(wrapper_cls, torch.nn.parallel.DistributedDataParallel):
            default_args["device_ids"] = device_ids
        return MODEL_WRAPPERS.build(cfg, default_args=default_args)

    def __repr__(self) -> str:
        return (f"DDPStrategy(model_wrapper={self.model_wrapper!r}, sync_bn={self.sync_bn!r}, "
                f"find_unused_parameters={self.find_unused_parameters})")
