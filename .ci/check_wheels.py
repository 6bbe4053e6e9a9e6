"""CI's wheel checks: build every wheel, check its metadata and contents against
layers.toml, then install each torch-free wheel alone in a fresh venv and run its tests there.

Usage: python .ci/check_wheels.py [--skip-venvs]
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from email.parser import Parser
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LAYERS = tomllib.loads((ROOT / "layers.toml").read_text())
# Test-only packages a layer's suite needs in its venv, beyond the wheel's own dependencies.
TEST_EXTRAS = {"fileio": ["moto[server]>=5", "aiohttp>=3.9"]}
WHEEL_EXTRAS = {"fileio": "[s3]"}


def run(*cmd: str | Path, **kw) -> None:
    print("+", " ".join(map(str, cmd)), flush=True)
    subprocess.run([str(c) for c in cmd], check=True, **kw)


def build(dist: Path) -> dict[str, Path]:
    wheels = {}
    run(sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", dist, *(ROOT / "packages" / f for f in LAYERS))
    for folder, spec in LAYERS.items():
        found = sorted(dist.glob(spec["wheel"].replace("-", "_") + "-*.whl"))
        if len(found) != 1:
            sys.exit(f"expected one wheel for {spec['wheel']}, found {found}")
        wheels[folder] = found[0]
    return wheels


def _name(req: str) -> str:
    return re.split(r"[\s<>=!~;\[(]", req, maxsplit=1)[0].lower()


def check_wheel(folder: str, wheel: Path) -> list[str]:
    spec = LAYERS[folder]
    problems = []
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        meta_name = next(n for n in names if n.endswith(".dist-info/METADATA"))
        meta = Parser().parsestr(zf.read(meta_name).decode())
        pth_imports = {  # what each .pth file at the root imports at interpreter start
            line.split()[1].rstrip(";").split(".")[0]
            for n in names if n.endswith(".pth") and "/" not in n
            for line in zf.read(n).decode().splitlines() if line.startswith("import ")
        }
    requires = [r for r in meta.get_all("Requires-Dist") or [] if "extra ==" not in r]
    got = {_name(r) for r in requires}
    want = {LAYERS[d]["wheel"] for d in spec["mme"]} | {r.lower() for r in spec["requires"]}
    if got != want:
        problems.append(f"{wheel.name}: Requires-Dist {sorted(got)} != layer table {sorted(want)}")
    if "mme/__init__.py" in names:
        problems.append(f"{wheel.name}: ships mme/__init__.py; mme must stay a namespace")
    # A layer with `top_level` (compat: the import hook package and its .pth file) ships those at
    # the wheel's root instead of mme/<pkg>; its import package (`mmengine`) has no folder.
    expected_tops = set(spec.get("top_level", ["mme"]))
    tops = {n.split("/")[0] for n in names if not n.split("/")[0].endswith((".dist-info", ".data"))}
    if tops != expected_tops:
        problems.append(f"{wheel.name}: top-level entries {sorted(tops)}, expected {sorted(expected_tops)}")
    if "top_level" in spec:
        files = ("__init__.py", "py.typed")
        required = [e if e.endswith(".pth") else f"{e}/{f}" for e in spec["top_level"] for f in files]
    else:
        required = [f"mme/{pkg}/{f}" for pkg in spec["packages"] for f in ("__init__.py", "py.typed")]
    problems += [f"{wheel.name}: missing {r}" for r in dict.fromkeys(required) if r not in names]
    problems += [f"{wheel.name}: a .pth file imports {m}, which the wheel does not ship" for m in pth_imports - tops]
    return problems


def venv_test(folder: str, wheels: dict[str, Path], workdir: Path) -> None:
    spec = LAYERS[folder]
    venv = workdir / f"venv-{folder}"
    run(sys.executable, "-m", "venv", venv)
    py = venv / "bin" / "python"
    own = [str(wheels[folder]) + WHEEL_EXTRAS.get(folder, "")]
    deps = [str(wheels[d]) for d in spec["mme"]]
    run(py, "-m", "pip", "install", "-q", *own, *deps, "pytest>=8", *TEST_EXTRAS.get(folder, []))
    probe = "import importlib.util as u, sys; sys.exit(any(u.find_spec(m) for m in ('torch', 'numpy')))"
    run(py, "-c", probe)  # the torch-free wheel's closure must not have brought torch or numpy
    run(py, "-m", "pytest", "-q", "-p", "no:randomly", f"tests/{folder}", "tests/meta", cwd=ROOT)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--skip-venvs", action="store_true", help="only build and check metadata")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="mme-wheels-"))
    try:
        wheels = build(workdir / "dist")
        problems = [p for folder, wheel in wheels.items() for p in check_wheel(folder, wheel)]
        if problems:
            sys.exit("wheel metadata problems:\n" + "\n".join(problems))
        print(f"{len(wheels)} wheels built; metadata matches layers.toml", flush=True)
        if not args.skip_venvs:
            for folder, spec in LAYERS.items():
                if spec["torch_free"]:
                    venv_test(folder, wheels, workdir)
                    print(f"{spec['wheel']}: installs alone and passes its tests", flush=True)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
