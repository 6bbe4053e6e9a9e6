"""The layer DAG in layers.toml is what the code and the wheels' metadata actually do.

Reads source files and pyprojects only; imports no mme layer, so it runs in any environment.
"""

from __future__ import annotations

import ast
import importlib.util
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LAYERS: dict[str, dict] = tomllib.loads((ROOT / "layers.toml").read_text())
# A layer with `top_level` (compat) ships top-level import packages instead of mme.<pkg> ones.
OWNER = {pkg: folder for folder, spec in LAYERS.items() if "top_level" not in spec for pkg in spec["packages"]}


def _modules(folder: str):
    src = ROOT / "packages" / folder / "src"
    for path in sorted(src.rglob("*.py")):
        yield path, ".".join(path.relative_to(src).with_suffix("").parts)


def _imports(path: Path, module: str):
    """Yield (imported module, line, whether it runs at import time)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = module.rsplit(".", 1)[0] if path.name != "__init__.py" else module

    def visit(node: ast.AST, eager: bool):
        for child in ast.iter_child_nodes(node):
            lazy = isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            if isinstance(child, ast.Import):
                for alias in child.names:
                    yield alias.name, child.lineno, eager
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base = package.split(".")
                    base = base[: len(base) - child.level + 1]
                    name = ".".join(base + ([child.module] if child.module else []))
                else:
                    name = child.module or ""
                if name == "mme":  # `from mme import fileio` imports the layer mme.fileio
                    for alias in child.names:
                        yield f"mme.{alias.name}", child.lineno, eager
                else:
                    yield name, child.lineno, eager
            yield from visit(child, eager and not lazy)

    yield from visit(tree, True)


def _check_folder(folder: str) -> list[str]:
    spec = LAYERS[folder]
    allowed_mme = {folder, *spec["mme"]}
    problems = []
    for path, module in _modules(folder):
        rel = path.relative_to(ROOT)
        for name, line, eager in _imports(path, module):
            top = name.split(".")[0]
            where = f"{rel}:{line} imports {name}"
            if top == "mme":
                parts = name.split(".")
                if len(parts) < 2 or parts[1] not in OWNER:
                    problems.append(f"{where}: no mme layer provides it")
                elif OWNER[parts[1]] not in allowed_mme:
                    problems.append(f"{where}: layer {OWNER[parts[1]]!r} is not declared by {spec['wheel']}")
            elif top in sys.stdlib_module_names or top == "__future__" or top in spec.get("top_level", ()):
                continue
            elif spec["torch_free"] and top in {"torch", "numpy"}:
                problems.append(f"{where}: {spec['wheel']} must stay free of torch and numpy")
            elif top in spec["imports"]:
                continue
            elif top in spec["optional"] or name in spec["optional"]:
                if eager:
                    problems.append(f"{where}: optional dependency imported at module import time")
            else:
                problems.append(f"{where}: third-party module not declared for {spec['wheel']} in layers.toml")
    return problems


@pytest.mark.parametrize("folder", sorted(LAYERS))
def test_modules_import_only_declared_layers(folder):
    problems = _check_folder(folder)
    assert not problems, "\n".join(problems)


def test_layer_graph_is_a_dag():
    state: dict[str, int] = {}

    def walk(folder: str, trail: tuple[str, ...]) -> None:
        if state.get(folder) == 1:
            raise AssertionError(f"cycle: {' -> '.join(trail + (folder,))}")
        if state.get(folder) == 2:
            return
        state[folder] = 1
        for dep in LAYERS[folder]["mme"]:
            walk(dep, trail + (folder,))
        state[folder] = 2

    for folder in LAYERS:
        walk(folder, ())


def _requirement_name(req: str) -> str:
    return re.split(r"[\s<>=!~;\[]", req, maxsplit=1)[0].lower()


@pytest.mark.parametrize("folder", sorted(LAYERS))
def test_pyproject_dependencies_match_the_table(folder):
    spec = LAYERS[folder]
    project = tomllib.loads((ROOT / "packages" / folder / "pyproject.toml").read_text())["project"]
    assert project["name"] == spec["wheel"]
    deps = project["dependencies"]
    names = {_requirement_name(d) for d in deps}
    expected = {LAYERS[d]["wheel"] for d in spec["mme"]} | {r.lower() for r in spec["requires"]}
    assert names == expected
    for dep in deps:
        if dep.startswith("mme-"):
            assert re.fullmatch(r"mme-[a-z]+>=0\.\d+,<0\.\d+", dep), f"{dep}: edges are ranges over the compatible minor"


@pytest.mark.parametrize("folder", sorted(LAYERS))
def test_namespace_has_no_init_and_every_package_is_typed(folder):
    src = ROOT / "packages" / folder / "src" / "mme"
    assert not (src / "__init__.py").exists(), "mme is a PEP 420 namespace"
    if "top_level" in LAYERS[folder]:
        return  # checked by test_top_level_layer_ships_only_what_it_declares
    for pkg in LAYERS[folder]["packages"]:
        assert (src / pkg / "py.typed").is_file()
        assert (src / pkg / "__init__.py").is_file()


@pytest.mark.parametrize("folder", sorted(f for f, spec in LAYERS.items() if "top_level" in spec))
def test_top_level_layer_ships_only_what_it_declares(folder):
    """compat's `mmengine` is made by an import hook: src/ holds exactly the declared top-level entries."""
    spec = LAYERS[folder]
    src = ROOT / "packages" / folder / "src"
    assert sorted(p.name for p in src.iterdir() if p.name != "__pycache__") == sorted(spec["top_level"])
    for entry in spec["top_level"]:
        if entry.endswith(".pth"):
            assert (src / entry).is_file()
        else:
            assert (src / entry / "__init__.py").is_file()
            assert (src / entry / "py.typed").is_file()


@pytest.mark.parametrize(
    ("module", "forbidden"),
    [
        ("mme.utils", ["torch", "numpy", "yaml", "rich"]),
        ("mme.config", ["torch", "numpy", "yapf"]),
        ("mme.registry", ["torch", "numpy", "yapf"]),
        ("mme.fileio", ["torch", "numpy", "boto3", "botocore", "fsspec", "yaml"]),
    ],
)
def test_torch_free_layers_stay_light_at_import(module, forbidden):
    if importlib.util.find_spec(module) is None:
        pytest.skip(f"{module} is not installed here (a single-wheel venv)")
    code = f"import sys, {module}; print(','.join(m for m in {forbidden!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "", f"import {module} pulled in {out}"


def test_visualizer_recording_scalars_leaves_matplotlib_unimported(tmp_path):
    """matplotlib takes about 0.4 s to import; only drawing and writing images may pull it in."""
    if importlib.util.find_spec("mme.visualization") is None:
        pytest.skip("mme.visualization is not installed here (a single-wheel venv)")
    code = (
        "import sys\n"
        "from mme.visualization import Visualizer\n"
        f"vis = Visualizer(save_dir={str(tmp_path)!r}, vis_backends=[dict(type='LocalVisBackend')])\n"
        "vis.add_config({'lr': 0.1})\n"
        "vis.add_scalar('lr', 0.1, step=1)\n"
        "vis.add_scalars({'loss': 0.5, 'acc': 0.9}, step=1)\n"
        "vis.close()\n"
        "print('matplotlib' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "False", "recording scalars with a Visualizer imported matplotlib"
    assert (tmp_path / "vis_data" / "scalars.json").read_text().count("\n") == 2
