"""MMEngine's optimizer-registration functions (``mmengine.optim.optimizer.builder``).

Each ``register_*_optimizers`` function registers the optimizers of one package in
``mme.registry.OPTIMIZERS`` when the package is installed and returns their registered names
(an empty list when it is not installed). The ``*_OPTIMIZERS`` lists are what they returned when
``mme.optim`` was imported. An optional package is imported only when it is installed, and an
optimizer already registered under a name is left as it is (calling a function twice is safe).
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import logging
from typing import Any

import torch
from mme.device import is_npu_available
from mme.registry import OPTIMIZERS

__all__ = [
    "BITSANDBYTES_OPTIMIZERS",
    "DADAPTATION_OPTIMIZERS",
    "LION_OPTIMIZERS",
    "NPU_OPTIMIZERS",
    "SOPHIA_OPTIMIZERS",
    "TORCH_OPTIMIZERS",
    "TRANSFORMERS_OPTIMIZERS",
    "register_bitsandbytes_optimizers",
    "register_dadaptation_optimizers",
    "register_lion_optimizers",
    "register_sophia_optimizers",
    "register_torch_npu_optimizers",
    "register_torch_optimizers",
    "register_transformers_optimizers",
]

logger = logging.getLogger(__name__)


def _register(name: str, cls: Any) -> str:
    if name not in OPTIMIZERS.module_dict:
        OPTIMIZERS.register_module(name=name, module=cls)
    return name


def _optimizer_classes(module: Any) -> list[tuple[str, type]]:
    return [
        (name, obj)
        for name, obj in sorted(vars(module).items())
        if not name.startswith("_") and inspect.isclass(obj) and issubclass(obj, torch.optim.Optimizer)
        and obj is not torch.optim.Optimizer
    ]


def _import_if_installed(module: str) -> Any:
    """The module when it is installed and imports; None (logged at debug level) otherwise."""
    top = module.split(".")[0]
    if importlib.util.find_spec(top) is None:
        return None
    try:
        return importlib.import_module(module)
    except Exception:  # a broken optional package must not break importing mme.optim
        logger.debug("%s is installed but could not be imported; its optimizers are not registered", module,
                     exc_info=True)
        return None


def register_torch_optimizers() -> list[str]:
    """Register every ``torch.optim`` optimizer (torch's ``Adafactor`` as ``TorchAdafactor``); return the names."""
    return [
        _register("TorchAdafactor" if name == "Adafactor" else name, cls)
        for name, cls in _optimizer_classes(torch.optim)
    ]


def register_torch_npu_optimizers() -> list[str]:
    """Register ``torch_npu.optim``'s fused optimizers (``NpuFusedAdamW``, ...) when an Ascend NPU is available."""
    if not is_npu_available():
        return []
    module = _import_if_installed("torch_npu.optim")
    if module is None:
        return []
    return [_register(name, cls) for name, cls in _optimizer_classes(module) if name.startswith("Npu")]


def register_dadaptation_optimizers() -> list[str]:
    """Register D-Adaptation's ``DAdaptAdaGrad``, ``DAdaptAdam`` and ``DAdaptSGD`` (package ``dadaptation``)."""
    module = _import_if_installed("dadaptation")
    if module is None:
        return []
    return [_register(name, getattr(module, name)) for name in ("DAdaptAdaGrad", "DAdaptAdam", "DAdaptSGD")
            if hasattr(module, name)]


def register_lion_optimizers() -> list[str]:
    """Register ``Lion`` from the ``lion_pytorch`` package."""
    module = _import_if_installed("lion_pytorch")
    if module is None or not hasattr(module, "Lion"):
        return []
    return [_register("Lion", module.Lion)]


def register_sophia_optimizers() -> list[str]:
    """Register the optimizers of the ``Sophia`` package (``SophiaG``, ...)."""
    module = _import_if_installed("Sophia")
    if module is None:
        return []
    return [_register(name, cls) for name, cls in _optimizer_classes(module)]


_BITSANDBYTES = ("AdamW8bit", "Adam8bit", "Adagrad8bit", "PagedAdam8bit", "PagedAdamW8bit", "LAMB8bit",
                 "LARS8bit", "RMSprop8bit", "Lion8bit", "PagedLion8bit", "SGD8bit")


def register_bitsandbytes_optimizers() -> list[str]:
    """Register bitsandbytes' 8-bit optimizers (``AdamW8bit``, ``PagedAdamW8bit``, ...)."""
    module = _import_if_installed("bitsandbytes")
    if module is None:
        return []
    optim = getattr(module, "optim", module)
    return [_register(name, getattr(optim, name)) for name in _BITSANDBYTES if hasattr(optim, name)]


def register_transformers_optimizers() -> list[str]:
    """Register ``transformers.Adafactor`` as ``Adafactor``."""
    module = _import_if_installed("transformers")
    if module is None:
        return []
    try:
        adafactor = module.Adafactor
    except (AttributeError, ImportError):
        return []
    return [_register("Adafactor", adafactor)]


TORCH_OPTIMIZERS = register_torch_optimizers()
NPU_OPTIMIZERS = register_torch_npu_optimizers()
DADAPTATION_OPTIMIZERS = register_dadaptation_optimizers()
LION_OPTIMIZERS = register_lion_optimizers()
SOPHIA_OPTIMIZERS = register_sophia_optimizers()
BITSANDBYTES_OPTIMIZERS = register_bitsandbytes_optimizers()
TRANSFORMERS_OPTIMIZERS = register_transformers_optimizers()
