"""The command: targets, the run of one target, the score table."""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path

from ._common import EQUIVALENTS_FILE, REPORT_DIR, ROOT
from ._operators import Mutant, enumerate_mutants
from ._run import Coverage, fork_child, load_equivalents, preload, reap, run_mutants
from ._trace import coverage_child

_RUNNER = "packages/runner/src/mme"


@dataclass(frozen=True)
class Target:
    """Source files to mutate (globs relative to the repository) and the tests that cover them."""

    files: tuple[str, ...]
    tests: tuple[str, ...]
    exclude: tuple[str, ...] = ("version.py",)

    def paths(self) -> list[str]:
        found: list[str] = []
        for pattern in self.files:
            for path in sorted(ROOT.glob(pattern)):
                rel = path.relative_to(ROOT).as_posix()
                if path.name not in self.exclude and rel not in found:
                    found.append(rel)
        return found

    def test_paths(self) -> list[str]:
        return [t for t in self.tests if (ROOT / t).exists()]


TARGETS = {
    "config": Target(("packages/config/src/mme/config/*.py",), ("tests/config",)),
    "registry": Target(("packages/registry/src/mme/registry/*.py",), ("tests/registry",)),
    "checkpoint": Target(
        (f"{_RUNNER}/runner/_checkpoint.py", f"{_RUNNER}/runner/_checkpoint_mixin.py", f"{_RUNNER}/hooks/_checkpoint.py"),
        ("tests/runner/test_checkpoint.py", "tests/runner/test_checkpoint_mixin.py", "tests/runner/test_resume.py",
         "tests/hooks/test_checkpoint_hook.py"),
    ),
    "schedulers": Target(
        tuple(f"{_RUNNER}/optim/{name}.py" for name in ("_scheduler_base", "_schedulers", "_variants", "_cyclic",
                                                         "_plateau")),
        ("tests/optim",),
    ),
    # hooks/_checkpoint.py belongs to the checkpoint target.
    "hooks": Target((f"{_RUNNER}/hooks/*.py",), ("tests/hooks", "tests/runner/test_hook_stages.py"),
                    exclude=("version.py", "_checkpoint.py")),
}




def _table(mutants: list[Mutant]) -> list[dict]:
    rows = []
    by_path: dict[str, list[Mutant]] = defaultdict(list)
    for m in mutants:
        by_path[m.path].append(m)
    for path in sorted(by_path):
        ms = by_path[path]
        count = {s: sum(m.status == s for m in ms) for s in ("killed", "timeout", "survived", "nocov", "equivalent",
                                                              "error")}
        scored = len(ms) - count["equivalent"] - count["error"]
        killed = count["killed"] + count["timeout"]
        rows.append({"path": path, "mutants": len(ms), **count,
                     "score": killed / scored if scored else 1.0, "killed_total": f"{killed}/{scored}"})
    return rows


def _print_table(name: str, rows: list[dict]) -> None:
    print(f"\n== {name}: killed / (mutants - equivalent)")
    print(f"{'module':58} {'mutants':>7} {'killed':>6} {'t/o':>4} {'surv':>5} {'nocov':>5} {'equiv':>5} {'err':>4}"
          f" {'score':>7}")
    for r in rows:
        print(f"{r['path'].split('/src/')[-1]:58} {r['mutants']:7} {r['killed']:6} {r['timeout']:4} {r['survived']:5}"
              f" {r['nocov']:5} {r['equivalent']:5} {r['error']:4} {r['score']:7.1%}")
    if rows:
        k = sum(r["killed"] + r["timeout"] for r in rows)
        n = sum(r["mutants"] - r["equivalent"] - r["error"] for r in rows)
        print(f"{'total':58} {sum(r['mutants'] for r in rows):7} {'':>6} {'':>4} {'':>5} {'':>5} {'':>5} {'':>4} "
              f"{k / n if n else 1:7.1%}  ({k}/{n})")


