"""Runner overhead against a plain PyTorch loop (prints figures, asserts nothing).

The same training -- an MLP 64-128-10, batch 32, SGD with momentum, 500 iterations on synthetic
data -- runs as a plain loop and through ``Runner`` with its default hooks and logging. The two
run interleaved in one process: every 20 iterations of the Runner (timed by a hook), 20
iterations of the plain loop run and are timed, so both see the same machine at the same moment
(a shared machine drifts by tens of percent within seconds). Printed: the median time per
iteration of each and their ratio (target <= 1.10), the same for a Runner without its default
hooks, the Runner's construction time (target < 0.1 s; the first one also imports the
visualizer), the cost of ``OptimWrapper``'s non-finite gradient check (one training step with
it against one with ``nonfinite_grad='off'``), the cost of checking a 200 MB checkpoint's CRC-32s
when loading it (``load_checkpoint`` against a plain ``torch.load``), and the import time of
``mme.runner`` on top of ``import torch`` (target < 0.3 s).

Run: python benchmarks/bench_runner.py
"""

from __future__ import annotations

import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator

import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset

from mme.hooks import Hook
from mme.model import BaseModel
from mme.runner import Runner

ITERS = 500
WARMUP = 100
CHUNK = 20
BATCH = 32
RUNS = 3
NO_DEFAULT_HOOKS = dict(runtime_info=None, timer=None, sampler_seed=None, logger=None, param_scheduler=None,
                        checkpoint=None)


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


def plain_steps() -> Iterator[None]:
    """The plain PyTorch loop, one iteration per ``next``."""
    model = mlp()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loader = DataLoader(Synthetic(), batch_size=BATCH, shuffle=True)
    while True:
        for batch in loader:
            loss = nn.functional.cross_entropy(model(batch["inputs"]), batch["data_samples"])
            opt.zero_grad()
            loss.backward()
            opt.step()
            yield


class Interleave(Hook):
    """Times the Runner in chunks of CHUNK iterations and runs as many plain iterations in between."""

    priority = "LOWEST"

    def __init__(self) -> None:
        self.plain = plain_steps()
        for _ in range(WARMUP):
            next(self.plain)
        self.runner_chunks: list[float] = []
        self.plain_chunks: list[float] = []
        self.started: float | None = None

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        if runner.iter < WARMUP or (runner.iter - WARMUP) % CHUNK:
            return
        if self.started is not None:
            self.runner_chunks.append(time.perf_counter() - self.started)
        start = time.perf_counter()
        for _ in range(CHUNK):
            next(self.plain)
        self.plain_chunks.append(time.perf_counter() - start)
        self.started = time.perf_counter()


def runner_run(work_dir: str, default_hooks: dict, watch: Interleave) -> float:
    """Train with the Runner, interleaved with the plain loop; return the construction time."""
    t0 = time.perf_counter()
    runner = Runner(
        model=MLPModel(), work_dir=work_dir,
        train_dataloader=dict(dataset=Synthetic(), batch_size=BATCH, sampler=dict(type="DefaultSampler", shuffle=True),
                              collate_fn=dict(type="default_collate")),
        train_cfg=dict(by_epoch=False, max_iters=ITERS),
        optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.01, momentum=0.9)),
        default_hooks=default_hooks, log_processor=dict(by_epoch=False),
        custom_hooks=[watch], randomness=dict(seed=0))
    construct = time.perf_counter() - t0
    with open(os.devnull, "w") as devnull:  # quiet console; the log file still gets every line
        for handler in runner.logger.handlers:
            if type(handler) is logging.StreamHandler:
                handler.setStream(devnull)
        runner.train()
    return construct


def compare(default_hooks: dict) -> tuple[float, float, list[float]]:
    """Median ms/iter of the Runner and of the plain loop over RUNS interleaved runs, and construction times."""
    runner_chunks: list[float] = []
    plain_chunks: list[float] = []
    construct = []
    for _ in range(RUNS):
        watch = Interleave()
        with tempfile.TemporaryDirectory() as tmp:
            construct.append(runner_run(tmp, default_hooks, watch))
        n = min(len(watch.runner_chunks), len(watch.plain_chunks))
        runner_chunks += watch.runner_chunks[:n]
        plain_chunks += watch.plain_chunks[:n]
    return statistics.median(runner_chunks) / CHUNK, statistics.median(plain_chunks) / CHUNK, construct


def import_time(stmt: str) -> float:
    code = f"import time, torch\nt = time.perf_counter()\n{stmt}\nprint(time.perf_counter() - t)"
    if stmt == "pass":
        code = "import time\nt = time.perf_counter()\nimport torch\nprint(time.perf_counter() - t)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return float(out.strip().splitlines()[-1])


