"""Install the downstream OpenMMLab code that tests/compat/test_mmpretrain_downstream.py runs on mme.

    python tools/install_downstream.py            # install (a no-op when already done)
    python tools/install_downstream.py --check    # exit 0 when installed, 1 otherwise
    python tools/install_downstream.py --print-dir

The test's fixture runs it (in-process, :func:`install`) when the env lacks the install: once per
test env, a few seconds. It is not a hatch ``post-install-commands`` entry: hatch skips those in
envs with ``skip-install = true``, which every env of this repo has (the root is no project).

Why not the env's ``dependencies``: mmpretrain 1.2.0 and mmcv-lite 2.2.0 declare ``mmengine`` (and
mmcv an unpinned OpenCV), and the only torchvision built for torch 2.13.0 on PyPI is a CUDA build,
so pip's resolver would fight the CPU torch pin. Each package below is pinned and installed with
``--no-deps`` into a folder of its own, ``<env>/mme-downstream``, outside site-packages: only the
downstream test puts it on ``sys.path`` (in a subprocess), so the rest of the suite never imports
torchvision, mmcv or the real MMEngine. The real ``mmengine`` is installed on purpose, next to
mmpretrain as pip would install it, to show that mme-compat serves ``import mmengine`` anyway.

torchvision's C extension (``_C.so``, built against CUDA torch) does not load on CPU torch;
torchvision then runs without its ops (nms, roi_align, ...; classification needs none), except that
it registers fake kernels for ``torchvision::nms``/``qnms`` unconditionally at import. The test
defines those two schemas first (``define_torchvision_op_schemas`` in the test's driver), so
``import torchvision`` succeeds and its ops raise torchvision's own "Couldn't load custom C++ ops".

This file imports nothing outside the standard library.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

# Pinned, each installed with --no-deps. Besides mmpretrain, mmcv-lite and torchvision: their
# pure-Python (or wheel-only) dependencies that the test env lacks and that importing mmpretrain and
# training a classifier needs. matplotlib, einops, rich, numpy, Pillow, pyyaml, addict, packaging and
# importlib-metadata come with the test env already.
PACKAGES = [
    "mmpretrain==1.2.0",
    "mmcv-lite==2.2.0",
    "torchvision==0.28.0",  # built for torch==2.13.0 (CUDA); used without its C extension
    "mmengine==0.10.7",  # the real one, which mme-compat must shadow
    "opencv-python-headless==4.14.0.94",  # mmcv.image imports cv2
    "yapf==0.43.0",  # mmcv imports it (config formatting)
    "mat4py==0.6.0",  # mmpretrain.datasets
    "modelindex==0.0.2",
    "model-index==0.1.11",  # the `modelindex` module, which mmpretrain.apis imports
    "ordered-set==4.1.0",  # model-index's
]

STAMP = "mme-downstream.json"


def target_dir() -> Path:
    """``$MME_DOWNSTREAM_DIR``, or ``mme-downstream`` in the running interpreter's environment."""
    return Path(os.environ.get("MME_DOWNSTREAM_DIR") or Path(sys.prefix) / "mme-downstream")


def installed(target: Path | None = None) -> bool:
    """Whether ``target`` holds exactly :data:`PACKAGES` (its stamp names them)."""
    stamp = (target or target_dir()) / STAMP
    try:
        return json.loads(stamp.read_text())["packages"] == PACKAGES
    except (OSError, ValueError, KeyError, TypeError):
        return False


def install(target: Path | None = None) -> float:
    """Install :data:`PACKAGES` into ``target`` (fresh), unless already there. Returns the seconds spent."""
    target = target or target_dir()
    if installed(target):
        return 0.0
    start = time.monotonic()
    partial = target.with_name(target.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    cmd = [sys.executable, "-m", "pip", "install", "--no-deps", "--no-compile", "--disable-pip-version-check",
           "--target", str(partial), *PACKAGES]
    print("+", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True)
    (partial / STAMP).write_text(json.dumps({"packages": PACKAGES}, indent=1) + "\n")
    shutil.rmtree(target, ignore_errors=True)
    partial.rename(target)  # the stamp appears only with a complete install
    return time.monotonic() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 0 when installed, 1 otherwise")
    parser.add_argument("--print-dir", action="store_true", help="print the install folder")
    args = parser.parse_args(argv)
    if args.print_dir:
        print(target_dir())
        return 0
    if args.check:
        return 0 if installed() else 1
    seconds = install()
    print(f"downstream packages in {target_dir()}" + (f" (installed in {seconds:.1f} s)" if seconds else " (already installed)"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
