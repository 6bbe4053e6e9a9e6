"""Training strategies against plain torch, one section per question.

Sections (run all by default, or pick some with ``--section``):

- ``activation-memory``: bytes of activations saved for backward by one training forward of a
  16-block MLP (blocks ``x + Linear(GELU(Linear(x)))``), without and with
  ``mme.runner.turn_on_activation_checkpointing`` on every block. Saved tensors are caught with
  ``torch.autograd.graph.saved_tensors_hooks`` and summed by ``untyped_storage().nbytes()``,
  each storage once; parameters (Linear saves its weight) are left out, since checkpointing does
  not change them. Target (issue 13): at least 60% less with checkpointing.

Prints figures and ratios against the baseline measured in the same run; asserts nothing.

Run: ``python benchmarks/bench_strategies.py [--section activation-memory] [--width 1024]``.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

import torch
from mme.runner import turn_on_activation_checkpointing
from torch import nn

# ---------------------------------------------------------------------------- activation memory

MEMORY_TARGET = 0.60  # checkpointing every block saves at least this fraction of activation bytes


class Block(nn.Module):
    """``x + fc2(GELU(fc1(x)))``."""

    def __init__(self, width: int, hidden: int) -> None:
        super().__init__()
        self.fc1 = nn.Linear(width, hidden)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden, width)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.fc2(self.act(self.fc1(x)))


def _mlp(width: int, hidden: int, blocks: int) -> nn.Sequential:
    torch.manual_seed(0)
    return nn.Sequential(*(Block(width, hidden) for _ in range(blocks)))


def saved_activation_bytes(model: nn.Module, x: torch.Tensor) -> tuple[int, int]:
    """Bytes and number of the distinct non-parameter storages saved for backward by one forward."""
    param_storages = {p.untyped_storage().data_ptr() for p in model.parameters()}
    seen: dict[int, int] = {}

    def pack(t: torch.Tensor) -> torch.Tensor:
        storage = t.untyped_storage()
        ptr = storage.data_ptr()
        if ptr not in param_storages:
            seen.setdefault(ptr, storage.nbytes())
        return t

    model.train()
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        loss = model(x).pow(2).mean()
    loss.backward()  # the graph is used, so what was saved was needed
    return sum(seen.values()), len(seen)


def activation_memory(args: argparse.Namespace) -> None:
    """The ``activation-memory`` section."""
    hidden = args.hidden or args.width
    x = torch.randn(args.batch, args.width, generator=torch.Generator().manual_seed(0), requires_grad=True)
    plain = _mlp(args.width, hidden, args.blocks)
    ckpt = _mlp(args.width, hidden, args.blocks)
    turn_on_activation_checkpointing(ckpt, [name for name, m in ckpt.named_modules() if isinstance(m, Block)])
    base_bytes, base_n = saved_activation_bytes(plain, x)
    ckpt_bytes, ckpt_n = saved_activation_bytes(ckpt, x)
    saved = 1 - ckpt_bytes / base_bytes
    mib = 1024 * 1024
    print(f"activation memory: {args.blocks} blocks x + Linear-GELU-Linear, width {args.width}, "
          f"hidden {hidden}, batch {args.batch}, fp32, one training forward")
    print(f"no checkpointing              : {base_bytes / mib:9.2f} MiB saved for backward ({base_n} storages)")
    print(f"checkpointing on every block  : {ckpt_bytes / mib:9.2f} MiB saved for backward ({ckpt_n} storages)")
    print(f"ratio checkpointed / plain    : {ckpt_bytes / base_bytes:.3f}")
    verdict = "met" if saved >= MEMORY_TARGET else "NOT met"
    print(f"activation bytes saved        : {saved:.1%}  (target >= {MEMORY_TARGET:.0%}: {verdict})")


# -------------------------------------------------------------------------------------- main

SECTIONS: dict[str, Callable[[argparse.Namespace], None]] = {
    "activation-memory": activation_memory,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--section", action="append", choices=sorted(SECTIONS),
                        help="section to run (repeatable); all by default")
    parser.add_argument("--width", type=int, default=1024)
    parser.add_argument("--hidden", type=int, default=0, help="hidden width of each block (default: --width)")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--blocks", type=int, default=16)
    args = parser.parse_args()
    for i, name in enumerate(args.section or SECTIONS):
        if i:
            print()
        SECTIONS[name](args)


if __name__ == "__main__":
    main()
