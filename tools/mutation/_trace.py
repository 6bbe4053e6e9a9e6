"""Line tracing: which test runs which lines of the target files (the coverage step)."""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from ._common import COLLECT, MUTANT_ENV, PYTEST_ARGS, ROOT, SITE_DIR, TEST_ENV, TRACE_DIR_ENV, TRACE_FILES_ENV
from ._operators import install_mutant


class _Tracer:
    def __init__(self, files: set[str]):
        self.files = files
        self.context = COLLECT
        self.hits: dict[str, set[tuple[str, int]]] = defaultdict(set)

    def _global(self, frame: Any, event: str, arg: Any) -> Any:
        return self._local if frame.f_code.co_filename in self.files else None

    def _local(self, frame: Any, event: str, arg: Any) -> Any:
        if event == "line":
            self.hits[self.context].add((frame.f_code.co_filename, frame.f_lineno))
        return self._local

    def start(self) -> None:
        threading.settrace(self._global)
        sys.settrace(self._global)


_subprocess_tracer: _Tracer | None = None
_dumped = False


def _dump_subprocess_lines() -> None:
    global _dumped
    if _dumped or _subprocess_tracer is None:
        return
    _dumped = True
    sys.settrace(None)
    lines = sorted(set().union(*_subprocess_tracer.hits.values())) if _subprocess_tracer.hits else []
    out = Path(os.environ[TRACE_DIR_ENV]) / f"{os.getpid()}-{time.monotonic_ns()}.json"
    out.write_text(json.dumps({"test": os.environ.get(TEST_ENV) or COLLECT, "lines": lines}))


def _after_fork() -> None:
    global _dumped
    import multiprocessing.util

    _dumped = False
    if _subprocess_tracer is not None:
        _subprocess_tracer.hits.clear()
    multiprocessing.util.Finalize(None, _dump_subprocess_lines, exitpriority=0)


class _Keep:
    """An object to hang the after-fork callback on (multiprocessing holds it weakly)."""


_KEEP = _Keep()


def bootstrap_subprocess() -> None:
    """Called by sitecustomize in every Python process the tests start during a run."""
    global _subprocess_tracer
    if os.environ.get(MUTANT_ENV):
        install_mutant(json.loads(os.environ[MUTANT_ENV]))
    if os.environ.get(TRACE_DIR_ENV):
        import atexit
        import multiprocessing.util

        _subprocess_tracer = _Tracer(set(os.environ[TRACE_FILES_ENV].split(os.pathsep)))
        _subprocess_tracer.start()
        atexit.register(_dump_subprocess_lines)
        multiprocessing.util.register_after_fork(_KEEP, lambda _: _after_fork())


def child_env(extra: dict[str, str]) -> None:
    os.environ.update(extra)
    os.environ["PYTHONPATH"] = os.pathsep.join([str(SITE_DIR)] + [p for p in os.environ.get("PYTHONPATH", "").split(
        os.pathsep) if p])


def coverage_child(tests: list[str], files: list[str], workdir: Path) -> int:
    """Run the tests under the tracer; write coverage.json. Runs in a forked child."""
    import pytest

    trace_dir = workdir / "trace"
    trace_dir.mkdir()
    absolute = {str(ROOT / f) for f in files}
    child_env({TRACE_DIR_ENV: str(trace_dir), TRACE_FILES_ENV: os.pathsep.join(sorted(absolute))})
    tracer = _Tracer(absolute)
    durations: dict[str, float] = defaultdict(float)
    failed: set[str] = set()

    class Plugin:
        @pytest.hookimpl(wrapper=True)
        def pytest_runtest_protocol(self, item: Any, nextitem: Any) -> Any:
            tracer.context = item.nodeid
            os.environ[TEST_ENV] = item.nodeid
            try:
                return (yield)
            finally:
                tracer.context = COLLECT
                os.environ[TEST_ENV] = COLLECT

        def pytest_runtest_logreport(self, report: Any) -> None:
            durations[report.nodeid] += report.duration
            if report.failed:
                failed.add(report.nodeid)

    tracer.start()
    code = pytest.main([*PYTEST_ARGS, f"--basetemp={workdir / 'tmp'}", *(str(ROOT / t) for t in tests)],
                       plugins=[Plugin()])
    sys.settrace(None)
    threading.settrace(None)  # type: ignore[arg-type]
    hits: dict[str, set[tuple[str, int]]] = defaultdict(set)
    for context, lines in tracer.hits.items():
        hits[context] |= lines
    for dump in trace_dir.glob("*.json"):
        data = json.loads(dump.read_text())
        hits[data["test"]] |= {tuple(x) for x in data["lines"]}  # type: ignore[misc]
    root = str(ROOT) + os.sep
    imported = sorted({name.split(".")[0] for name in list(sys.modules)})
    out = {"exit": int(code), "durations": durations, "failed": sorted(failed), "imported": imported,
           "hits": {ctx: sorted([f.removeprefix(root), n] for f, n in lines) for ctx, lines in hits.items()}}
    (workdir / "coverage.json").write_text(json.dumps(out))
    return int(code)


