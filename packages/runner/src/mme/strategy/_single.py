"""``SingleDeviceStrategy``: one process, one device."""

from __future__ import annotations

from torch import nn

from mme.device import get_device
from mme.model import convert_sync_batchnorm, is_model_wrapper
from mme.registry import STRATEGIES

from ._base import BaseStrategy
from ._errors import StrategyConfigError

__all__ = ["SingleDeviceStrategy"]


@STRATEGIES.register_module()
class SingleDeviceStrategy(BaseStrategy):
    """Train in one process on the default device (``mme.device.get_device()``).

    Args:
        sync_bn: ``'torch'`` (or ``'mmcv'``) converts BatchNorm layers to SyncBatchNorm first,
            as the Runner's ``sync_bn`` key does (useful only when the model later runs
            distributed).
    """

    def __init__(self, sync_bn: str | None = None) -> None:
        super().__init__()
        self.sync_bn = sync_bn

    def wrap_model(self, model: nn.Module) -> nn.Module:
        """Move the model to the device (a wrapped model is returned as it is)."""
        if is_model_wrapper(model):
            return model
        if self.sync_bn is not None:
            model = convert_sync_batchnorm(model, self.sync_bn)
        return model.to(get_device())

    def check_distributed(self, distributed: bool) -> None:
        """A single-device run is one process: a launched job (several ranks) is an error."""
        if distributed:
            raise StrategyConfigError(
                "SingleDeviceStrategy runs one process, but this run is distributed: use DDPStrategy or FSDPStrategy "
                "for a launched job, or run without --launcher")

    def __repr__(self) -> str:
        return f"SingleDeviceStrategy(sync_bn={self.sync_bn!r})"
