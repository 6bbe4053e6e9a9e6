"""is_installed, get_installed_path, call_command and install_package, against real distributions on sys.path."""

from __future__ import annotations

import importlib
import importlib.metadata
import json
import os
import subprocess
import sys

import pytest

from mme.utils import call_command, get_installed_path, install_package, is_installed


def _make_dist(site, dist_name, module, top_level=True, record=True):
    """Lay out an installed distribution ``dist_name`` providing package ``module`` under ``site``."""
    pkg = site / module
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("VALUE = 1\n")
    info = site / f"{dist_name.replace('-', '_')}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist_name}\nVersion: 1.0\n")
    if top_level:
        (info / "top_level.txt").write_text(f"{module}\n")
    if record:
        (info / "RECORD").write_text(f"{module}/__init__.py,,\n{info.name}/METADATA,,\n")


@pytest.fixture
def site(tmp_path, monkeypatch):
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))
    importlib.invalidate_caches()
    return site


def test_is_installed_knows_modules_and_distributions(site):
    _make_dist(site, "mme-fake-dist", "mme_fake_mod")
    assert is_installed("json")
    assert is_installed("mme_fake_mod") and is_installed("mme-fake-dist")
    assert not is_installed("mme_no_such_package") and not is_installed("")


def test_get_installed_path_maps_a_distribution_to_its_package(site):
    _make_dist(site, "mme-fake-dist", "fake_pkg_a")  # names differ: found through top_level.txt
    _make_dist(site, "other-fake", "fake_pkg_b", top_level=False)  # found through RECORD
    assert get_installed_path("mme-fake-dist") == str(site / "fake_pkg_a")
    assert get_installed_path("other-fake") == str(site / "fake_pkg_b")
    assert get_installed_path("fake_pkg_a") == str(site / "fake_pkg_a")  # a module name works too
    assert get_installed_path("json") == os.path.dirname(json.__file__)
    single = site / "single_mod_fake.py"
    single.write_text("")
    assert get_installed_path("single_mod_fake") == str(single)


def test_get_installed_path_errors(site):
    (site / "mme_fake_ns" / "sub").mkdir(parents=True)  # no __init__.py: a namespace package
    with pytest.raises(RuntimeError, match="namespace package"):
        get_installed_path("mme_fake_ns")
    with pytest.raises(importlib.metadata.PackageNotFoundError, match="mme_no_such_package"):
        get_installed_path("mme_no_such_package")


def test_call_command_returns_output_and_raises_on_failure():
    assert call_command([sys.executable, "-c", "print('out')"]) == "out\n"
    with pytest.raises(subprocess.CalledProcessError):
        call_command([sys.executable, "-c", "raise SystemExit(3)"])
    with pytest.raises(TypeError, match="list of strings"):
        call_command("echo hi")


def test_install_package_runs_pip_of_this_interpreter_only_when_missing(tmp_path, monkeypatch):
    log = tmp_path / "argv.json"
    fake = tmp_path / "fake-python"
    fake.write_text(f"#!{sys.executable}\nimport json, sys\nopen({str(log)!r}, 'w').write(json.dumps(sys.argv[1:]))\n")
    fake.chmod(0o755)
    monkeypatch.setattr(sys, "executable", str(fake))
    install_package("json")  # installed: nothing runs
    assert not log.exists()
    install_package("mme-no-such-package")
    assert json.loads(log.read_text()) == ["-m", "pip", "install", "mme-no-such-package"]