def step_costs() -> tuple[float, float, float]:
    """Per-step time of a plain step and of ``BaseModel.train_step`` + ``OptimWrapper`` on one batch,
    and the cost ratio of OptimWrapper's non-finite gradient check (the median, over rounds, of
    the time with the check over the time without, the two measured back to back in turn)."""
    from mme.dataset import default_collate
    from mme.optim import OptimWrapper

    batch = default_collate([Synthetic()[i] for i in range(BATCH)])
    model = MLPModel()
    wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9))
    unchecked = OptimWrapper(wrapper.optimizer, nonfinite_grad="off")  # same model and optimizer state
    net = mlp()
    opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)

    def plain() -> None:
        loss = nn.functional.cross_entropy(net(batch["inputs"]), batch["data_samples"])
        opt.zero_grad()
        loss.backward()
        opt.step()

    def timed(fn, n: int = 50) -> float:
        start = time.perf_counter()
        for _ in range(n):
            fn()
        return (time.perf_counter() - start) / n

    def step() -> None:
        model.train_step(batch, wrapper)

    def step_unchecked() -> None:
        model.train_step(batch, unchecked)

    plain_times, step_times, check_ratios = [], [], []
    for i in range(40):  # alternate short blocks, as the loops above, so all see the same machine
        plain_times.append(timed(plain))
        if i % 2:  # with and without the check, in either order, so drift cancels
            with_check, without = timed(step), timed(step_unchecked)
        else:
            without, with_check = timed(step_unchecked), timed(step)
        step_times.append(with_check)
        check_ratios.append(with_check / without)
    return statistics.median(plain_times[4:]), statistics.median(step_times[4:]), statistics.median(check_ratios[4:])


def checkpoint_check_cost(size_mb: int = 200, repeats: int = 7) -> tuple[float, float]:
    """Median seconds to load a ``size_mb`` checkpoint into a model with ``torch.load`` +
    ``load_state_dict`` and with ``load_checkpoint`` (which also checks every member's CRC-32),
    alternating, the file in the page cache."""
    from mme.runner import load_checkpoint

    gen = torch.Generator().manual_seed(0)
    model = nn.Sequential(*[nn.Linear(1024, 1024) for _ in range(size_mb * 1024 * 1024 // (4 * 1025 * 1024))])
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn(p.shape, generator=gen))
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "big.pth")
        torch.save({"state_dict": model.state_dict()}, path)
        plain, checked = [], []
        for _ in range(repeats):
            start = time.perf_counter()
            model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True)["state_dict"])
            plain.append(time.perf_counter() - start)
            start = time.perf_counter()
            load_checkpoint(model, path, map_location="cpu")
            checked.append(time.perf_counter() - start)
    return statistics.median(plain), statistics.median(checked)


def main() -> None:
    torch.set_num_threads(1)
    runner, plain, construct = compare(dict(checkpoint=dict(by_epoch=False, interval=ITERS)))  # as an iter config
    bare, bare_plain, _ = compare(NO_DEFAULT_HOOKS)
    chunks = RUNS * ((ITERS - WARMUP) // CHUNK - 1)
    print(f"plain loop   : {plain * 1e3:.3f} ms/iter (median of {chunks} chunks of {CHUNK} iterations)")
    print(f"Runner       : {runner * 1e3:.3f} ms/iter, default hooks, logging every 10 iterations")
    print(f"ratio        : {runner / plain:.3f}  (target <= 1.10)")
    print(f"no hooks     : ratio {bare / bare_plain:.3f} for a Runner without default hooks (loop, train_step, data)")
    print(f"construction : first {construct[0]:.3f} s (imports the visualizer), then {min(construct[1:]):.4f} s "
          "(target < 0.1 s)")
    ps, ts, check = step_costs()
    print(f"breakdown    : one plain step {ps * 1e3:.3f} ms, BaseModel.train_step+OptimWrapper {ts * 1e3:.3f} ms "
          f"(ratio {ts / ps:.2f}), same batch, alternating blocks")
    print(f"grad check   : train_step+OptimWrapper with / without (nonfinite_grad='off') the non-finite gradient "
          f"check: ratio {check:.3f} (median of paired blocks)")
    plain_load, checked_load = checkpoint_check_cost()
    print(f"checkpoint   : 200 MB into a model: torch.load {plain_load:.3f} s, load_checkpoint (every member's "
          f"CRC-32 checked, {os.cpu_count()} CPUs) {checked_load:.3f} s, ratio {checked_load / plain_load:.2f}")
    torch_t = min(import_time("pass") for _ in range(3))
    extra = min(import_time("from mme.runner import Runner") for _ in range(3))
    print(f"import torch : {torch_t:.3f} s; from mme.runner import Runner on top: {extra:.3f} s  (target < 0.3 s)")


if __name__ == "__main__":
    main()