def run_target(name: str, args: argparse.Namespace) -> list[dict]:
    target = TARGETS[name]
    files = [f for f in target.paths() if not args.module or any(s in f for s in args.module)]
    tests = args.tests or target.test_paths()
    snapshots_src = {f: (ROOT / f).read_text() for f in files}
    mutants = [m for f in files for m in enumerate_mutants(f, snapshots_src[f])]
    if args.match:
        mutants = [m for m in mutants if any(s in m.key for s in args.match)]
    equivalents = load_equivalents()
    for m in mutants:
        if m.key in equivalents:
            m.status = "equivalent"
    print(f"== {name}: {len(mutants)} mutants in {len(files)} files; tests: {' '.join(tests)}", flush=True)
    if args.dry_run:
        for m in mutants:
            if args.verbose:
                print(f"  {m.path}:{m.line} {m.key}")
        return _table(mutants)
    workdir = Path(tempfile.mkdtemp(prefix=f"mme-mutation-{name}-"))
    try:
        snap_dir = workdir / "snapshots"
        snapshots = {}
        for f, text in snapshots_src.items():
            snap = snap_dir / f
            snap.parent.mkdir(parents=True, exist_ok=True)
            snap.write_text(text)
            snapshots[f] = str(snap)
        started = time.monotonic()
        pid = fork_child(coverage_child, workdir / "coverage.log", tests, files, workdir)
        code = reap(pid, block=True)
        cov_file = workdir / "coverage.json"
        if not cov_file.exists():
            sys.exit(f"the coverage run failed (exit {code}):\n{(workdir / 'coverage.log').read_text()[-3000:]}")
        data = json.loads(cov_file.read_text())
        coverage = Coverage.load(data)
        print(f"   coverage: {len(coverage.tests)} tests passed in {time.monotonic() - started:.0f}s (traced)",
              flush=True)
        if data["failed"]:
            print(f"   WARNING: left out {len(data['failed'])} tests that fail on the unmutated code: "
                  f"{', '.join(data['failed'][:10])}", flush=True)
        loaded = preload(files, data.get("imported", []), workdir)
        print(f"   preloaded: {' '.join(m for m in loaded if m.startswith('mme.'))}", flush=True)
        run_mutants(mutants, coverage, snapshots, workdir, args.jobs, args.timeout_factor, args.verbose)
        changed = [f for f in files if hashlib.sha256((ROOT / f).read_bytes()).digest()
                   != hashlib.sha256(snapshots_src[f].encode()).digest()]
        if changed:
            print(f"   NOTE: changed on disk during the run (mutants were made from the earlier text): {changed}")
        print(f"   {len(mutants)} mutants in {time.monotonic() - started:.0f}s")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    rows = _table(mutants)
    survivors = [m for m in mutants if m.status in ("survived", "nocov")]
    if survivors:
        print(f"\n-- {name}: surviving mutants (add the key to {EQUIVALENTS_FILE.relative_to(ROOT)} if equivalent)")
        for m in survivors:
            print(f"  {m.path.split('/src/')[-1]}:{m.line} [{m.status}] {m.key}")
    REPORT_DIR.mkdir(parents=True, exist_ok=True)
    report = REPORT_DIR / f"{name}-{time.strftime('%Y%m%d-%H%M%S')}.json"
    report.write_text(json.dumps({"target": name, "rows": rows, "mutants": [asdict(m) for m in mutants]}, indent=1,
                                 default=str))
    print(f"   report: {report.relative_to(ROOT)}")
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("targets", nargs="*", metavar="TARGET", help=f"one or more of {', '.join(TARGETS)}")
    parser.add_argument("--list", action="store_true", help="show the targets, their files and tests")
    parser.add_argument("--module", action="append", help="only files whose path contains this (repeatable)")
    parser.add_argument("--match", action="append", help="only mutants whose key contains this (repeatable)")
    parser.add_argument("--tests", nargs="+", metavar="PATH", help="run these tests instead of the target's")
    parser.add_argument("-j", "--jobs", type=int, default=1, help="mutants run at a time (default 1)")
    parser.add_argument("--timeout-factor", type=float, default=3.0,
                        help="a mutant times out after 30 s + this times its tests' traced duration (default 3)")
    parser.add_argument("--dry-run", action="store_true", help="count the mutants, run nothing")
    parser.add_argument("-v", "--verbose", action="store_true", help="print every mutant")
    args = parser.parse_args(argv)
    unknown = [t for t in args.targets if t not in TARGETS]
    if unknown:
        parser.error(f"unknown target(s) {', '.join(unknown)}; choose from {', '.join(TARGETS)}")
    if args.list or not args.targets:
        for name, target in TARGETS.items():
            print(f"{name}:\n  files: {' '.join(target.paths())}\n  tests: {' '.join(target.test_paths())}")
        return 0
    if not hasattr(os, "fork"):
        parser.error("mutation testing forks a child per mutant: it runs on Linux and macOS")
    # Imported once here, so that each forked child starts with them loaded. mme itself is not
    # imported here: each child imports it afresh, with the mutant in place.
    import numpy  # noqa: F401
    import pytest  # noqa: F401
    import torch  # noqa: F401
    import torch.distributed  # noqa: F401

    # Each target runs in a child of its own: what one preloads must not leak into the next.
    results = {}
    for name in args.targets:
        with tempfile.NamedTemporaryFile(suffix=".json") as out:
            pid = fork_child(_run_target_to, None, name, args, out.name)
            code = reap(pid, block=True)
            if code:
                print(f"== {name}: stopped (exit {code})")
                continue
            results[name] = json.loads(Path(out.name).read_text())
    for name, rows in results.items():
        _print_table(name, rows)
    return 0 if len(results) == len(args.targets) else 1


def _run_target_to(name: str, args: argparse.Namespace, out: str) -> int:
    Path(out).write_text(json.dumps(run_target(name, args)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
