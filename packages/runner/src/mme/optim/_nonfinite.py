"""Finding NaN/Inf gradients before an optimizer step: one fused kernel and one host sync."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import torch

__all__ = ["NONFINITE_MODES", "has_nonfinite", "nonfinite_params"]

NONFINITE_MODES = ("raise", "skip", "off")


def _finite_flag(grad: torch.Tensor) -> torch.Tensor:
    """A 0-d bool tensor: whether ``grad`` (sparse, complex or on any backend) is all finite."""
    if grad.layout is not torch.strided and grad.is_sparse:
        grad = grad.coalesce().values()
    if grad.is_complex():
        grad = torch.view_as_real(grad)
    return torch.isfinite(grad).all()


def _sharded_check(grads: Sequence[torch.Tensor], mesh: object,
                   buffers: dict[torch.device, tuple[torch.Tensor, torch.Tensor]] | None) -> bool:
    """``has_nonfinite`` for DTensor gradients: each rank checks its shards without DTensor's per-op
    dispatch, then one all-reduce (MAX) over the mesh makes every rank skip, raise or step alike."""
    import torch.distributed as dist

    local = [g.to_local() if hasattr(g, "to_local") else g for g in grads]
    local = [t for t in local if t.numel()]
    found = has_nonfinite(local, buffers) if local else False
    flag = torch.tensor([1.0 if found else 0.0], device=grads[0].device)
    groups = mesh.get_all_groups()  # type: ignore[attr-defined]
    for group in groups:
        dist.all_reduce(flag, op=dist.ReduceOp.MAX, group=group)
    return bool(flag.item())


def has_nonfinite(grads: Sequence[torch.Tensor],
                  buffers: dict[torch.device, tuple[torch.Tensor, torch.Tensor]] | None = None) -> bool:
    """Whether any of ``grads`` holds a NaN or an Inf.

    The gradients are checked by the fused kernel the gradient scaler of mixed precision uses
    (unscaling by 1, which leaves them unchanged), and the result is read with one host sync.
    Gradients on several devices are checked per device; sparse, complex or other gradients the
    kernel does not take are checked with ``isfinite`` and read together.

    Args:
        grads: The gradients.
        buffers: A dict this function keeps its two one-element tensors per device in; pass the
            same dict at every step to save allocating them (which, for a small model, costs
            more than the check).

    Examples:
        >>> has_nonfinite([torch.ones(3), torch.tensor([0.0, float('nan')])])
        True
        >>> has_nonfinite([torch.ones(3)])
        False
    """
    if not grads:
        return False
    mesh = getattr(grads[0], "device_mesh", None)
    if mesh is not None:  # sharded (DTensor, FSDP2) gradients: check the local shards, agree in one all-reduce
        return _sharded_check(grads, mesh, buffers)
    try:  # the usual case, one device and dense floating-point gradients: one kernel, one sync
        return _fused_check(grads, grads[0].device, buffers)
    except RuntimeError:  # several devices, or gradients the kernel does not take
        pass
    groups: dict[torch.device, list[torch.Tensor]] = {}
    others: list[torch.Tensor] = []
    for grad in grads:
        if grad.layout is torch.strided and grad.is_floating_point():
            groups.setdefault(grad.device, []).append(grad)
        else:
            others.append(grad)
    for device, tensors in groups.items():
        try:
            if _fused_check(tensors, device, buffers):
                return True
        except RuntimeError:  # a backend or tensor subclass without the fused kernel
            others.extend(tensors)
    flags: dict[torch.device, list[torch.Tensor]] = {}
    for grad in others:
        flag = _finite_flag(grad)
        flags.setdefault(flag.device, []).append(flag)
    return any(not bool(torch.stack(group).all()) for group in flags.values())


def _fused_check(grads: Sequence[torch.Tensor], device: torch.device,
                 buffers: dict[torch.device, tuple[torch.Tensor, torch.Tensor]] | None) -> bool:
    pair = buffers.get(device) if buffers is not None else None
    if pair is None:
        pair = (torch.zeros(1, device=device), torch.ones(1, device=device))
        if buffers is not None:
            buffers[device] = pair
    found, one = pair
    try:
        torch._amp_foreach_non_finite_check_and_unscale_(grads, found, one)
    except RuntimeError:
        found.zero_()  # the kernel may have flagged part of the list before it stopped
        raise
    if found.item():
        found.zero_()  # it stays zero between steps while nothing is found
        return True
    return False


def nonfinite_params(params: Iterable[torch.Tensor], names: Sequence[str] | None = None,
                     limit: int = 10) -> tuple[list[str], int]:
    """Names of the parameters whose gradient is not finite (the first ``limit``), and their number.

    Args:
        params: The parameters, in optimizer order.
        names: Their names, in the same order; a parameter without one (beyond the list, or
            ``''``) is named by its position and shape.
        limit: How many names to return at most.
    """
    found: list[str] = []
    count = 0
    for index, param in enumerate(params):
        grad = param.grad
        if grad is None or bool(_finite_flag(grad)):
            continue
        count += 1
        if len(found) < limit:
            name = names[index] if names and index < len(names) else ""
            shape = "x".join(map(str, param.shape)) or "scalar"
            found.append(name or f"parameter #{index} ({shape})")
    return found, count
