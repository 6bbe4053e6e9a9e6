"""mme-compat's behaviour: one object per class across MMEngine's paths, precedence over an
installed MMEngine, the MME_COMPAT switch, version checks, light imports and clear errors.

Tests that change the interpreter's import state run in a subprocess of this interpreter, which
reads the environment's ``mme_compat.pth`` at start as any user's interpreter does.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

if importlib.util.find_spec("_mme_compat") is None:
    pytest.skip("mme-compat is not installed here", allow_module_level=True)

import mmengine  # noqa: E402  (after the skip: served by mme-compat)

API_VERSION = json.loads(Path(__file__).with_name("mmengine_api.json").read_text(encoding="utf-8"))["mmengine_version"]
COMPAT_DIR = Path(importlib.util.find_spec("_mme_compat").origin).parent


def run_python(code: str, *, env: dict[str, str] | None = None, pythonpath: Path | None = None) -> dict:
    """Run ``code`` in a fresh interpreter; it prints one JSON object as its last line, returned here."""
    full_env = {**os.environ, **(env or {})}
    if pythonpath is not None:
        full_env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(pythonpath), full_env.get("PYTHONPATH")]))
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, env=full_env, timeout=300
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


# -- one object per class, whichever path imports it ------------------------------------------


def test_mmengine_paths_hand_out_mme_objects():
    import mme.config
    import mme.dataset
    import mme.fileio
    import mme.logging
    import mme.optim
    import mme.registry
    import mme.runner
    import mmengine.config
    import mmengine.optim.scheduler
    import mmengine.runner.checkpoint
    from mmengine import Config, DefaultScope, MMLogger, dump, load

    assert mmengine.config.Config is mme.config.Config is Config
    assert mmengine.config.config.Config is Config
    assert (load, dump) == (mme.fileio.load, mme.fileio.dump)
    assert MMLogger is mme.logging.MMLogger
    assert DefaultScope is mme.registry.DefaultScope
    assert mmengine.optim.scheduler.LinearLR is mme.optim.LinearLR
    assert mmengine.optim.scheduler.lr_scheduler.LinearLR is mme.optim.LinearLR
    assert mmengine.runner.checkpoint.load_checkpoint is mme.runner.load_checkpoint
    assert mmengine.registry.MODELS is mmengine.MODELS is mme.registry.MODELS


def test_names_mmengine_keeps_elsewhere_or_under_another_name():
    import mme.dataset
    import mme.fileio
    import mme.model
    import mme.registry
    import mmengine.runner.checkpoint
    import mmengine.runner.runner

    assert mmengine.runner.checkpoint.load_file is mme.fileio.load
    assert mmengine.runner.runner.default_worker_init_fn is mme.dataset.worker_init_fn
    assert mmengine.registry.build_model_from_cfg is mme.model.build_model_from_cfg
    assert mmengine.optim.OPTIMIZERS is mme.registry.OPTIMIZERS
    assert mmengine.fileio.HardDiskBackend is mme.fileio.LocalBackend
    # a private name downstream code imports (mmpretrain's models/selfsup/milan.py)
    from mmengine.runner.checkpoint import _load_checkpoint

    assert _load_checkpoint is sys.modules["mme.runner._checkpoint"]._load_checkpoint


def test_a_package_binding_wins_over_its_child_module_of_the_same_name():
    """As in MMEngine, ``mmengine.utils.dl_utils.collect_env`` is the function, even once the module is imported."""
    import mme.dl_utils
    import mmengine.utils.dl_utils.collect_env as imported

    assert imported is mmengine.utils.dl_utils.collect_env is mme.dl_utils.collect_env
    assert sys.modules["mmengine.utils.dl_utils.collect_env"].collect_env is mme.dl_utils.collect_env


def test_star_import_gives_the_modules_all():
    namespace: dict = {}
    exec("from mmengine.registry import *", namespace)
    assert namespace["Registry"] is mmengine.registry.Registry
    assert "MODELS" in mmengine.registry.__all__
    assert set(mmengine.registry.__all__) <= set(namespace)


# -- precedence over an installed MMEngine ----------------------------------------------------


def test_the_pth_file_puts_the_hook_first_at_interpreter_start():
    out = run_python(
        """
        import json, sys
        print(json.dumps({"first": type(sys.meta_path[0]).__name__, "module": type(sys.meta_path[0]).__module__}))
        """
    )
    assert out == {"first": "MMEngineFinder", "module": "_mme_compat._finder"}


@pytest.fixture()
def fake_mmengine(tmp_path):
    """A stand-in for an installed MMEngine: its import fails loudly; its metadata says 0.10.7."""
    (tmp_path / "mmengine").mkdir()
    (tmp_path / "mmengine" / "__init__.py").write_text("raise RuntimeError('the installed MMEngine was imported')\n")
    (tmp_path / "mmengine" / "config.py").write_text("raise RuntimeError('the installed MMEngine was imported')\n")
    info = tmp_path / "mmengine-0.10.7.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: mmengine\nVersion: 0.10.7\n")
    return tmp_path


CHECK_PRECEDENCE = """
    import importlib.metadata, json, sys
    import mmengine, mmengine.config, mmengine.runner.checkpoint
    from mmengine import Config, Registry, MMLogger
    import mme.config
    foreign = sorted(
        name for name, module in sys.modules.items()
        if name.split(".")[0] == "mmengine" and type(module.__spec__.loader).__name__ != "MMEngineFinder"
    )
    print(json.dumps({
        "file": mmengine.__file__, "same": Config is mme.config.Config, "foreign": foreign,
        "version": mmengine.__version__, "metadata": importlib.metadata.version("mmengine"),
    }))
