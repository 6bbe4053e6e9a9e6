"""build_model_from_cfg, attached to the MODELS registry when mme.model is imported."""

from __future__ import annotations

from typing import Any

from mme.registry import MODELS, Registry, build_from_cfg
from torch import nn


def build_model_from_cfg(cfg: dict | list[dict], registry: Registry, default_args: dict | None = None) -> nn.Module:
    """Build a model from a config dict, or an ``nn.Sequential`` from a list of them."""
    if isinstance(cfg, list):
        return nn.Sequential(*(build_from_cfg(c, registry, default_args) for c in cfg))
    return build_from_cfg(cfg, registry, default_args)


def _attach() -> Any:
    MODELS.build_func = build_model_from_cfg
