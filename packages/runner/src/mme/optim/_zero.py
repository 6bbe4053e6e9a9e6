"""ZeroRedundancyOptimizer: torch's ZeRO stage-1 optimizer, built from a config by optimizer name.

This module imports ``torch.distributed.optim`` (which pulls FSDP and DTensor, about a second),
so ``mme.optim`` imports it only on first use: the OPTIMIZERS registry holds a small builder
(``mme.optim._registration.build_zero_redundancy_optimizer``) under the name
``'ZeroRedundancyOptimizer'``, and ``mme.optim.ZeroRedundancyOptimizer`` is resolved on access.
"""

from __future__ import annotations

import warnings
from typing import Any

import torch
import torch.distributed as dist
from mme.registry import OPTIMIZERS

from ._errors import OptimConfigError, OptimTypeError

with warnings.catch_warnings():
    # torch.distributed.optim uses torch.jit.script / torch.jit.interface at import, which recent
    # torch versions warn are deprecated: torch's own business, not the caller's
    warnings.filterwarnings("ignore", message=r".*torch\.jit\.\w+.* is deprecated", category=DeprecationWarning)
    from torch.distributed.optim import ZeroRedundancyOptimizer as _TorchZeroRedundancyOptimizer

__all__ = ["ZeroRedundancyOptimizer"]


def _optimizer_class(optimizer_type: str | type) -> type[torch.optim.Optimizer]:
    itself = "ZeroRedundancyOptimizer cannot wrap itself; optimizer_type must be e.g. 'SGD' or 'AdamW'"
    if isinstance(optimizer_type, str):
        if optimizer_type == "ZeroRedundancyOptimizer":
            raise OptimConfigError(itself)
        cls = getattr(torch.optim, optimizer_type, None)
        if cls is None:
            cls = OPTIMIZERS.get(optimizer_type)  # raises NotRegisteredError naming close matches
    else:
        cls = optimizer_type
    if not (isinstance(cls, type) and issubclass(cls, torch.optim.Optimizer)):
        raise OptimTypeError("ZeroRedundancyOptimizer optimizer_type must name a torch.optim.Optimizer subclass, "
                             f"but got {optimizer_type!r}")
    if issubclass(cls, _TorchZeroRedundancyOptimizer):
        raise OptimConfigError(itself)
    return cls


class ZeroRedundancyOptimizer(_TorchZeroRedundancyOptimizer):
    """``torch.distributed.optim.ZeroRedundancyOptimizer`` taking the local optimizer by name.

    Every rank keeps the full parameters but only the optimizer state (momenta, Adam moments) of
    its shard of them; after each rank steps its shard, the updated parameters are broadcast, so
    the model stays identical on every rank. That divides the optimizer state's memory by the
    world size. It needs an initialised default process group.

    In a config: ``optim_wrapper=dict(type='OptimWrapper', optimizer=dict(
    type='ZeroRedundancyOptimizer', optimizer_type='AdamW', lr=1e-3))``. Parameter groups from
    ``paramwise_cfg`` are supported (torch partitions every group).

    Args:
        params: The parameters (or parameter group dicts) to optimize, on every rank alike.
        optimizer_type: The local optimizer: a ``torch.optim`` name (``'AdamW'``), a name in the
            OPTIMIZERS registry, or an optimizer class.
        **kwargs: Arguments of the local optimizer (``lr``, ``weight_decay``, ...) and of torch's
            ``ZeroRedundancyOptimizer`` (``process_group``, ``parameters_as_bucket_view``,
            ``overlap_with_ddp``).

    Raises:
        OptimTypeError: ``optimizer_type`` is not an optimizer class.
        OptimConfigError: No process group is initialised, or ``optimizer_type`` is itself.
    """

    def __init__(self, params: Any, optimizer_type: str | type, **kwargs: Any) -> None:
        optimizer_class = _optimizer_class(optimizer_type)
        if not (dist.is_available() and dist.is_initialized()):
            raise OptimConfigError(
                "ZeroRedundancyOptimizer shards optimizer state across processes and needs an initialised "
                "process group (mme.dist.init_dist); use the plain optimizer for single-process training")
        super().__init__(params, optimizer_class, **kwargs)

    def state_dict(self) -> dict[str, Any]:
        """The full optimizer state, gathered on rank 0; an empty dict on the other ranks.

        This is a collective: every rank of the process group must call it (it runs
        ``consolidate_state_dict(to=0)``, which sends each rank's shard to rank 0). Calling it
        on rank 0 alone blocks forever. :meth:`load_state_dict` takes the full state on every rank.
        """
        self.consolidate_state_dict(to=0)
        if dist.get_rank(self.process_group) == 0:
            return super().state_dict()
        return {}

