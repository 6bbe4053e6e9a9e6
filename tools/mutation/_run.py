"""Running mutants: forked children, preloading, test selection by coverage, statuses."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ._common import EQUIVALENTS_FILE, MUTANT_ENV, PYTEST_ARGS, REPORT_DIR, ROOT
from ._operators import Mutant, install_mutant, module_name
from ._trace import child_env


def fork_child(fn: Any, log: Path | None, *args: Any) -> int:
    """Fork a child that runs fn(*args) and exits with its result.

    With a ``log`` the child writes its output there, works in the log's folder (a scratch folder:
    whatever a mutant writes to the current directory stays out of the working tree) and gets its
    own process group (killed as a whole when it ends); without one it stays in the foreground, on
    this terminal.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid:
        return pid
    code = 70
    try:
        if log is not None:
            os.setsid()
            fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            os.dup2(fd, 1)
            os.dup2(fd, 2)
        os.chdir(ROOT if log is None else log.parent)
        code = fn(*args)
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def reap(pid: int, block: bool) -> int | None:
    """The exit status of child ``pid`` (negative: killed by that signal), or None if still running.

    Whatever the tests left running in the child's process group is killed first, while the
    exited child still holds its group id.
    """
    flags = os.WEXITED | os.WNOWAIT | (0 if block else os.WNOHANG)
    if os.waitid(os.P_PID, pid, flags) is None:
        return None
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def _mutant_child(spec: dict, nodeids: list[str], basetemp: str) -> int:
    import pytest

    if spec["module"] in sys.modules:  # imported before the hook: the mutant would not apply
        print(f"{spec['module']} was imported before the mutant was installed")
        return 70
    child_env({MUTANT_ENV: json.dumps(spec)})
    install_mutant(spec)
    return int(pytest.main([*PYTEST_ARGS, "-x", f"--basetemp={basetemp}", *(f"{ROOT}/{n}" for n in nodeids)]))


# Third-party packages that start threads or servers when imported: never imported before a fork.
_NO_PRELOAD = {"moto", "boto3", "botocore", "werkzeug", "flask", "wandb", "mlflow", "aim", "clearml", "neptune",
               "dvclive", "aiohttp", "tensorboard", "matplotlib", "sitecustomize", "mutation"}


def _mme_packages() -> list[str]:
    return sorted({f"mme.{p.name}" for p in ROOT.glob("packages/*/src/mme/*") if (p / "__init__.py").is_file()})


def _probe(package: str, modules: list[str]) -> int:
    import importlib

    importlib.import_module(package)
    return 1 if any(m in sys.modules for m in modules) else 0


def preload(files: list[str], imported: list[str], workdir: Path) -> list[str]:
    """Import, in this process, what every mutant's child would import again and again.

    That is the third-party packages the tests imported, and each mme package that does not
    import a file of the target (probed in a child each). The target's modules, and everything
    that imports them, stay out: each child imports those afresh, with the mutant in place.
    """
    import importlib

    from importlib.metadata import entry_points

    modules = [module_name(f) for f in files]
    # pytest plugins must be imported by pytest itself (it rewrites their asserts).
    plugins = {ep.value.split(".")[0].split(":")[0] for ep in entry_points(group="pytest11")}
    loaded = []
    for name in imported:
        if name in _NO_PRELOAD or name in plugins or name.startswith(("mme", "test", "conftest", "pytest", "_pytest", "__")) or name in sys.modules:
            continue
        try:
            importlib.import_module(name)
        except Exception:  # not importable on its own: the children import it when they need it
            continue
        loaded.append(name)
    for package in _mme_packages():
        pid = fork_child(_probe, workdir / "probe.log", package, modules)
        if reap(pid, block=True) == 0:
            importlib.import_module(package)
            loaded.append(package)
    if threading.active_count() > 1:
        print(f"   WARNING: {threading.active_count() - 1} threads run after preloading; forked children may hang",
              flush=True)
    return loaded


# pytest's exit codes: 0 all passed, 1 some failed, 2 interrupted (a collection error), 3 internal
# error, 4 usage error, 5 nothing collected. The test ids come from the coverage run, which
# collected them, so 2 to 5 mean the mutant broke an import: killed. 70 is this tool failing.
_HARNESS_ERRORS = (70,)


