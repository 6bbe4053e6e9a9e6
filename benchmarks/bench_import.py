"""Import cost of the torch-free layers: `import mme.config` and `import mme.registry` in a fresh
interpreter, against a bare interpreter start, median of several runs.

Target (issue 2): under 50 ms over a bare start, and neither pulls torch, numpy or yapf.

Through the compat wheel (issue 14): `import mmengine` (config, fileio, registry and utils names
are looked up lazily; the logging names need torch only when touched) under 50 ms over a bare
start, and `from mmengine.runner import Runner` under `import torch` + 0.3 s.
Run: python benchmarks/bench_import.py [--runs N]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

HEAVY = ("torch", "numpy", "yapf")


def _time(code: str, runs: int) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def _importtime(module: str, runs: int) -> float:
    """Median cumulative import time of ``module`` as ``-X importtime`` reports it (seconds).

    Less noisy than wall time on a shared machine: it counts only the import itself.
    """
    samples = []
    for _ in range(runs):
        err = subprocess.run([sys.executable, "-X", "importtime", "-c", f"import {module}"],
                             capture_output=True, text=True, check=True).stderr
        line = [ln for ln in err.splitlines() if ln.rstrip().endswith(f"| {module}")][-1]
        samples.append(int(line.split("|")[1]) / 1e6)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    bare = _time("pass", args.runs)
    print(f"bare interpreter start: {bare * 1e3:7.1f} ms (median of {args.runs})")
    for module in ("mme.utils", "mme.config", "mme.registry", "mme.fileio"):
        t = _time(f"import {module}", args.runs)
        probe = f"import sys, {module}; print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
        pulled = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.strip()
        own = _importtime(module, args.runs)
        print(
            f"import {module:<13} {t * 1e3:7.1f} ms  over bare: {(t - bare) * 1e3:6.1f} ms  "
            f"ratio to bare: {t / bare:5.2f}  (-X importtime: {own * 1e3:5.1f} ms)  "
            f"heavy modules pulled: {pulled or 'none'}"
        )
    try:
        import _mme_compat  # noqa: F401
    except ImportError:
        print("mme-compat is not installed: the mmengine figures are skipped")
        return
    t = _time("import mmengine", args.runs)
    print(f"import mmengine        {t * 1e3:7.1f} ms  over bare: {(t - bare) * 1e3:6.1f} ms  (target <= 50 ms: "
          f"{'met' if t - bare <= 0.050 else 'NOT met'})")
    torch_t = _time("import torch", args.runs)
    runner_t = _time("from mmengine.runner import Runner", args.runs)
    print(f"import torch           {torch_t * 1e3:7.1f} ms")
    print(f"from mmengine.runner import Runner {runner_t * 1e3:7.1f} ms  over torch: {(runner_t - torch_t) * 1e3:6.1f} ms"
          f"  (target <= 300 ms: {'met' if runner_t - torch_t <= 0.300 else 'NOT met'})")


if __name__ == "__main__":
    main()
