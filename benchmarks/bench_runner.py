"""Runner overhead against a plain PyTorch loop (prints figures, asserts nothing).

The same training -- an MLP 64-128-10, batch 32, SGD with momentum, 500 iterations on synthetic
data -- runs once as a plain loop and once through ``Runner`` with its default hooks and
logging. Printed: steady-state time per iteration of both and their ratio (target <= 1.10),
the Runner's construction time (target < 0.1 s), and the import time of ``mme.runner`` on top
of ``import torch`` (target < 0.3 s).

Run: python benchmarks/bench_runner.py
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time

import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset

from mme.hooks import Hook
from mme.model import BaseModel
from mme.runner import Runner

ITERS = 500
WARMUP = 100
BATCH = 32


class Synthetic(Dataset):
    def __init__(self, size: int = 3200) -> None:
        gen = torch.Generator().manual_seed(0)
        self.x = torch.randn(size, 64, generator=gen)
        self.y = torch.randint(0, 10, (size,), generator=gen)

    def __len__(self) -> int:
        return len(self.y)

    def __getitem__(self, i: int) -> dict:
        return {"inputs": self.x[i], "data_samples": self.y[i]}


def mlp() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))


class MLPModel(BaseModel):
    def __init__(self) -> None:
        super().__init__()
        self.net = mlp()

    def forward(self, inputs, data_samples=None, mode="tensor"):
        logits = self.net(inputs)
        if mode == "loss":
            return {"loss": nn.functional.cross_entropy(logits, data_samples)}
        return logits


def plain_loop() -> float:
    model = mlp()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loader = DataLoader(Synthetic(), batch_size=BATCH, shuffle=True)
    it = 0
    start = 0.0
    while it < ITERS:
        for batch in loader:
            if it == WARMUP:
                start = time.perf_counter()
            if it == ITERS - 1:
                return (time.perf_counter() - start) / (ITERS - 1 - WARMUP)
            loss = nn.functional.cross_entropy(model(batch["inputs"]), batch["data_samples"])
            opt.zero_grad()
            loss.backward()
            opt.step()
            it += 1
    raise AssertionError("unreachable")


class Stopwatch(Hook):
    priority = "LOWEST"

    def __init__(self) -> None:
        self.start = self.end = 0.0

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        if runner.iter == WARMUP:
            self.start = time.perf_counter()
        elif runner.iter == ITERS - 1:
            self.end = time.perf_counter()


def runner_loop(work_dir: str) -> tuple[float, float]:
    watch = Stopwatch()
    t0 = time.perf_counter()
    runner = Runner(
        model=MLPModel(), work_dir=work_dir,
        train_dataloader=dict(dataset=Synthetic(), batch_size=BATCH, sampler=dict(type="DefaultSampler", shuffle=True),
                              collate_fn=dict(type="default_collate")),
        train_cfg=dict(by_epoch=False, max_iters=ITERS),
        optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.01, momentum=0.9)),
        default_hooks=dict(checkpoint=dict(by_epoch=False, interval=ITERS)),  # as an iteration-based config sets it
        log_processor=dict(by_epoch=False),
        custom_hooks=[watch], log_level="WARNING", randomness=dict(seed=0))
    construct = time.perf_counter() - t0
    runner.train()
    return (watch.end - watch.start) / (ITERS - 1 - WARMUP), construct


def import_time(stmt: str) -> float:
    code = f"import time, torch\nt = time.perf_counter()\n{stmt}\nprint(time.perf_counter() - t)"
    if stmt == "pass":
        code = "import time\nt = time.perf_counter()\nimport torch\nprint(time.perf_counter() - t)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return float(out.strip().splitlines()[-1])


def step_costs() -> tuple[float, float]:
    """Per-step time of a plain step and of ``BaseModel.train_step`` + ``OptimWrapper`` on one batch."""
    from mme.dataset import default_collate
    from mme.optim import OptimWrapper

    batch = default_collate([Synthetic()[i] for i in range(BATCH)])
    model = MLPModel()
    wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9))
    net = mlp()
    opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)

    def plain() -> None:
        loss = nn.functional.cross_entropy(net(batch["inputs"]), batch["data_samples"])
        opt.zero_grad()
        loss.backward()
        opt.step()

    def timed(fn, n: int = 2000) -> float:
        for _ in range(200):
            fn()
        t = time.perf_counter()
        for _ in range(n):
            fn()
        return (time.perf_counter() - t) / n

    return timed(plain), timed(lambda: model.train_step(batch, wrapper))


def main() -> None:
    torch.set_num_threads(1)
    plain_loop()  # warm caches (and torch's lazy imports) for both contenders
    plain, runner, construct = [], [], []
    for i in range(3):
        plain.append(plain_loop())
        with tempfile.TemporaryDirectory() as tmp:
            r, c = runner_loop(tmp)
        runner.append(r)
        construct.append(c)
    p, r = statistics.median(plain), statistics.median(runner)
    print(f"plain loop   : {p * 1e3:.3f} ms/iter (median of 3, iterations {WARMUP}-{ITERS - 2})")
    print(f"Runner       : {r * 1e3:.3f} ms/iter")
    print(f"ratio        : {r / p:.3f}  (target <= 1.10)")
    print(f"construction : {min(construct):.4f} s  (target < 0.1 s)")
    ps, ts = step_costs()
    print(f"breakdown    : one plain step {ps * 1e3:.3f} ms, BaseModel.train_step+OptimWrapper {ts * 1e3:.3f} ms "
          f"(ratio {ts / ps:.2f}); the rest of the gap is the loop, hooks and logging")
    torch_t = min(import_time("pass") for _ in range(3))
    extra = min(import_time("from mme.runner import Runner") for _ in range(3))
    print(f"import torch : {torch_t:.3f} s; from mme.runner import Runner on top: {extra:.3f} s  (target < 0.3 s)")


if __name__ == "__main__":
    main()
