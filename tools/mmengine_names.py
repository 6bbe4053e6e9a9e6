"""Write the inventory of MMEngine's public API to tests/compat/mmengine_api.json.

The inventory is what tests/compat/test_api_coverage.py holds mme-compat to: every public module
path of MMEngine and, per module, its public names with their kind (class, function or other).
It treats MMEngine as a black box: it imports every module and lists names, nothing more.

Regenerate it in a throwaway venv that has MMEngine (and a CPU torch, which MMEngine imports):

    python3 -m venv /tmp/mmengine-oracle
    /tmp/mmengine-oracle/bin/pip install mmengine==0.10.7 torch==2.13.0
    /tmp/mmengine-oracle/bin/python tools/mmengine_names.py

Rules:
- modules: ``mmengine`` and every module found by ``pkgutil.walk_packages`` with no part
  starting with ``_``; a module that fails to import (a missing optional dependency) is listed
  under "unimportable" with the error instead.
- registries: the names each root registry of ``mmengine.registry`` holds right after
  ``import mmengine.runner`` (in a fresh interpreter), which mme-compat must resolve too.
- names: the module's ``__all__`` when it has one; otherwise its attributes not starting with
  ``_`` that MMEngine defines: classes and functions whose ``__module__`` is in mmengine, and
  other objects whose type is MMEngine's or a builtin (constants). Re-exported stdlib, torch and
  numpy objects (``TYPE_CHECKING``, ``math.inf``), typing helpers and submodules are left out.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import json
import pkgutil
import sys
import textwrap
import warnings
from pathlib import Path
from types import ModuleType
from typing import Any

OUT = Path(__file__).resolve().parents[1] / "tests" / "compat" / "mmengine_api.json"
KINDS = ("class", "function", "other")


def kind_of(obj: object) -> str:
    if inspect.isclass(obj):
        return "class"
    if inspect.isroutine(obj):
        return "function"
    return "other"


def _from_mmengine(module_name: object) -> bool:
    return isinstance(module_name, str) and (module_name == "mmengine" or module_name.startswith("mmengine."))


def _stdlib_attribute(name: str, obj: object) -> bool:
    """Whether ``obj`` is a standard-library module's attribute of that name (``from math import inf``)."""
    missing = object()
    for module_name, module in list(sys.modules.items()):
        if module_name.split(".")[0] in sys.stdlib_module_names and getattr(module, name, missing) is obj:
            return True
    return False


def defined_in_mmengine(name: str, obj: object) -> bool:
    if isinstance(obj, ModuleType):
        return False
    if inspect.isclass(obj) or inspect.isroutine(obj):
        return _from_mmengine(getattr(obj, "__module__", None))
    owner = type(obj).__module__
    if owner == "builtins":
        return not _stdlib_attribute(name, obj)
    return _from_mmengine(owner)


def public_names(module: ModuleType) -> dict[str, str]:
    explicit = getattr(module, "__all__", None)
    names = {}
    if explicit is not None:
        for name in explicit:
            names[name] = kind_of(getattr(module, name)) if hasattr(module, name) else "other"
        return names
    for name, obj in vars(module).items():
        if not name.startswith("_") and defined_in_mmengine(name, obj):
            names[name] = kind_of(obj)
    return names


def module_paths(root: ModuleType) -> list[str]:
    paths = [root.__name__]
    for info in pkgutil.walk_packages(root.__path__, root.__name__ + ".", onerror=lambda _name: None):
        if not any(part.startswith("_") for part in info.name.split(".")):
            paths.append(info.name)
    return sorted(set(paths))


_REGISTRIES = """
import json, warnings
warnings.simplefilter("ignore")
import mmengine.runner
from mmengine import registry
from mmengine.registry import Registry
print(json.dumps({name: sorted(value.module_dict) for name, value in sorted(vars(registry).items())
                  if isinstance(value, Registry) and name.isupper() and value.module_dict}))
"""


def registries() -> dict[str, list[str]]:
    """What each root registry holds after ``import mmengine.runner``, in a fresh interpreter."""
    import subprocess

    out = subprocess.run([sys.executable, "-c", _REGISTRIES], capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def inventory() -> dict[str, Any]:
    found = registries()
    warnings.simplefilter("ignore")
    import mmengine

    modules: dict[str, dict[str, list[str]]] = {}
    unimportable: dict[str, str] = {}
    for path in module_paths(mmengine):
        try:
            module = importlib.import_module(path)
        except Exception as exc:  # an optional dependency MMEngine imports eagerly
            unimportable[path] = f"{type(exc).__name__}: {exc}".splitlines()[0]
            continue
        by_kind: dict[str, list[str]] = {}
        for name, kind in sorted(public_names(module).items()):
            by_kind.setdefault(kind, []).append(name)
        modules[path] = {kind: by_kind[kind] for kind in KINDS if kind in by_kind}
    return {
        "mmengine_version": mmengine.__version__,
        "generated_by": "tools/mmengine_names.py",
        "modules": modules,
        "unimportable": unimportable,
        "registries": found,
    }


def render(data: dict[str, Any]) -> str:
    """JSON with one line per module and kind, long name lists wrapped: readable in a diff."""

    def names(values: list[str], indent: str) -> str:
        body = ", ".join(json.dumps(v) for v in values)
        lines = textwrap.wrap(body, width=100 - len(indent), break_long_words=False, break_on_hyphens=False)
        if len(lines) == 1:
            return f"[{lines[0]}]"
        return "[\n" + "\n".join(indent + "  " + line for line in lines) + "\n" + indent + "]"

    out = ["{"]
    out.append(f'  "mmengine_version": {json.dumps(data["mmengine_version"])},')
    out.append(f'  "generated_by": {json.dumps(data["generated_by"])},')
    out.append('  "modules": {')
    items = list(data["modules"].items())
    for i, (path, by_kind) in enumerate(items):
        if not by_kind:
            out.append(f"    {json.dumps(path)}: {{}}" + ("," if i < len(items) - 1 else ""))
            continue
        out.append(f"    {json.dumps(path)}: {{")
        kinds = list(by_kind.items())
        for j, (kind, values) in enumerate(kinds):
            comma = "," if j < len(kinds) - 1 else ""
            out.append(f"      {json.dumps(kind)}: {names(values, '      ')}{comma}")
        out.append("    }" + ("," if i < len(items) - 1 else ""))
    out.append("  },")
    out.append(f'  "unimportable": {json.dumps(data["unimportable"], indent=4, sort_keys=True)},')
    out.append('  "registries": {')
    registered = list(data["registries"].items())
    for i, (name, values) in enumerate(registered):
        out.append(f"    {json.dumps(name)}: {names(values, '    ')}" + ("," if i < len(registered) - 1 else ""))
    out.append("  }")
    out.append("}")
    text = "\n".join(out) + "\n"
    if json.loads(text) != data:
        raise AssertionError("rendered JSON does not round-trip")
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=OUT, help=f"where to write (default: {OUT})")
    args = parser.parse_args()
    data = inventory()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(render(data), encoding="utf-8")
    count = sum(len(v) for by_kind in data["modules"].values() for v in by_kind.values())
    print(f"MMEngine {data['mmengine_version']}: {len(data['modules'])} modules, {count} public names -> {args.out}",
          file=sys.stderr)


if __name__ == "__main__":
    main()
