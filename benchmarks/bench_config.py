"""Benchmark mme.config: Config.fromfile on a five-level inheritance chain, and pretty_text.

Generates the chain (about 300 keys, .py/.yaml/.json levels) in a temporary directory and
prints milliseconds per call (median of several runs) with a ratio against a baseline
measured in the same run: exec of the flattened config as one Python file, and
pprint.pformat of the resulting dict. Asserts nothing.

    python benchmarks/bench_config.py
"""

from __future__ import annotations

import json
import pprint
import statistics
import tempfile
import time
from pathlib import Path

from mme.config import Config

LEVELS = 5
GROUPS = 9  # top-level dicts added per level, 7 keys each (nested included): 5 * 9 * 7 = 315 keys
REPEATS = 15


def _level(i: int) -> dict:
    data = {
        f"l{i}_g{j}": {
            "type": f"Module{j}",
            "depth": i * 100 + j,
            "ratios": [0.5, 1.0, 2.0],
            "norm": {"type": "BN", "eps": 1e-5},
        }
        for j in range(GROUPS)
    }
    if i:
        for j in range(3):  # override a few keys of the level below
            data[f"l{i - 1}_g{j}"] = {"depth": -j, "norm": {"eps": 1e-3}}
    return data


def generate(root: Path) -> Path:
    suffixes = [".py", ".yaml", ".py", ".json", ".py"]
    previous = None
    for i in range(LEVELS):
        data = _level(i)
        path = root / f"level{i}{suffixes[i]}"
        if previous is not None:
            data = {"_base_": previous.name, **data}
        if path.suffix == ".json":
            path.write_text(json.dumps(data, indent=2))
        elif path.suffix == ".yaml":
            import yaml

            path.write_text(yaml.safe_dump(data, sort_keys=False))
        else:
            path.write_text("".join(f"{k} = {v!r}\n" for k, v in data.items()))
        previous = path
    return previous


def _median_ms(fn, repeats: int = REPEATS) -> float:
    fn()  # warm up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def _count_keys(value) -> int:
    if isinstance(value, dict):
        return sum(1 + _count_keys(v) for v in value.values())
    return 0


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        leaf = generate(Path(tmp))
        cfg = Config.fromfile(leaf)
        flat = Path(tmp) / "flat.py"
        flat.write_text(cfg.pretty_text)
        plain = cfg.to_dict()

        def baseline_exec() -> dict:
            namespace: dict = {}
            exec(compile(flat.read_text(), str(flat), "exec"), namespace)  # noqa: S102 - the baseline
            return namespace

        load_ms = _median_ms(lambda: Config.fromfile(leaf))
        exec_ms = _median_ms(baseline_exec)
        pretty_ms = _median_ms(lambda: cfg.pretty_text)
        pformat_ms = _median_ms(lambda: pprint.pformat(plain))

    print(f"config: {LEVELS}-level chain, {_count_keys(plain)} keys, {len(plain)} top-level")
    print(
        f"Config.fromfile     {load_ms:8.2f} ms/call   baseline exec of flat file {exec_ms:6.2f} ms   ratio {load_ms / exec_ms:5.1f}x"
    )
    print(
        f"Config.pretty_text  {pretty_ms:8.2f} ms/call   baseline pprint.pformat    {pformat_ms:6.2f} ms   ratio {pretty_ms / pformat_ms:5.1f}x"
    )


if __name__ == "__main__":
    main()
