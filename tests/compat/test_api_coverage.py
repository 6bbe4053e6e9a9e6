"""Every public name of MMEngine 0.10.7 resolves through ``mmengine`` to an mme object.

``mmengine_api.json`` (next to this file) is MMEngine's public API: every public module path and
its public names, written by ``tools/mmengine_names.py`` (see there to regenerate it). Each module
gets a test: each name must resolve through mme-compat to an object that an mme module provides, and be a
class where MMEngine's is a class.

``KNOWN_MISSING`` lists the names mme does not provide yet. Each module's test fails when a name
outside that list does not resolve (a regression), and when a listed name starts to resolve (it
tells you to remove it from the list, so the list stays the true account of what is missing).
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import json
import sys
from pathlib import Path

import pytest

if importlib.util.find_spec("_mme_compat") is None:
    pytest.skip("mme-compat is not installed here", allow_module_level=True)

API = json.loads(Path(__file__).with_name("mmengine_api.json").read_text(encoding="utf-8"))

# module -> names MMEngine has there that mme does not provide yet (space-separated)
_KNOWN_MISSING_BY_MODULE = {
    # mme's lazy-import loader records imports without rewriting the config's AST
    "mmengine.config.config": "ImportTransformer",
    "mmengine.config.utils": "ImportTransformer",
    # helpers of MMEngine's scheduler-visualization tool, which mme does not ship
    "mmengine.utils.dl_utils.visualize": "fake_run runtimeinfo_step update_params_step",
}
KNOWN_MISSING = {f"{module}.{name}" for module, names in _KNOWN_MISSING_BY_MODULE.items() for name in names.split()}

_MME_ROOTS = {"mme", "_mme_compat"}


class _MMEObjects:
    """Ids of every object an mme module holds, rebuilt when more modules have been imported."""

    def __init__(self) -> None:
        self._seen_modules = -1
        self._ids: set[int] = set()

    def __contains__(self, obj: object) -> bool:
        if len(sys.modules) != self._seen_modules:
            self._seen_modules = len(sys.modules)
            self._ids = {
                id(value)
                for name, module in list(sys.modules.items())
                if name.split(".")[0] in _MME_ROOTS
                for value in list(vars(module).values())
            }
        return id(obj) in self._ids


MME_OBJECTS = _MMEObjects()


def _problem(module: str, namespace: object, name: str, kind: str) -> str | None:
    """Why ``module.name`` does not stand for MMEngine's name, or None when it does."""
    try:
        obj = getattr(namespace, name)
    except AttributeError as exc:
        return f"missing: {exc}"
    if obj not in MME_OBJECTS:
        return f"{obj!r}, which no mme module provides"
    if kind == "class" and not inspect.isclass(obj):
        return f"a class in MMEngine, {obj!r} here"
    if kind == "function" and not callable(obj):
        return f"a function in MMEngine, {obj!r} here"
    return None


@pytest.mark.parametrize("module", sorted(API["modules"]))
def test_mmengine_names_resolve_to_mme_objects(module):
    """Every name of the module resolves, except those in KNOWN_MISSING, which must not."""
    namespace = importlib.import_module(module)
    broken, now_provided = [], []
    for kind, names in API["modules"][module].items():
        for name in names:
            problem = _problem(module, namespace, name, kind)
            if f"{module}.{name}" in KNOWN_MISSING:
                if problem is None:
                    now_provided.append(name)
            elif problem is not None:
                broken.append(f"{module}.{name}: {problem}")
    assert not broken, "MMEngine names that do not resolve to mme objects:\n" + "\n".join(broken)
    assert not now_provided, f"mme now provides {module}.{{{', '.join(now_provided)}}}: remove them from KNOWN_MISSING"


def test_known_missing_lists_only_mmengine_names():
    names = {f"{m}.{n}" for m, by_kind in API["modules"].items() for ns in by_kind.values() for n in ns}
    assert KNOWN_MISSING <= names, sorted(KNOWN_MISSING - names)


def test_every_mmengine_module_imports_and_the_tree_holds_no_other():
    """The modules reached from ``mmengine`` through dir() are exactly MMEngine's public module tree."""
    found = set()

    def walk(module):
        found.add(module.__name__)
        for name in dir(module):
            if name.startswith("__"):
                continue
            child = f"{module.__name__}.{name}"
            try:
                spec = importlib.util.find_spec(child)
            except ModuleNotFoundError:  # a name, not a module: mme-compat refuses it as a module
                continue
            if spec is not None:
                walk(importlib.import_module(child))

    walk(importlib.import_module("mmengine"))
    assert found == set(API["modules"])


def test_a_name_is_one_object_whichever_module_provides_it():
    first: dict[str, tuple[str, object]] = {}
    problems = []
    for module, by_kind in API["modules"].items():
        namespace = importlib.import_module(module)
        for names in by_kind.values():
            for name in names:
                obj = getattr(namespace, name, None)
                if obj is None:
                    continue
                where, seen = first.setdefault(name, (module, obj))
                if seen is not obj:
                    problems.append(f"{module}.{name} is not {where}.{name}")
    assert not problems, "\n".join(problems)


_REGISTERED = """
import json
import mmengine.runner
from mmengine import registry
print(json.dumps({name: sorted(getattr(registry, name).module_dict) for name in %r}))
"""


def test_import_mmengine_runner_registers_what_mmengine_registers():
    """The same names in every root registry after ``import mmengine.runner`` (a fresh interpreter)."""
    import subprocess

    expected = API["registries"]
    # deliberate: torch.optim.Optimizer, the abstract base, is no optimizer to build
    expected["OPTIMIZERS"] = [name for name in expected["OPTIMIZERS"] if name != "Optimizer"]
    proc = subprocess.run([sys.executable, "-c", _REGISTERED % sorted(expected)], capture_output=True, text=True,
                          timeout=240)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == expected


if __name__ == "__main__":
    # `python tests/compat/test_api_coverage.py` (in the test env) prints the KNOWN_MISSING table as
    # it stands now, to paste over the one above. Review the diff: a name leaving the table is
    # progress; a name joining it is a regression to fix, not to list.
    import textwrap

    now: dict[str, list[str]] = {}
    for module, by_kind in API["modules"].items():
        namespace = importlib.import_module(module)
        for names in by_kind.values():
            now[module] = now.get(module, []) + [n for n in names if not hasattr(namespace, n)]
    for module, names in now.items():
        if not names:
            continue
        body = " ".join(sorted(names))
        if len(f'    "{module}": "{body}",') <= 110:
            print(f'    "{module}": "{body}",')
            continue
        lines = textwrap.wrap(body, 92)
        print(f'    "{module}": (')
        for i, line in enumerate(lines):
            print(f'        "{line}{" " if i < len(lines) - 1 else ""}"')
        print("    ),")
