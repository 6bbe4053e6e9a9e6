"""OptimWrapper.update_params against plain ``loss.backward(); opt.step(); opt.zero_grad()``.

Trains the same small MLP both ways, timing steady-state steps (after a warm-up) in
interleaved repeats so drift affects both sides alike, and prints the median time per step
and the median ratio of adjacent (paired) repeats (target <= 1.05). Asserts nothing.

Run: ``python benchmarks/bench_optim.py [--steps 50] [--repeats 61]``.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
from mme.optim import OptimWrapper
from torch import nn


def _mlp() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10))


def _time_plain(model, opt, data, steps: int) -> float:
    x, y = data
    start = time.perf_counter()
    for _ in range(steps):
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        opt.zero_grad()
    return (time.perf_counter() - start) / steps


def _time_wrapper(model, wrapper, data, steps: int) -> float:
    x, y = data
    start = time.perf_counter()
    for _ in range(steps):
        loss = nn.functional.cross_entropy(model(x), y)
        wrapper.update_params(loss)
    return (time.perf_counter() - start) / steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=50, help="steps per timed repeat")
    parser.add_argument("--repeats", type=int, default=61, help="interleaved repeats per side")
    parser.add_argument("--batch", type=int, default=32)
    args = parser.parse_args()

    torch.set_num_threads(1)
    g = torch.Generator().manual_seed(0)
    data = (torch.randn(args.batch, 64, generator=g), torch.randint(0, 10, (args.batch,), generator=g))
    # one model and one optimizer for both sides (the wrapper wraps the same optimizer), so
    # memory layout and optimizer state are identical and only the call path differs
    model = _mlp()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    wrapper = OptimWrapper(opt)

    _time_plain(model, opt, data, 50)  # warm-up
    _time_wrapper(model, wrapper, data, 50)
    plain, wrapped = [], []
    for i in range(args.repeats):  # ABBA order: drift affects both sides alike
        if i % 2 == 0:
            plain.append(_time_plain(model, opt, data, args.steps))
            wrapped.append(_time_wrapper(model, wrapper, data, args.steps))
        else:
            wrapped.append(_time_wrapper(model, wrapper, data, args.steps))
            plain.append(_time_plain(model, opt, data, args.steps))
    p, w = statistics.median(plain), statistics.median(wrapped)
    paired = statistics.median(b / a for a, b in zip(plain, wrapped))
    print(f"MLP 64-256-256-10, batch {args.batch}, {args.repeats} x {args.steps} steps per side, 1 thread")
    print(f"plain backward/step/zero_grad : {p * 1e6:9.1f} us/step (median)")
    print(f"OptimWrapper.update_params    : {w * 1e6:9.1f} us/step (median)")
    print(f"ratio of medians              : {w / p:.3f}")
    print(f"ratio update_params / plain   : {paired:.3f}  (median of paired repeats; target <= 1.05)")


if __name__ == "__main__":
    main()
