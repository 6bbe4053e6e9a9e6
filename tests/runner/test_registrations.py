"""`import mme.runner` registers every built-in class by name (the registries import the modules
on their first lookup) without importing them: the table in mme/runner/__init__.py must match
what importing every module of the stack registers."""

from __future__ import annotations

import json
import subprocess
import sys

# every package whose modules register into the root registries (mme.testing's toys aside)
_STACK = ["analysis", "cli", "dataset", "evaluator", "hooks", "hub", "infer", "model", "optim", "runner", "strategy",
          "structures", "visualization"]

_SHOW = """
import json
import mme.registry as R
print(json.dumps({"torch": heavy, "registered": {n: sorted(getattr(R, n).module_dict) for n in R._root.__all__}}))
"""

_LAZY = "import sys\nimport mme.runner\nheavy = 'torch' in sys.modules\n" + _SHOW

_EVERY_MODULE = f"""
import importlib, pkgutil, sys
for package in {_STACK!r}:
    module = importlib.import_module('mme.' + package)
    for info in pkgutil.iter_modules(module.__path__):
        importlib.import_module(f'mme.{{package}}.{{info.name}}')
heavy = 'torch' in sys.modules
""" + _SHOW


def _run(code: str) -> dict:
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_importing_mme_runner_registers_every_built_in_name_and_imports_nothing_heavy():
    lazy = _run(_LAZY)
    every = _run(_EVERY_MODULE)
    assert lazy["torch"] is False  # declaring is free; reading a registry imports its modules
    assert every["registered"]["LOOPS"] and every["registered"]["HOOKS"]
    assert lazy["registered"] == every["registered"]


def test_a_lookup_right_after_import_finds_the_class():
    code = ("import mme.runner\nfrom mme.registry import HOOKS, LOOPS\n"
            "assert LOOPS.get('EpochBasedTrainLoop').__module__ == 'mme.runner._train_loops'\n"
            "assert HOOKS.build(dict(type='CheckpointHook', interval=3)).interval == 3\n"
            "assert 'IterBasedTrainLoop' in LOOPS\nprint('{}')")
    assert _run(code) == {}


def test_mmengine_runner_under_mme_compat_fills_the_registries_as_mmengine_does():
    code = ("import mmengine.runner\nfrom mmengine.registry import LOG_PROCESSORS, LOOPS, RUNNERS\n"
            "import json\nprint(json.dumps([sorted(LOOPS.module_dict), list(LOG_PROCESSORS.module_dict), "
            "sorted(RUNNERS.module_dict)]))")
    assert _run(code) == [["EpochBasedTrainLoop", "IterBasedTrainLoop", "TestLoop", "ValLoop"], ["LogProcessor"],
                          ["FlexibleRunner", "Runner"]]
