"""Installed packages: whether one is there, where it lives, installing one with pip."""

from __future__ import annotations

import importlib
import importlib.machinery
import importlib.metadata
import importlib.util
import os
import re
import subprocess
import sys


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _find_spec(name: str) -> importlib.machinery.ModuleSpec | None:
    try:
        return importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None


def _distribution(name: str) -> importlib.metadata.Distribution | None:
    try:
        return importlib.metadata.distribution(name)
    except (importlib.metadata.PackageNotFoundError, ValueError):
        return None


def is_installed(package: str) -> bool:
    """Whether ``package`` is installed: an importable top-level module or a distribution name.

    Examples:
        >>> is_installed("json"), is_installed("no_such_package_mme")
        (True, False)
    """
    return _find_spec(package) is not None or _distribution(package) is not None


def _top_level_modules(dist: importlib.metadata.Distribution) -> list[str]:
    text = dist.read_text("top_level.txt")
    if text:
        return [line.strip() for line in text.splitlines() if line.strip()]
    name = _normalize(dist.metadata["Name"])
    return sorted(
        module
        for module, dists in importlib.metadata.packages_distributions().items()
        if any(_normalize(d) == name for d in dists)
    )


def get_installed_path(package: str) -> str:
    """Return the directory of an installed package (for a single-module distribution, its file).

    ``package`` is a distribution name (``"scikit-learn"``) or an importable module name
    (``"sklearn"``); a distribution is looked up through its top-level module.

    Raises:
        importlib.metadata.PackageNotFoundError: Nothing by that name is installed.
        RuntimeError: The name is a namespace package, which has no single directory.

    Examples:
        >>> import json, os
        >>> get_installed_path("json") == os.path.dirname(json.__file__)
        True
    """
    candidates = [package]
    dist = _distribution(package)
    if dist is not None:
        tops = _top_level_modules(dist)
        preferred = package.replace("-", "_")
        candidates = sorted(tops, key=lambda m: m != preferred) + [preferred, package]
    for module in candidates:
        spec = _find_spec(module)
        if spec is None:
            continue
        if spec.origin is None or spec.origin == "namespace":
            raise RuntimeError(f"{module} is a namespace package, which has no single installed path")
        if spec.submodule_search_locations is not None:
            return os.path.dirname(spec.origin)
        return spec.origin
    raise importlib.metadata.PackageNotFoundError(
        f"{package!r} is neither an installed distribution with an importable top-level module nor a module"
    )


def call_command(cmd: list[str]) -> str:
    """Run ``cmd`` (an argument list, no shell) and return its standard output.

    Raises:
        subprocess.CalledProcessError: The command exits with a non-zero status.

    Examples:
        >>> import sys
        >>> call_command([sys.executable, "-c", "print('hi')"]).strip()
        'hi'
    """
    if isinstance(cmd, str) or not all(isinstance(c, str) for c in cmd):
        raise TypeError(f"cmd must be a list of strings, but got {cmd!r}")
    return subprocess.check_output(cmd, text=True)


def install_package(package: str) -> None:
    """``pip install package`` into the running interpreter's environment unless it is installed."""
    if not is_installed(package):
        call_command([sys.executable, "-m", "pip", "install", package])
        importlib.invalidate_caches()


def package2module(package: str) -> str:
    """The top-level module an installed distribution provides (``"PyYAML"`` -> ``"yaml"``).

    When it provides several, the one named like the distribution wins, then a public one.

    Raises:
        importlib.metadata.PackageNotFoundError: No distribution of that name is installed.
        ValueError: The distribution declares no top-level module.
    """
    dist = _distribution(package)
    if dist is None:
        raise importlib.metadata.PackageNotFoundError(f"package2module: no installed distribution named {package!r}")
    modules = _top_level_modules(dist)
    if not modules:
        raise ValueError(f"package2module: cannot infer the module name of {package!r} (it lists no top-level module)")
    # the module named like the distribution first, then public modules (PyYAML lists _yaml before yaml)
    preferred = _normalize(package).replace("-", "_")
    return sorted(modules, key=lambda m: (m.lower() != preferred, m.startswith("_")))[0]
