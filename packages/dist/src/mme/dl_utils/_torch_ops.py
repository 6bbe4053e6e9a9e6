"""Small torch wrappers: torch_meshgrid and is_jit_tracing."""

from __future__ import annotations

import torch


def torch_meshgrid(*tensors: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """``torch.meshgrid`` with matrix (``'ij'``) indexing, without torch's warning about the default.

    Examples:
        >>> import torch
        >>> ys, xs = torch_meshgrid(torch.arange(2), torch.arange(3))
        >>> ys.shape, xs[0].tolist(), ys[:, 0].tolist()
        (torch.Size([2, 3]), [0, 1, 2], [0, 1])
    """
    return torch.meshgrid(*tensors, indexing="ij")


def is_jit_tracing() -> bool:
    """Whether the code runs under ``torch.jit.trace``.

    Examples:
        >>> is_jit_tracing()
        False
    """
    return bool(torch.jit.is_tracing())
