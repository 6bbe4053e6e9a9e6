"""collect_env: the platform, Python, torch, CUDA, compiler and library versions, for bug reports."""

from __future__ import annotations

import importlib
import importlib.util
import os
import subprocess
import sys
from collections import defaultdict
from typing import Any

import numpy as np
import torch

from mme.dist.version import __version__ as _mme_version

from . import parrots_wrapper


def mmcv_full_available() -> bool:
    """Whether the full mmcv (with its compiled ``mmcv._ext`` ops) is installed.

    Examples:
        >>> isinstance(mmcv_full_available(), bool)
        True
    """
    try:
        return importlib.util.find_spec("mmcv._ext") is not None
    except (ImportError, ValueError):  # no mmcv at all
        return False


def _first_line(cmd: list[str]) -> str | None:
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=30, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return out.strip().splitlines()[0] if out.strip() else None


def _nvcc_version(cuda_home: str) -> str:
    nvcc = os.path.join(cuda_home, "bin", "nvcc")
    try:
        out = subprocess.run([nvcc, "-V"], capture_output=True, text=True, timeout=30, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return "Not Available"
    release = [line for line in out.splitlines() if "release" in line]
    return release[-1].strip() if release else out.strip().splitlines()[-1]


def _version_of(module: str) -> str | None:
    if importlib.util.find_spec(module) is None:
        return None
    try:
        return str(importlib.import_module(module).__version__)
    except Exception:  # a broken install must not break the report
        return "installed, but failed to import"


def collect_env() -> dict[str, Any]:
    """Collect the information about the running environment that a bug report needs.

    Returns:
        An ordered dict with ``sys.platform``, ``Python``, ``CUDA available``,
        ``numpy_random_seed``, the GPUs by name (``GPU 0,1``) with ``CUDA_HOME`` and ``NVCC``
        when CUDA is available, ``GCC``, ``PyTorch``, ``PyTorch compiling details``,
        ``TorchVision`` and ``OpenCV`` when installed, and ``mme``.

    Examples:
        >>> env = collect_env()
        >>> env["PyTorch"] == __import__("torch").__version__, "CUDA available" in env
        (True, True)
    """
    env: dict[str, Any] = {
        "sys.platform": sys.platform,
        "Python": sys.version.replace("\n", ""),
    }
    cuda_available = torch.cuda.is_available()
    env["CUDA available"] = cuda_available
    state: Any = np.random.get_state()  # ("MT19937", keys, ...): the first key is the seed's trace
    env["numpy_random_seed"] = int(state[1][0])
    if cuda_available:
        devices: dict[str, list[str]] = defaultdict(list)
        for k in range(torch.cuda.device_count()):
            devices[torch.cuda.get_device_name(k)].append(str(k))
        for name, ids in devices.items():
            env["GPU " + ",".join(ids)] = name
        cuda_home = parrots_wrapper.CUDA_HOME
        env["CUDA_HOME"] = cuda_home
        if cuda_home is not None and os.path.isdir(cuda_home):
            env["NVCC"] = _nvcc_version(cuda_home)
    env["GCC"] = _first_line(["gcc", "--version"]) or "n/a"
    env["PyTorch"] = torch.__version__
    env["PyTorch compiling details"] = parrots_wrapper.get_build_config()
    for key, module in (("TorchVision", "torchvision"), ("OpenCV", "cv2")):
        version = _version_of(module)
        if version is not None:
            env[key] = version
    env["mme"] = _mme_version
    return env