"""


def test_mme_compat_wins_over_an_installed_mmengine(fake_mmengine):
    out = run_python(CHECK_PRECEDENCE, pythonpath=fake_mmengine)
    assert Path(out["file"]).parent == COMPAT_DIR
    assert out["same"] and out["foreign"] == []
    assert out["version"] == out["metadata"] == "0.10.7"


def test_switched_off_the_installed_mmengine_is_imported(fake_mmengine):
    code = """
        import json
        try:
            import mmengine
        except RuntimeError as exc:
            print(json.dumps({"error": str(exc)}))
    """
    out = run_python(code, env={"MME_COMPAT": "0"}, pythonpath=fake_mmengine)
    assert out == {"error": "the installed MMEngine was imported"}


@pytest.fixture(scope="session")
def real_mmengine(tmp_path_factory):
    """MMEngine itself, installed without its dependencies into a folder put first on PYTHONPATH."""
    target = tmp_path_factory.mktemp("real-mmengine")
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-compile", "--target", str(target),
         f"mmengine=={API_VERSION}"],
        capture_output=True, text=True, timeout=600,
    )
    if proc.returncode != 0:
        pytest.skip(f"cannot install mmengine=={API_VERSION} (offline?): {proc.stderr.strip()[-300:]}")
    return target


@pytest.mark.slow
def test_mme_compat_wins_over_the_real_mmengine(real_mmengine):
    out = run_python(CHECK_PRECEDENCE, pythonpath=real_mmengine)
    assert Path(out["file"]).parent == COMPAT_DIR
    assert out["same"] and out["foreign"] == []
    assert out["version"] == out["metadata"] == API_VERSION
    off = run_python(
        "import importlib.util, json; print(json.dumps(importlib.util.find_spec('mmengine').origin))",
        env={"MME_COMPAT": "0"},
        pythonpath=real_mmengine,
    )
    assert Path(off).is_relative_to(real_mmengine)


# -- the switch -------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["0", "false", "off", "No"])
def test_mme_compat_0_switches_it_off(value):
    code = """
        import importlib.util, json, sys
        spec = importlib.util.find_spec("mmengine")
        print(json.dumps({"hooked": type(sys.meta_path[0]).__name__ == "MMEngineFinder",
                          "origin": spec and spec.origin}))
    """
    out = run_python(code, env={"MME_COMPAT": value})
    assert not out["hooked"]
    assert out["origin"] is None or not Path(out["origin"]).is_relative_to(COMPAT_DIR)


def test_the_switch_is_read_again_at_the_first_import():
    code = """
        import json, os
        os.environ["MME_COMPAT"] = "0"
        try:
            import mmengine
            origin = mmengine.__spec__.origin
        except ModuleNotFoundError:
            origin = None
        print(json.dumps(origin))
    """
    origin = run_python(code)
    assert origin is None or not Path(origin).is_relative_to(COMPAT_DIR)


def test_uninstall_and_install_by_hand():
    code = """
        import json, sys
        import _mme_compat
        import mmengine.config
        _mme_compat.uninstall()
        gone = [n for n in sys.modules if n.split(".")[0] == "mmengine"]
        try:
            import mmengine
            after_uninstall = mmengine.__spec__.origin
        except ModuleNotFoundError:
            after_uninstall = None
        _mme_compat.install()
        import mmengine
        print(json.dumps({"gone": gone, "after_uninstall": after_uninstall, "back": mmengine.__spec__.origin}))
    """
    out = run_python(code)
    assert out["gone"] == []
    assert out["after_uninstall"] is None or not Path(out["after_uninstall"]).is_relative_to(COMPAT_DIR)
    assert Path(out["back"]).parent == COMPAT_DIR


# -- versions ---------------------------------------------------------------------------------


def test_version_is_the_mmengine_api_it_provides_and_passes_downstream_range_checks():
    from mme.utils import digit_version

    assert mmengine.__version__ == mmengine.version.__version__ == API_VERSION
    assert mmengine.version_info == tuple(int(p) for p in API_VERSION.split("."))
    # what mmcv / mmdet / mmpretrain check at import
    assert digit_version("0.8.3") <= digit_version(mmengine.__version__) < digit_version("1.0.0")
    assert mmengine.version.parse_version_info("2.0.0rc4") == (2, 0, 0, "rc4")


def test_metadata_does_not_pretend_mmengine_is_installed():
    """mme-compat ships no mmengine distribution metadata: pip and importlib.metadata see only a real one."""
    try:
        dist = importlib.metadata.distribution("mmengine")
    except importlib.metadata.PackageNotFoundError:
        return
    assert not Path(str(dist.locate_file(""))).is_relative_to(COMPAT_DIR)
    assert "mme-compat" not in (dist.metadata["Summary"] or "")


# -- light imports --------------------------------------------------------------------------


def test_config_and_registry_level_names_import_no_torch():
    code = """
        import json, sys
        import mmengine
        from mmengine import (Config, ConfigDict, DictAction, read_base, Registry, DefaultScope, MODELS,
                              build_from_cfg, init_default_scope, load, dump, list_from_file, digit_version,
                              is_list_of, mkdir_or_exist, ManagerMixin, Timer, track_progress, version_info)
        import mmengine.config, mmengine.registry, mmengine.fileio, mmengine.utils
        cfg = Config(dict(model=dict(type="ToyModel")))
        print(json.dumps(sorted(m for m in ("torch", "numpy") if m in sys.modules)))
    """
    assert run_python(code) == []


# -- what mme does not provide yet ---------------------------------------------------------------


def test_a_missing_name_says_it_is_not_provided_by_mme_yet():
    import mmengine.runner

    expected = r"cannot import name 'NotAnMMEngineName' from 'mmengine.runner': .*not provided by mme yet"
    with pytest.raises(ImportError, match=expected):
        from mmengine.runner import NotAnMMEngineName  # noqa: F401
    with pytest.raises(AttributeError, match="not provided by mme yet") as info:
        mmengine.runner.NotAnMMEngineName  # noqa: B018
    assert info.value.name == "NotAnMMEngineName"
    assert not hasattr(mmengine.runner, "NotAnMMEngineName")
    assert getattr(mmengine.runner, "NotAnMMEngineName", None) is None
    assert mmengine.runner.Runner is not None  # the module's other names still work


def test_a_module_outside_mmengines_public_tree_is_refused():
    with pytest.raises(ModuleNotFoundError, match="public modules only") as info:
        importlib.import_module("mmengine._strategy")
    assert info.value.name == "mmengine._strategy"
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("mmengine.config.not_a_module")