@dataclass
class Coverage:
    durations: dict[str, float]
    tests: list[str]  # the tests that passed, fastest first
    by_line: dict[tuple[str, int], set[str]] = field(default_factory=dict)

    @classmethod
    def load(cls, data: dict) -> Coverage:
        passed = [t for t in data["durations"] if t not in set(data["failed"])]
        tests = sorted(passed, key=lambda t: (data["durations"][t], t))
        by_line: dict[tuple[str, int], set[str]] = defaultdict(set)
        keep = set(tests)
        for context, lines in data["hits"].items():
            if context in keep:
                for path, line in lines:
                    by_line[(path, line)].add(context)
        return cls(data["durations"], tests, by_line)

    def select(self, mutant: Mutant) -> list[str]:
        """The tests to run, fastest first.

        In a function: the tests that run the mutated lines. At module or class level, where the
        change takes effect at import, first the tests that run any line of the file (they use
        what it defines); a mutant that survives them is run again with all the other tests
        (:meth:`rest`) before it counts as surviving.
        """
        covering: set[str] = set()
        if mutant.in_function:
            for line in range(mutant.line, mutant.end_line + 1):
                covering |= self.by_line.get((mutant.path, line), set())
        else:
            for (path, _), tests in self.by_line.items():
                if path == mutant.path:
                    covering |= tests
            if not covering:
                return list(self.tests)
        return [t for t in self.tests if t in covering]

    def rest(self, mutant: Mutant, done: list[str]) -> list[str]:
        """For a module-level mutant that survived ``done``: the target's other tests."""
        if mutant.in_function:
            return []
        ran = set(done)
        return [t for t in self.tests if t not in ran]


def load_equivalents() -> dict[str, str]:
    entries = {}
    if EQUIVALENTS_FILE.exists():
        for raw in EQUIVALENTS_FILE.read_text().splitlines():
            if not raw.strip() or raw.startswith("#"):
                continue
            key, _, reason = raw.partition(" ## ")
            entries[key.strip()] = reason.strip()
    return entries


def run_mutants(mutants: list[Mutant], coverage: Coverage, snapshots: dict[str, str], workdir: Path, jobs: int,
                 timeout_factor: float, verbose: bool) -> None:
    queue: list[tuple[Mutant, list[str] | None]] = [(m, None) for m in mutants if m.status == "pending"]
    running: dict[int, tuple[Mutant, list[str], float, float, Path, Path]] = {}
    done = 0
    total = len(queue)
    while queue or running:
        while queue and len(running) < jobs:
            mutant, tests = queue.pop(0)
            if tests is None:
                tests = coverage.select(mutant)
            if not tests:
                mutant.status = "nocov"
                done += 1
                continue
            mutant.tests_run += len(tests)
            limit = 30 + timeout_factor * sum(coverage.durations[t] for t in tests)
            basetemp = Path(tempfile.mkdtemp(prefix="t", dir=workdir))
            log = workdir / f"mutant-{id(mutant)}.log"
            pid = fork_child(_mutant_child, log, mutant.spec(snapshots[mutant.path]), tests, str(basetemp))
            running[pid] = (mutant, tests, time.monotonic(), limit, basetemp, log)
        time.sleep(0.05)
        for pid in list(running):
            mutant, tests, started, limit, basetemp, log = running[pid]
            code = reap(pid, block=False)
            if code is None and time.monotonic() - started > limit:
                os.killpg(pid, signal.SIGKILL)
                reap(pid, block=True)
                mutant.status = "timeout"
            elif code is None:
                continue
            elif code == 0:
                first_round = mutant.tests_run == len(tests)
                rest = coverage.rest(mutant, tests) if first_round else []
                if rest:  # survived the tests that use its file: try the others before saying so
                    mutant.seconds += time.monotonic() - started
                    del running[pid]
                    shutil.rmtree(basetemp, ignore_errors=True)
                    log.unlink(missing_ok=True)
                    queue.insert(0, (mutant, rest))
                    continue
                mutant.status = "survived"
            elif code in _HARNESS_ERRORS:
                mutant.status = "error"
            else:
                mutant.status = "killed"
            mutant.seconds += time.monotonic() - started
            del running[pid]
            shutil.rmtree(basetemp, ignore_errors=True)
            if mutant.status == "error":  # kept for a look: the work folder goes at the end
                REPORT_DIR.mkdir(parents=True, exist_ok=True)
                kept = REPORT_DIR / log.name
                shutil.move(log, kept)
                mutant.after += f"  [exit {code}; log: {kept.relative_to(ROOT)}]"
            else:
                log.unlink(missing_ok=True)
            done += 1
            if verbose or mutant.status in ("survived", "error"):
                print(f"  [{done}/{total}] {mutant.status:8} {mutant.path}:{mutant.line} {mutant.kind}: "
                      f"{mutant.before} -> {mutant.after}", flush=True)
            elif done % 25 == 0:
                print(f"  [{done}/{total}]", flush=True)


