"""BaseModule: an nn.Module that initialises its weights from ``init_cfg``."""

from __future__ import annotations

import copy
import logging
from collections.abc import Iterable

from torch import nn

from ._weight_init import initialize, update_init_info

logger = logging.getLogger(__name__)


def _is_pretrained(cfg: dict) -> bool:
    kind = cfg.get("type")
    return kind == "Pretrained" or getattr(kind, "__name__", None) == "PretrainedInit"


class BaseModule(nn.Module):
    """An ``nn.Module`` with ``init_cfg`` and :meth:`init_weights`.

    ``init_weights`` applies this module's ``init_cfg`` (except ``Pretrained`` entries), then
    calls ``init_weights`` of every child that has one and is not initialised yet, and finally
    loads the ``Pretrained`` entries, so pretrained weights win over a child's own init. Which
    initialiser last changed each parameter is logged at DEBUG level by the top-level module.

    Args:
        init_cfg: One init_cfg dict or a list of them (see :func:`initialize`).
    """

    def __init__(self, init_cfg: dict | list[dict] | None = None) -> None:
        super().__init__()
        self._is_init = False
        self.init_cfg = copy.deepcopy(init_cfg)

    @property
    def is_init(self) -> bool:
        """Whether :meth:`init_weights` has run."""
        return self._is_init

    @is_init.setter
    def is_init(self, value: bool) -> None:
        self._is_init = value

    def init_weights(self) -> None:
        """Initialise the parameters from ``init_cfg`` and the children's ``init_weights``."""
        top_level = not hasattr(self, "_params_init_info")
        if top_level:
            info: dict = {}
            for param in self.parameters():
                info[param] = {
                    "init_info": f"unchanged by init_weights of {type(self).__name__}",
                    "tmp_mean_value": param.data.mean().cpu(),
                }
            for sub in self.modules():
                sub.__dict__["_params_init_info"] = info
        if self._is_init:
            logger.warning("init_weights of %s has been called more than once", type(self).__name__)
        else:
            cfgs: list[dict] = []
            if self.init_cfg:
                cfgs = [self.init_cfg] if isinstance(self.init_cfg, dict) else list(self.init_cfg)
            pretrained = [c for c in cfgs if _is_pretrained(c)]
            others = [c for c in cfgs if not _is_pretrained(c)]
            if others:
                initialize(self, others)
            for child in self.children():
                target = getattr(child, "module", child) if not hasattr(child, "init_weights") else child
                init = getattr(target, "init_weights", None)
                if callable(init) and not getattr(target, "is_init", False):
                    init()
                    if hasattr(target, "_params_init_info"):
                        update_init_info(target, f"init_weights of {type(target).__name__}")
            if pretrained:
                initialize(self, pretrained)
            self._is_init = True
        if top_level:
            self._dump_init_info()
            for sub in self.modules():
                if "_params_init_info" in sub.__dict__:
                    del sub._params_init_info

    def _dump_init_info(self) -> None:
        info = self.__dict__["_params_init_info"]
        for name, param in self.named_parameters():
            logger.debug("%s - %s: %s", name, tuple(param.shape), info.get(param, {}).get("init_info"))

    def __repr__(self) -> str:
        text = super().__repr__()
        if self.init_cfg:
            text += f"\ninit_cfg={self.init_cfg}"
        return text


class Sequential(BaseModule, nn.Sequential):
    """``nn.Sequential`` with ``init_cfg``."""

    def __init__(self, *args: nn.Module, init_cfg: dict | list[dict] | None = None) -> None:
        BaseModule.__init__(self, init_cfg)
        nn.Sequential.__init__(self, *args)


class ModuleList(BaseModule, nn.ModuleList):
    """``nn.ModuleList`` with ``init_cfg``."""

    def __init__(self, modules: Iterable[nn.Module] | None = None, init_cfg: dict | list[dict] | None = None) -> None:
        BaseModule.__init__(self, init_cfg)
        nn.ModuleList.__init__(self, modules)


class ModuleDict(BaseModule, nn.ModuleDict):
    """``nn.ModuleDict`` with ``init_cfg``."""

    def __init__(self, modules: dict[str, nn.Module] | None = None, init_cfg: dict | list[dict] | None = None) -> None:
        BaseModule.__init__(self, init_cfg)
        nn.ModuleDict.__init__(self, modules)
