"""mme.strategy: placeholder for training strategies (not implemented yet).

Planned: AMP fp16/bf16, gradient accumulation with correct loss
scaling, activation checkpointing by module name, ``torch.compile``, DDP, FSDP (FSDP2
``fully_shard``), DeepSpeed (ZeRO 0-3), ColossalAI and a ``FlexibleRunner`` that delegates
model wrapping, optimizer building and checkpointing to a strategy registered in
``mme.registry.STRATEGIES``.

Today the :class:`mme.runner.Runner` covers single-process and DDP training itself (and
mixed precision through ``mme.optim.AmpOptimWrapper``); this package only reserves the name.
"""

from __future__ import annotations

from mme.runner.version import __version__

__all__ = ["__version__"]
