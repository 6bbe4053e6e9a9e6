"""Memory of DataLoader workers reading a BaseDataset: serialized data list vs Python objects.

Builds a dataset of many small annotation dicts, then iterates it once with 2 forked
DataLoader workers, with ``serialize_data=False`` (baseline: a list of dicts) and ``True`` (one
numpy byte buffer plus offsets). Reading Python objects in a forked worker writes their
reference counts and GC headers, so the pages holding them are copied into the worker; the
byte buffer is only read and stays shared. Each worker's growth in USS (private memory) and
PSS (proportional share) is read from ``/proc/<pid>/smaps_rollup`` after its first batch and
at the end of the pass. Linux only. Prints figures and the baseline/serialized ratio; asserts
nothing.

    python benchmarks/bench_dataset_memory.py [--samples 300000]
"""

from __future__ import annotations

import argparse
import os
import time

from mme.dataset import BaseDataset, pseudo_collate
from torch.utils.data import DataLoader


class ManySmallDicts(BaseDataset):
    """Synthetic annotations: one dict with a few strings, numbers and a list per sample."""

    def __init__(self, samples: int, **kwargs):
        self.samples = samples
        super().__init__(data_prefix={}, **kwargs)

    def load_data_list(self):
        return [
            {
                "img_path": f"images/{i:08d}.jpg",
                "height": 480 + i % 7,
                "width": 640 - i % 5,
                "instances": [{"bbox": [i % 13, i % 17, 20.5, 30.5], "label": i % 80} for _ in range(3)],
            }
            for i in range(self.samples)
        ]

    def prepare_data(self, idx):
        info = self.get_data_info(idx)
        return (os.getpid(), info["height"])


def read_memory(pid: int) -> dict[str, int]:
    """USS and PSS of a process in KiB, from /proc/<pid>/smaps_rollup."""
    fields: dict[str, int] = {}
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 2 and parts[1].isdigit():
                fields[parts[0].rstrip(":")] = int(parts[1])
    return {"uss": fields.get("Private_Clean", 0) + fields.get("Private_Dirty", 0), "pss": fields["Pss"]}


def measure(samples: int, serialize: bool, batch_size: int) -> dict[str, float]:
    start = time.perf_counter()
    dataset = ManySmallDicts(samples, serialize_data=serialize)
    build_s = time.perf_counter() - start
    loader = DataLoader(
        dataset, batch_size=batch_size, num_workers=2, collate_fn=pseudo_collate,
        persistent_workers=True, multiprocessing_context="fork",
    )
    first: dict[int, dict[str, int]] = {}
    seen = 0
    start = time.perf_counter()
    for pids, _heights in loader:  # pseudo_collate transposes the (pid, height) pairs
        for pid in set(pids):
            if pid not in first:
                first[pid] = read_memory(pid)
        seen += len(pids)
    pass_s = time.perf_counter() - start
    last = {pid: read_memory(pid) for pid in first}
    del loader  # shuts the persistent workers down
    growth = {k: sum(last[p][k] - first[p][k] for p in first) / 1024 for k in ("uss", "pss")}
    return {"build_s": build_s, "pass_s": pass_s, "workers": len(first), "seen": seen, **growth}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=300_000)
    parser.add_argument("--batch-size", type=int, default=500)
    args = parser.parse_args()
    if not os.path.exists("/proc/self/smaps_rollup"):
        print("needs Linux /proc/<pid>/smaps_rollup; nothing measured")
        return
    results = {}
    for serialize in (False, True):
        results[serialize] = r = measure(args.samples, serialize, args.batch_size)
        label = "serialized  " if serialize else "python list "
        print(
            f"{label} samples={r['seen']} workers={r['workers']} build={r['build_s']:.2f}s pass={r['pass_s']:.2f}s "
            f"worker growth: USS {r['uss']:8.1f} MiB  PSS {r['pss']:8.1f} MiB"
        )
    base, ser = results[False], results[True]
    for key in ("uss", "pss"):
        # the serialized growth is often ~0 (or negative, as pages get shared); floor it at 1 MiB
        ratio = base[key] / max(ser[key], 1.0)
        print(f"{key.upper()} growth ratio python list / serialized (floored at 1 MiB): {ratio:.1f}x")


if __name__ == "__main__":
    main()
